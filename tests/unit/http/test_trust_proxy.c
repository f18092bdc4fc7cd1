/* SPDX-License-Identifier: MIT */
/* Tests of backend.trustProxy: parsing the setting and finding the client behind proxies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/http/trust_proxy.h"
#include "support/gr_test.h"

typedef struct {
    const char *setting; /* JSON value of backend.trustProxy */
    const char *peer;
    const char *forwarded_for; /* NULL: no header */
    const char *client;        /* expected */
} client_case;

static const client_case client_cases[] = {
    /* Off: the header is ignored, as any client can forge it. */
    {"false", "10.0.0.1", "203.0.113.7", "10.0.0.1"},
    {"0", "10.0.0.1", "203.0.113.7", "10.0.0.1"},
    /* Every hop trusted: the leftmost entry. */
    {"true", "10.0.0.1", "203.0.113.7, 10.0.0.2", "203.0.113.7"},
    {"true", "10.0.0.1", NULL, "10.0.0.1"},
    {"true", "10.0.0.1", "", "10.0.0.1"},
    /* A number of hops: the peer is hop 0, the rightmost entry hop 1. */
    {"1", "10.0.0.1", "198.51.100.1, 203.0.113.7", "203.0.113.7"},
    {"2", "10.0.0.1", "198.51.100.1, 203.0.113.7", "198.51.100.1"},
    {"5", "10.0.0.1", "198.51.100.1, 203.0.113.7", "198.51.100.1"},
    /* Ranges: the walk stops at the first hop outside them. */
    {"\"loopback\"", "127.0.0.1", "203.0.113.7", "203.0.113.7"},
    {"\"loopback\"", "10.0.0.1", "203.0.113.7", "10.0.0.1"},
    {"\"loopback, uniquelocal\"", "127.0.0.1", "198.51.100.1, 10.1.2.3", "198.51.100.1"},
    {"[\"10.0.0.0/8\"]", "10.9.9.9", "198.51.100.1, 203.0.113.7, 10.1.2.3", "203.0.113.7"},
    {"[\"192.168.1.10\"]", "192.168.1.11", "203.0.113.7", "192.168.1.11"},
    {"[\"172.16.0.0/12\"]", "172.31.255.255", "203.0.113.7", "203.0.113.7"},
    {"[\"172.16.0.0/12\"]", "172.32.0.1", "203.0.113.7", "172.32.0.1"},
    {"[\"fc00::/7\"]", "fd12::1", "2001:db8::5", "2001:db8::5"},
    /* An IPv6 socket shows an IPv4 peer in mapped form, which IPv4 ranges match. */
    {"\"loopback\"", "::ffff:127.0.0.1", "203.0.113.7", "203.0.113.7"},
    /* Entries are trimmed and written in canonical form, mapped IPv4 as IPv4. */
    {"true", "10.0.0.1", "  2001:DB8:0:0::5 ", "2001:db8::5"},
    {"\"loopback\"", "127.0.0.1", "0:0:0:0:0:ffff:cb00:7132", "203.0.113.50"},
    {"\"loopback\"", "127.0.0.1", "::ffff:203.0.113.50", "203.0.113.50"},
    {"false", "::ffff:10.0.0.1", "203.0.113.7", "10.0.0.1"},
    /* Text that is no address stops the walk at the hop that forwarded it. */
    {"true", "10.0.0.1", "evil\nlevel=error, 203.0.113.7", "203.0.113.7"},
    {"true", "10.0.0.1", "unknown", "10.0.0.1"},
    {"true", "10.0.0.1", "203.0.113.7,,", "10.0.0.1"},
};

static void client_follows_setting(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(client_cases) / sizeof(client_cases[0]); i++) {
        const client_case *c = &client_cases[i];
        json_t *setting = json_loads(c->setting, JSON_DECODE_ANY, NULL);
        gr_trust_proxy trust;
        char client[GR_TRUST_PROXY_ADDRESS_MAX];

        assert_non_null(setting);
        assert_int_equal(gr_trust_proxy_parse(setting, &trust), GR_OK);
        gr_trust_proxy_client(&trust, c->peer, c->forwarded_for, client);
        if (strcmp(client, c->client) != 0)
            fail_msg("case %zu (%s, peer %s, X-Forwarded-For %s): got %s, expected %s", i,
                     c->setting, c->peer, c->forwarded_for ? c->forwarded_for : "(none)", client,
                     c->client);
        json_decref(setting);
    }
}

/* A chain longer than GR_TRUST_PROXY_MAX_HOPS is read from the right up to the limit. */
static void client_walk_stops_at_max_hops(void **state)
{
    gr_trust_proxy trust;
    char client[GR_TRUST_PROXY_ADDRESS_MAX];
    char expected[GR_TRUST_PROXY_ADDRESS_MAX];
    json_t *setting = json_true();
    char *chain = gr_xstrdup("");

    (void)state;
    assert_int_equal(gr_trust_proxy_parse(setting, &trust), GR_OK);
    for (int i = 0; i < GR_TRUST_PROXY_MAX_HOPS + 10; i++) {
        char *longer = gr_xasprintf("%s%s10.0.%d.%d", chain, i ? ", " : "", i / 256, i % 256);

        free(chain);
        chain = longer;
    }
    gr_trust_proxy_client(&trust, "127.0.0.1", chain, client);
    snprintf(expected, sizeof(expected), "10.0.0.%d", 10);
    assert_string_equal(client, expected);
    free(chain);
    json_decref(setting);
}

typedef struct {
    const char *setting;
    const char *message; /* expected in the error */
} invalid_case;

static const invalid_case invalid_cases[] = {
    {"\"localhost\"", "'localhost' is not an IP address"},
    {"\"10.0.0.0/33\"", "'10.0.0.0/33' is not an IP address"},
    {"\"10.0.0.0/\"", "is not an IP address"},
    {"\"::1/129\"", "is not an IP address"},
    {"\"true\"", "for all proxies write true"},
    {"\"10.0.0.1,,10.0.0.2\"", "has an empty or overlong entry"},
    {"[\"10.0.0.1\", 5]", "item 1 is not a string"},
    {"-1", "-1 hops is outside the allowed range of 0 to 32"},
    {"33", "33 hops is outside the allowed range"},
    {"1.5", "must be true or false, a number of hops, or a list"},
    {"{}", "must be true or false"},
};

static void invalid_settings_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
        json_t *setting = json_loads(invalid_cases[i].setting, JSON_DECODE_ANY, NULL);
        gr_trust_proxy trust;

        assert_non_null(setting);
        assert_int_equal(gr_trust_proxy_parse(setting, &trust), GR_EINVALID);
        if (strstr(gr_error_last(), invalid_cases[i].message) == NULL)
            fail_msg("case %s: error '%s' lacks '%s'", invalid_cases[i].setting, gr_error_last(),
                     invalid_cases[i].message);
        assert_int_equal(trust.mode, GR_TRUST_PROXY_NONE);
        json_decref(setting);
    }
}

static void too_many_ranges_rejected(void **state)
{
    json_t *list = json_array();
    gr_trust_proxy trust;

    (void)state;
    for (int i = 0; i < GR_TRUST_PROXY_MAX_RANGES; i++) {
        char address[32];

        snprintf(address, sizeof(address), "10.0.0.%d", i);
        json_array_append_new(list, json_string(address));
    }
    assert_int_equal(gr_trust_proxy_parse(list, &trust), GR_OK);
    assert_int_equal(trust.range_count, GR_TRUST_PROXY_MAX_RANGES);
    json_array_append_new(list, json_string("loopback"));
    assert_int_equal(gr_trust_proxy_parse(list, &trust), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "more than 32 address ranges"));
    json_decref(list);
}

static int client_get(gr_request *req, gr_response *res, void *payload)
{
    const char *client = gr_req_client_addr(req);

    (void)payload;
    gr_res_body(res, 200, "text/plain", client, strlen(client));
    return 0;
}

/* Starts a server whose /client route returns gr_req_client_addr(), trusting `setting`. */
static gr_http_server *client_server(const char *setting)
{
    gr_http_options opts = {0};
    gr_http_server *server = NULL;
    json_t *value = json_loads(setting, JSON_DECODE_ANY, NULL);

    assert_int_equal(gr_trust_proxy_parse(value, &opts.trust_proxy), GR_OK);
    json_decref(value);
    opts.threads = 1;
    assert_int_equal(gr_http_server_new(&server, &opts), 0);
    assert_int_equal(gr_http_route(server, "GET", "/client", 0, client_get, NULL), 0);
    assert_int_equal(gr_http_server_start(server), 0);
    return server;
}

static gr_test_output get_client(gr_http_server *server, const char *const *headers)
{
    char *url = gr_xasprintf("http://127.0.0.1:%d/client", gr_http_server_port(server));
    gr_test_output out = gr_test_http("GET", url, headers, NULL);

    free(url);
    return out;
}

static void request_client_behind_proxy(void **state)
{
    const char *headers[] = {"X-Forwarded-For: 198.51.100.1", "X-Forwarded-For: 203.0.113.7",
                             NULL};
    gr_http_server *trusting = client_server("\"loopback\"");
    gr_http_server *plain = client_server("false");
    gr_test_output out;

    (void)state;
    /* Several headers count as one list, as Node.js joins them. */
    out = get_client(trusting, headers);
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "203.0.113.7");
    gr_test_output_free(&out);

    out = get_client(plain, headers);
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "127.0.0.1");
    gr_test_output_free(&out);

    gr_http_server_free(trusting);
    gr_http_server_free(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_follows_setting),
        cmocka_unit_test(client_walk_stops_at_max_hops),
        cmocka_unit_test(invalid_settings_rejected),
        cmocka_unit_test(too_many_ranges_rejected),
        cmocka_unit_test(request_client_behind_proxy),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
