/* SPDX-License-Identifier: MIT */
/* The host's authenticator for catalog API tests, configured with one static token. */
#ifndef GR_TEST_CATALOG_API_AUTH_H
#define GR_TEST_CATALOG_API_AUTH_H

#include <stdio.h>
#include <stdlib.h>

#include "support/gr_test.h"
#include "host/auth/auth.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/http.h"

/* The authenticator and the config it borrows, freed together. */
typedef struct {
    gr_auth *auth;
    gr_config *config;
} catalog_api_authenticator;

static inline void catalog_api_auth_free(catalog_api_authenticator *authn)
{
    if (authn == NULL)
        return;
    gr_auth_free(authn->auth);
    gr_config_free(authn->config);
    free(authn);
}

/*
 * Loads `yaml` as app-config from a file in `dir` and installs the host's
 * static-token authenticator on `server`. The log level follows
 * GREENROOM_LOG_LEVEL. Returns the authenticator to free with
 * catalog_api_auth_free() after the server, or NULL with the problem printed.
 * The authenticator has no database, so only static tokens work.
 */
static inline catalog_api_authenticator *catalog_api_auth_yaml(gr_http_server *server,
                                                               const char *dir, const char *yaml)
{
    char *path = gr_xasprintf("%s/app-config.yaml", dir);
    const char *files[] = {path};
    gr_config_schema *schema = NULL;
    gr_config *config = NULL;
    gr_auth *auth = NULL;
    catalog_api_authenticator *authn = NULL;

    gr_test_write_file(dir, "app-config.yaml", yaml);
    if (gr_config_schema_builtin(&schema) != GR_OK || gr_config_load(&config, files, 1, schema) != GR_OK ||
        gr_auth_new(&auth, config, NULL) != GR_OK) {
        fprintf(stderr, "configuring the authenticator failed: %s\n", gr_error_last());
        gr_config_free(config);
    } else {
        gr_http_set_authenticator(server, gr_auth_authenticate, auth);
        gr_config_apply_log_level(config);
        authn = gr_xcalloc(1, sizeof(*authn));
        authn->auth = auth;
        authn->config = config;
    }
    gr_config_schema_free(schema);
    free(path);
    return authn;
}

/*
 * Installs the authenticator of catalog_api_auth_yaml() with one static
 * token of subject "test" (identity "external:test").
 */
static inline catalog_api_authenticator *catalog_api_auth(gr_http_server *server, const char *dir,
                                                          const char *token)
{
    char *yaml = gr_xasprintf("backend:\n"
                              "  auth:\n"
                              "    externalAccess:\n"
                              "      - type: static\n"
                              "        options:\n"
                              "          token: %s\n"
                              "          subject: test\n",
                              token);
    catalog_api_authenticator *authn = catalog_api_auth_yaml(server, dir, yaml);

    free(yaml);
    return authn;
}

#endif
