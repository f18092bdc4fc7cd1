/* SPDX-License-Identifier: MIT */
/* The config keys the host itself reads (listen address, database, logging, app identity). */
#include "host/config/host_schema.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/restriction.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/trust_proxy.h"

/*
 * Turns Backstage's string form of backend.listen ("7007", ":7007",
 * "0.0.0.0:7007", "[::1]:7007") into {host, port}. An empty host keeps
 * greenroom's default 127.0.0.1, where Backstage would listen on every
 * interface, so a copied Backstage config stays local until it says 0.0.0.0.
 */
static int check_listen(json_t **value, gr_buf *message)
{
    const char *text = json_string_value(*value);
    const char *colon;
    char *host = NULL;
    char *end = NULL;
    long long port;
    json_t *listen;

    if (text == NULL)
        return 0;
    colon = strrchr(text, ':');
    if (colon != NULL) {
        host = gr_xstrndup(text, (size_t)(colon - text));
        text = colon + 1;
    }
    errno = 0;
    port = strtoll(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || errno != 0 || port < 0 || port > 65535 ||
        (host != NULL && strchr(host, ':') != NULL && host[0] != '[')) {
        gr_buf_puts(message, "must be <port> or <host>:<port>, such as 127.0.0.1:7007");
        free(host);
        return -1;
    }

    listen = json_pack("{sI}", "port", (json_int_t)port);
    if (host != NULL && host[0] == '[' && host[strlen(host) - 1] == ']')
        json_object_set_new(listen, "host", json_stringn(host + 1, strlen(host) - 2));
    else if (host != NULL && host[0] != '\0')
        json_object_set_new(listen, "host", json_string(host));
    free(host);
    *value = listen;
    return 0;
}

/*
 * Accepts a numeric IPv4 or IPv6 address only, because the server binds to
 * the address as written and resolves no names. An empty host becomes
 * 127.0.0.1, as the empty host of the string form ":7007" does.
 */
static int check_listen_host(json_t **value, gr_buf *message)
{
    const char *host = json_string_value(*value);
    struct in6_addr address;

    if (host[0] == '\0') {
        *value = json_string("127.0.0.1");
        return 0;
    }
    if (inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1)
        return 0;
    gr_buf_printf(message,
                  "must be an IPv4 or IPv6 address, found \"%s\". Write 127.0.0.1 or ::1 to "
                  "accept connections from this machine only, or 0.0.0.0 or :: to accept them "
                  "on every interface",
                  host);
    return -1;
}

static int check_port(json_t **value, gr_buf *message)
{
    json_int_t port = json_integer_value(*value);

    if (port < 0 || port > 65535) {
        gr_buf_puts(message, "must be a TCP port from 0 to 65535");
        return -1;
    }
    return 0;
}

static int check_pool_size(json_t **value, gr_buf *message)
{
    if (json_integer_value(*value) < 1) {
        gr_buf_puts(message, "must be at least 1");
        return -1;
    }
    return 0;
}

static int check_trust_proxy(json_t **value, gr_buf *message)
{
    gr_trust_proxy trust;

    if (gr_trust_proxy_parse(*value, &trust) == GR_OK)
        return 0;
    gr_buf_puts(message, gr_error_last());
    return -1;
}

static int check_database(json_t **value, gr_buf *message)
{
    const char *client = json_string_value(json_object_get(*value, "client"));
    bool postgres =
        client != NULL && (strcmp(client, "pg") == 0 || strcmp(client, "postgres") == 0 ||
                           strcmp(client, "postgresql") == 0);

    if (postgres && json_object_get(*value, "connection") == NULL) {
        gr_buf_printf(message,
                      "client %s needs a connection: a postgresql:// URL or an object "
                      "with host, port, user, password and database",
                      client);
        return -1;
    }
    return 0;
}

/* http://HOST:PORT from backend.listen, naming a wildcard address as localhost. */
static json_t *derive_backend_url(const gr_config *cfg)
{
    const char *host = gr_config_string(cfg, "backend.listen.host", "127.0.0.1");
    int64_t port = gr_config_int(cfg, "backend.listen.port", 7007);
    char *url;
    json_t *value;

    if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
        host = "localhost";
    if (strchr(host, ':') != NULL)
        url = gr_xasprintf("http://[%s]:%lld", host, (long long)port);
    else
        url = gr_xasprintf("http://%s:%lld", host, (long long)port);
    value = json_string(url);
    free(url);
    return value;
}

/* The UI is served by the backend, so the app's URL is the backend's. */
static json_t *derive_app_url(const gr_config *cfg)
{
    const char *url = gr_config_string(cfg, "backend.baseUrl", NULL);

    return url != NULL ? json_string(url) : NULL;
}

static const char *const database_clients[] = {"better-sqlite3", "sqlite3",    "pg",
                                               "postgres",       "postgresql", NULL};
static const char *const ssl_modes[] = {"disable",   "allow",       "prefer", "require",
                                        "verify-ca", "verify-full", NULL};
static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const external_access_types[] = {"static", "legacy", "jwks", NULL};

/* Minimum length of a static external-access token, as Backstage requires. */
#define HOST_STATIC_TOKEN_MIN_LEN 8

/* A legacy entry needs a secret and a subject; serve checks that the secret is base64. */
static int check_legacy_access(const json_t *options, gr_buf *message)
{
    if (!json_is_string(json_object_get(options, "secret"))) {
        gr_buf_puts(message, "a legacy entry needs options.secret");
        return 1;
    }
    if (!json_is_string(json_object_get(options, "subject"))) {
        gr_buf_puts(message, "a legacy entry needs options.subject, the caller's name");
        return 1;
    }
    return 0;
}

/* A jwks entry needs the URL of the key set. Serve checks its form and the algorithms. */
static int check_jwks_access(const json_t *options, gr_buf *message)
{
    if (!json_is_string(json_object_get(options, "url"))) {
        gr_buf_puts(message, "a jwks entry needs options.url, the issuer's JSON Web Key Set URL");
        return 1;
    }
    return 0;
}

/* A static entry needs a token without whitespace of at least 8 characters
 * and a subject, so that `config check` rejects what `serve` would reject.
 * The message never shows the token. Every type's accessRestrictions are
 * checked as serve reads them. */
static int check_external_access(json_t **value, gr_buf *message)
{
    const json_t *options = json_object_get(*value, "options");
    const char *type = json_string_value(json_object_get(*value, "type"));
    const char *token;

    if (gr_auth_restrictions_check(*value, message) != 0)
        return 1;
    if (type != NULL && strcmp(type, "legacy") == 0)
        return check_legacy_access(options, message);
    if (type != NULL && strcmp(type, "jwks") == 0)
        return check_jwks_access(options, message);
    if (type == NULL || strcmp(type, "static") != 0)
        return 0;
    token = json_string_value(json_object_get(options, "token"));
    if (token == NULL) {
        gr_buf_puts(message, "a static entry needs options.token");
        return 1;
    }
    if (strlen(token) < HOST_STATIC_TOKEN_MIN_LEN || strpbrk(token, " \t\r\n") != NULL) {
        gr_buf_printf(message, "options.token needs at least %d characters and no whitespace",
                      HOST_STATIC_TOKEN_MIN_LEN);
        return 1;
    }
    if (!json_is_string(json_object_get(options, "subject"))) {
        gr_buf_puts(message, "a static entry needs options.subject, the caller's name");
        return 1;
    }
    return 0;
}

const gr_config_key gr_config_host_keys[] = {
    {
        .path = "app.title",
        .types = GR_CONFIG_STRING,
        .default_json = "\"greenroom\"",
        .description = "Name of the portal, shown in the page header and the browser title.",
    },
    {
        .path = "app.baseUrl",
        .types = GR_CONFIG_STRING,
        .derive = derive_app_url,
        .derived_text = "the value of backend.baseUrl",
        .description = "URL where users open the portal. greenroom serves the web UI from the "
                       "backend, so this is normally the same as backend.baseUrl. Sign-in "
                       "redirects to it, and form posts from browsers must come from its "
                       "origin. `greenroom config check` and `serve` warn when its origin "
                       "(scheme, host and port) differs from that of backend.baseUrl.",
    },
    {
        .path = "organization.name",
        .types = GR_CONFIG_STRING,
        .default_json = "\"My Company\"",
        .description = "Name of the organization, shown on the home page and in page titles.",
    },
    {
        .path = "backend.baseUrl",
        .types = GR_CONFIG_STRING,
        .derive = derive_backend_url,
        .derived_text = "http://HOST:PORT from backend.listen (localhost for 0.0.0.0)",
        .description = "Public URL of the backend, used to build absolute links and "
                       "redirects. Set it when greenroom runs behind a proxy.",
    },
    {
        .path = "backend.listen",
        .types = GR_CONFIG_STRING | GR_CONFIG_OBJECT,
        .check = check_listen,
        .description = "Address the HTTP server listens on: an object with host and port, "
                       "or a string \"PORT\", \":PORT\" or \"HOST:PORT\". An empty host means "
                       "127.0.0.1 (Backstage listens on every interface then); write 0.0.0.0 "
                       "to listen on every interface.",
    },
    {
        .path = "backend.listen.host",
        .types = GR_CONFIG_STRING,
        .default_json = "\"127.0.0.1\"",
        .check = check_listen_host,
        .description = "IPv4 or IPv6 address to listen on, such as 127.0.0.1, ::1, 0.0.0.0 "
                       "or ::. A host name such as localhost is rejected. The default accepts "
                       "connections from this machine only, and so does an empty host.",
    },
    {
        .path = "backend.listen.port",
        .types = GR_CONFIG_INTEGER,
        .default_json = "7007",
        .check = check_port,
        .description = "TCP port to listen on.",
    },
    {
        .path = "backend.server.timeout",
        .types = GR_CONFIG_INTEGER | GR_CONFIG_STRING | GR_CONFIG_OBJECT,
        .default_json = "30",
        .description = "Time a connection may stay silent while a request is in progress, "
                       "from its complete headers until the response is sent: seconds, a "
                       "string such as \"30s\" or \"2m\", or an object such as {minutes: 1}.",
    },
    {
        .path = "backend.server.headersTimeout",
        .types = GR_CONFIG_INTEGER | GR_CONFIG_STRING | GR_CONFIG_OBJECT,
        .default_json = "10",
        .description = "Time a connection may stay silent while it waits for complete request "
                       "headers, as a new connection or kept alive between two requests, in the "
                       "forms of backend.server.timeout. Connections opened without a request "
                       "are closed after it.",
    },
    {
        .path = "backend.server.maxConnections",
        .types = GR_CONFIG_INTEGER,
        .default_json = "1024",
        .check = check_pool_size,
        .description = "Maximum number of open connections; more are closed at once. "
                       "greenroom raises its open-file limit to fit them, up to the hard "
                       "limit (ulimit -Hn).",
    },
    {
        .path = "backend.server.maxConnectionsPerClient",
        .types = GR_CONFIG_INTEGER,
        .default_json = "64",
        .check = check_pool_size,
        .description = "Maximum number of open connections from one IP address; more are "
                       "closed at once, so one client cannot take every connection. Behind a "
                       "reverse proxy every request comes from the proxy's address: raise it "
                       "to the proxy's connection count.",
    },
    {
        .path = "backend.trustProxy",
        .types = GR_CONFIG_BOOLEAN | GR_CONFIG_INTEGER | GR_CONFIG_STRING | GR_CONFIG_ARRAY,
        .default_json = "false",
        .check = check_trust_proxy,
        .description = "Reverse proxies whose X-Forwarded-For entries name the client. It "
                       "takes the forms that Backstage passes to Express's trust proxy setting: "
                       "true (every hop), a number of hops, or addresses, CIDR ranges and the "
                       "names loopback, linklocal and uniquelocal, as a comma-separated string "
                       "or a list. The client's address then goes into the request log, audit lines "
                       "and per-client rate limits. false ignores the header, which any client "
                       "can forge. With true, or more hops than there are proxies, the walk "
                       "reaches entries a client wrote itself, so prefer addresses. Connection "
                       "limits count TCP peers either way.",
    },
    {
        .path = "backend.trustProxy[]",
        .types = GR_CONFIG_STRING,
        .description = "An IP address, a CIDR range or one of loopback, linklocal and "
                       "uniquelocal.",
    },
    {
        .path = "backend.database",
        .types = GR_CONFIG_OBJECT,
        .check = check_database,
        .description = "The database that stores the catalog, search index, docs and tasks.",
    },
    {
        .path = "backend.database.client",
        .types = GR_CONFIG_STRING,
        .default_json = "\"better-sqlite3\"",
        .allowed = database_clients,
        .description = "Database engine: better-sqlite3 or sqlite3 for an embedded SQLite "
                       "file (both names mean the same), pg for PostgreSQL (postgres and "
                       "postgresql are accepted as other names for it).",
    },
    {
        .path = "backend.database.connection",
        .types = GR_CONFIG_STRING | GR_CONFIG_OBJECT,
        .default_json = "\"./data/greenroom.sqlite\"",
        .description = "For SQLite, the database file (relative to the working directory) or "
                       "\":memory:\". For PostgreSQL, a postgresql:// URL or an object with "
                       "host, port, user, password and database. A password in a URL is "
                       "masked by `greenroom config check`.",
    },
    {
        .path = "backend.database.connection.host",
        .types = GR_CONFIG_STRING,
        .description = "PostgreSQL server host name or IP address.",
    },
    {
        .path = "backend.database.connection.port",
        .types = GR_CONFIG_INTEGER,
        .check = check_port,
        .description = "PostgreSQL server port.",
    },
    {
        .path = "backend.database.connection.user",
        .types = GR_CONFIG_STRING,
        .description = "PostgreSQL user name.",
    },
    {
        .path = "backend.database.connection.password",
        .types = GR_CONFIG_STRING,
        .secret = true,
        .description = "PostgreSQL password.",
    },
    {
        .path = "backend.database.connection.database",
        .types = GR_CONFIG_STRING,
        .description = "PostgreSQL database name.",
    },
    {
        .path = "backend.database.connection.sslmode",
        .types = GR_CONFIG_STRING,
        .allowed = ssl_modes,
        .description = "PostgreSQL TLS mode, passed to libpq as sslmode.",
    },
    {
        .path = "backend.database.connection.ssl",
        .types = GR_CONFIG_BOOLEAN | GR_CONFIG_OBJECT,
        .description = "PostgreSQL TLS, as Backstage's node-postgres options: true or an object "
                       "verifies the server certificate and host name (libpq sslmode "
                       "verify-full), against the system CA bundle unless `ca` is set; false "
                       "turns TLS off. An explicit sslmode wins.",
    },
    {
        .path = "backend.database.connection.ssl.rejectUnauthorized",
        .types = GR_CONFIG_BOOLEAN,
        .description =
            "Default true. false encrypts without verifying the server certificate (libpq "
            "sslmode require).",
    },
    {
        .path = "backend.database.connection.ssl.ca",
        .types = GR_CONFIG_STRING,
        .description = "CA certificate that signs the server certificate: PEM text (for "
                       "example from `$file: ca.pem`) or the name of a PEM file. Passed to libpq "
                       "as sslrootcert.",
    },
    {
        .path = "backend.database.connection.application_name",
        .types = GR_CONFIG_STRING,
        .description = "Name PostgreSQL shows for greenroom's connections.",
    },
    {
        .path = "backend.database.connection.filename",
        .types = GR_CONFIG_STRING,
        .description = "SQLite database file, as an alternative to a string connection.",
    },
    {
        .path = "backend.database.pool.max",
        .types = GR_CONFIG_INTEGER,
        .check = check_pool_size,
        .description = "Maximum number of open database connections per instance (SQLite: "
                       "reader connections besides the one writer). When unset: 10 on "
                       "PostgreSQL, 4 readers on SQLite. With several instances, keep "
                       "instances times this below the server's max_connections.",
    },
    {
        .path = "backend.reading.allow",
        .types = GR_CONFIG_ARRAY,
        .default_json = "[]",
        .description = "Hosts that URL locations and $text/$json/$yaml placeholders may "
                       "read from, besides the hosts of configured integrations.",
    },
    {
        .path = "backend.reading.allow[].host",
        .types = GR_CONFIG_STRING,
        .required = true,
        .description = "Host name, optionally with a port; a leading `*.` allows every "
                       "subdomain.",
    },
    {
        .path = "backend.reading.allow[].paths",
        .types = GR_CONFIG_ARRAY,
        .description = "Path prefixes that may be read on this host; every path when unset.",
    },
    {
        .path = "backend.reading.allow[].paths[]",
        .types = GR_CONFIG_STRING,
        .description = "One path prefix, such as /docs/.",
    },
    {
        .path = "backend.auth.externalAccess",
        .types = GR_CONFIG_ARRAY,
        .default_json = "[]",
        .description = "Credentials that callers outside greenroom (scripts, other services) "
                       "present as bearer tokens.",
    },
    {
        .path = "backend.auth.externalAccess[]",
        .types = GR_CONFIG_OBJECT,
        .description = "One access method: `type` and its `options`.",
        .check = check_external_access,
    },
    {
        .path = "backend.auth.externalAccess[].type",
        .types = GR_CONFIG_STRING,
        .required = true,
        .allowed = external_access_types,
        .description = "static: a fixed token; legacy: a shared secret that signs tokens; "
                       "jwks: tokens verified against a JSON Web Key Set.",
    },
    {
        .path = "backend.auth.externalAccess[].options",
        .types = GR_CONFIG_OBJECT,
        .required = true,
        .description = "Settings of this access method.",
    },
    {
        .path = "backend.auth.externalAccess[].options.token",
        .types = GR_CONFIG_STRING,
        .secret = true,
        .description = "static: the token callers send.",
    },
    {
        .path = "backend.auth.externalAccess[].options.subject",
        .types = GR_CONFIG_STRING,
        .description = "static and legacy: the name callers are known by in logs and "
                       "permission rules, as `external:<subject>`.",
    },
    {
        .path = "backend.auth.externalAccess[].options.secret",
        .types = GR_CONFIG_STRING,
        .secret = true,
        .description = "legacy: the base64 shared secret that signs tokens.",
    },
    {
        .path = "backend.auth.externalAccess[].options.url",
        .types = GR_CONFIG_STRING,
        .description = "jwks: http or https URL of the issuer's JSON Web Key Set, fetched when "
                       "a token arrives and cached for an hour.",
    },
    {
        .path = "backend.auth.externalAccess[].options.issuer",
        .types = GR_CONFIG_STRING_OR_ARRAY,
        .description = "jwks: accepted values of the token's `iss` claim; unset accepts any.",
    },
    {
        .path = "backend.auth.externalAccess[].options.algorithm",
        .types = GR_CONFIG_STRING_OR_ARRAY,
        .description = "jwks: accepted signing algorithms, of ES256, ES384 and RS256; unset "
                       "accepts all three.",
    },
    {
        .path = "backend.auth.externalAccess[].options.audience",
        .types = GR_CONFIG_STRING_OR_ARRAY,
        .description = "jwks: accepted values of the token's `aud` claim; unset accepts any.",
    },
    {
        .path = "backend.auth.externalAccess[].options.subjectPrefix",
        .types = GR_CONFIG_STRING,
        .description = "jwks: callers are known as `external:<subjectPrefix>:<sub>` instead of "
                       "`external:<sub>`.",
    },
    {
        .path = "backend.auth.externalAccess[].accessRestrictions",
        .types = GR_CONFIG_ARRAY,
        .description = "Limits on what these callers may do. When set, the token may call only "
                       "the listed plugins; other plugins answer 403.",
    },
    {
        .path = "backend.auth.externalAccess[].accessRestrictions[]",
        .types = GR_CONFIG_OBJECT,
        .description = "One plugin the token may call, and what it may do there.",
    },
    {
        .path = "backend.auth.externalAccess[].accessRestrictions[].plugin",
        .types = GR_CONFIG_STRING,
        .required = true,
        .description = "Plugin id, the path segment after /api/ (catalog, search, techdocs, "
                       "scaffolder, ...). Each plugin may appear once per entry.",
    },
    {
        .path = "backend.auth.externalAccess[].accessRestrictions[].permission",
        .types = GR_CONFIG_STRING_OR_ARRAY,
        .description = "Permission names the token may be granted in this plugin, such as "
                       "catalog.entity.read; every other permission is denied. Unset allows "
                       "every permission that the policy allows.",
    },
    {
        .path = "backend.auth.externalAccess[].accessRestrictions[].permissionAttribute",
        .types = GR_CONFIG_OBJECT,
        .description = "Attributes that the permissions granted in this plugin must have.",
    },
    {
        .path = "backend.auth.externalAccess[].accessRestrictions[].permissionAttribute.action",
        .types = GR_CONFIG_STRING_OR_ARRAY,
        .description = "Permission actions allowed, of create, read, update and delete; "
                       "permissions with another action or none are denied.",
    },
    {
        .path = "backend.auth.dangerouslyDisableDefaultAuthPolicy",
        .types = GR_CONFIG_BOOLEAN,
        .default_json = "false",
        .description = "When true, every API route accepts callers without credentials. "
                       "Only for local experiments: anyone who reaches the port can read and "
                       "change everything.",
    },
    {
        .path = "backend.metrics.public",
        .types = GR_CONFIG_BOOLEAN,
        .default_json = "false",
        .description = "When true, GET /metrics answers without credentials, for a Prometheus "
                       "server on a trusted network. When false, a scraper sends a static "
                       "token of backend.auth.externalAccess as a bearer token.",
    },
    {
        .path = "backend.log.level",
        .types = GR_CONFIG_STRING,
        .default_json = "\"info\"",
        .allowed = log_levels,
        .description = "Lowest level of log lines written. The environment variable "
                       "GREENROOM_LOG_LEVEL overrides it.",
    },
    {.path = NULL},
};
