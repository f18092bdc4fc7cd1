/* SPDX-License-Identifier: MIT */
/* The auth plugin, set up through the plugin ABI: the guest and OpenID Connect sign-in providers
 * and the sign-in page. */
#include "plugins/auth/plugin.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/signin.h"
#include "host/common/alloc.h"
#include "host/common/assets.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/plugin/plugin.h"
#include "plugins/auth/catalog_lookup.h"
#include "plugins/ui/ui.h"

/* Positions on the sign-in page: OIDC first, the guest after the host's proxies. */
#define OIDC_ORDER 0
#define GUEST_ORDER 200

const char *gr_auth_plugin_local_path(const char *requested)
{
    return gr_auth_local_path(requested);
}

json_t *gr_auth_plugin_providers(const auth_plugin *plugin, const char *redirect)
{
    return gr_auth_signin_list(plugin->auth, redirect);
}

/* The default policy with the page's one inline stylesheet allowed by its hash. */
static const char *page_csp(gr_request *req, const char *html)
{
    const char *open = strstr(html, "<style>");
    const char *close = open ? strstr(open, "</style>") : NULL;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    unsigned char encoded[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];

    if (close == NULL)
        return "default-src 'self'; base-uri 'self'; form-action 'self'; "
               "frame-ancestors 'none'; object-src 'none'";
    open += strlen("<style>");
    SHA256((const unsigned char *)open, (size_t)(close - open), digest);
    EVP_EncodeBlock(encoded, digest, sizeof(digest));
    return gr_arena_printf(gr_req_arena(req),
                           "default-src 'self'; style-src 'sha256-%s'; base-uri 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; object-src 'none'",
                           encoded);
}

/* With the portal UI, its /signin page is the one sign-in page: this route
 * sends the browser there. Without it, this page lists the providers. */
static int handle_sign_in_page(gr_request *req, gr_response *res, void *payload)
{
    auth_plugin *plugin = payload;
    const gr_asset *page = gr_asset_find("plugins/auth/signin.html");
    const char *redirect = gr_auth_plugin_local_path(gr_req_query(req, "redirect"));
    json_t *providers;
    json_t *provider;
    gr_buf list = GR_BUF_INIT;
    gr_buf html = GR_BUF_INIT;
    const char *marker;
    const char *text = (const char *)page->data;
    size_t i;

    gr_res_header(res, "Cache-Control", "no-store");
    if (gr_host_lookup(plugin->host, GR_UI_SERVICE) != NULL) {
        gr_buf_puts(&list, "/signin?redirect=");
        gr_auth_url_encode(&list, redirect);
        gr_res_redirect(res, 302, gr_buf_cstr(&list));
        gr_buf_free(&list);
        return GR_OK;
    }
    providers = gr_auth_plugin_providers(plugin, redirect);
    json_array_foreach(providers, i, provider)
    {
        gr_buf_puts(&list, "<li><a class=\"provider\" href=\"");
        gr_buf_put_html(&list, json_string_value(json_object_get(provider, "href")));
        gr_buf_puts(&list, "\">Sign in with ");
        gr_buf_put_html(&list, json_string_value(json_object_get(provider, "label")));
        gr_buf_puts(&list, "</a></li>\n");
    }
    if (list.len == 0)
        gr_buf_puts(&list, "<li>No sign-in provider is configured. Add one under "
                           "auth.providers in app-config.yaml.</li>\n");
    json_decref(providers);

    marker = strstr(text, "{{providers}}");
    gr_res_header(res, "Content-Security-Policy", page_csp(req, text));
    gr_buf_append(&html, text, (size_t)(marker - text));
    gr_buf_puts(&html, gr_buf_cstr(&list));
    gr_buf_puts(&html, marker + strlen("{{providers}}"));
    gr_res_body(res, 200, "text/html; charset=utf-8", html.data, html.len);
    gr_buf_free(&list);
    gr_buf_free(&html);
    return GR_OK;
}

/* Registers the providers that the config enables. */
static int register_providers(auth_plugin *plugin, gr_plugin_ctx *ctx)
{
    const gr_plugin_signin_provider oidc = {
        .struct_size = sizeof(oidc),
        .id = "oidc",
        .label = "single sign-on",
        .order = OIDC_ORDER,
        .start = auth_oidc_start,
        .frame = auth_oidc_callback,
        .payload = plugin,
    };
    const gr_plugin_signin_provider guest = {
        .struct_size = sizeof(guest),
        .id = "guest",
        .label = "a guest account (development only)",
        .order = GUEST_ORDER,
        .start = auth_guest_sign_in,
        .refresh = auth_guest_sign_in,
        .payload = plugin,
    };
    int rc;

    if (plugin->oidc.enabled && (rc = plugin->api->signin_provider_add(ctx, &oidc)) < 0)
        return rc;
    if (plugin->guest.enabled && (rc = plugin->api->signin_provider_add(ctx, &guest)) < 0)
        return rc;
    return GR_OK;
}

static void auth_destroy(void *state)
{
    auth_plugin *plugin = state;

    if (plugin == NULL)
        return;
    auth_guest_clear(&plugin->guest);
    auth_oidc_clear(&plugin->oidc);
    free(plugin);
}

static int auth_setup(const gr_host_api *api, gr_plugin_ctx *ctx, void **out)
{
    gr_host *host = gr_plugin_builtin_host(ctx);
    auth_plugin *plugin = gr_xcalloc(1, sizeof(*plugin));
    int rc;

    pthread_mutex_init(&plugin->oidc.lock, NULL);
    *out = plugin;
    plugin->api = api;
    plugin->host = host;
    plugin->auth = host != NULL ? host->auth : NULL;
    if (plugin->auth == NULL || gr_auth_keys_get(plugin->auth) == NULL)
        return api->error_set(GR_PLUGIN_EINVALID, "the auth plugin needs the host's "
                                                  "authentication and database");
    /* TODO: the user lookup reads the catalog's tables. It belongs to the
     * catalog, which would install it through a service the host offers. */
    if (gr_auth_user_lookup_get(plugin->auth) == NULL) {
        gr_auth_user_lookup lookup;

        gr_auth_catalog_lookup(host->db, &lookup);
        gr_auth_set_user_lookup(plugin->auth, &lookup);
    }
    if ((rc = auth_guest_configure(plugin, host->config)) < 0 ||
        (rc = auth_oidc_configure(plugin, host->config)) < 0 ||
        (rc = register_providers(plugin, ctx)) < 0 ||
        (rc = api->route(ctx, "GET", "/sign-in", GR_PLUGIN_ROUTE_PUBLIC, handle_sign_in_page,
                         plugin)) < 0)
        return rc;
    /* TODO: the UI's sign-in page (plugins/ui/signin.c) finds this state
     * with gr_host_lookup(), so it stays on the host until the UI reads the
     * provider list through the ABI. */
    return gr_host_provide(host, GR_AUTH_SERVICE, plugin);
}

static const gr_plugin_info auth_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "auth",
    .version = GR_VERSION,
    .description = "sign-in providers (guest and OpenID Connect) and the sign-in page",
    .setup = auth_setup,
    .destroy = auth_destroy,
};

int gr_auth_plugin_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &auth_info;
    return GR_PLUGIN_OK;
}

int gr_auth_plugin_init(gr_host *host, void **state_out)
{
    return gr_plugin_adapter_init(host, gr_auth_plugin_entry, state_out);
}

void gr_auth_plugin_destroy(void *state)
{
    gr_plugin_adapter_destroy(state);
}
