/* SPDX-License-Identifier: MIT */
/* The host's authenticator for catalog API tests, configured with one static token. */
#ifndef GR_TEST_CATALOG_API_AUTH_H
#define GR_TEST_CATALOG_API_AUTH_H

#include <stdio.h>
#include <stdlib.h>

#include "support/gr_test.h"
#include "host/auth/external_access.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/http.h"

/*
 * Loads an app-config with `backend.auth.externalAccess: [{type: static,
 * options: {token, subject: test}}]` from a file in `dir`, and installs the
 * host's static-token authenticator on `server`. Returns the gr_auth to free
 * after the server, or NULL with the problem printed.
 */
static inline gr_auth *catalog_api_auth(gr_http_server *server, const char *dir, const char *token)
{
    char *yaml = gr_xasprintf("backend:\n"
                              "  auth:\n"
                              "    externalAccess:\n"
                              "      - type: static\n"
                              "        options:\n"
                              "          token: %s\n"
                              "          subject: test\n",
                              token);
    char *path = gr_xasprintf("%s/app-config.yaml", dir);
    const char *files[] = {path};
    gr_config_schema *schema = NULL;
    gr_config *config = NULL;
    gr_auth *auth = NULL;

    gr_test_write_file(dir, "app-config.yaml", yaml);
    if (gr_config_schema_builtin(&schema) != GR_OK || gr_config_load(&config, files, 1, schema) != GR_OK ||
        gr_auth_new(&auth, config) != GR_OK)
        fprintf(stderr, "configuring the authenticator failed: %s\n", gr_error_last());
    else
        gr_http_set_authenticator(server, gr_auth_authenticate, auth);
    gr_config_free(config);
    gr_config_schema_free(schema);
    free(path);
    free(yaml);
    return auth;
}

#endif
