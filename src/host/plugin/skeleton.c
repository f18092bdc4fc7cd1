/* SPDX-License-Identifier: MIT */
/* Writes the plugin skeleton of `greenroom plugin new`. */
#include "host/plugin/skeleton.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/plugin/ctx.h"

/*
 * Templates. @ID@ is replaced by the plugin id and @SYMBOL@ by the id with
 * '-' turned into '_', for C names.
 */
static const char source_template[] =
    "/* The @ID@ plugin for greenroom: a JSON route, a page and a sidebar entry. */\n"
    "#include <greenroom/plugin.h>\n"
    "#include <string.h>\n"
    "\n"
    "typedef struct {\n"
    "    const gr_host_api *host;\n"
    "    gr_plugin_ctx *ctx;\n"
    "} @SYMBOL@_state;\n"
    "\n"
    "/* GET /api/@ID@/greeting: the configured greeting as plain text. */\n"
    "static int greeting_route(gr_request *req, gr_response *res, void *payload)\n"
    "{\n"
    "    @SYMBOL@_state *state = payload;\n"
    "    const char *text = state->host->config_string(state->ctx, \"greeting\", \"hello\");\n"
    "\n"
    "    (void)req;\n"
    "    return state->host->res_body(res, 200, \"text/plain; charset=utf-8\", text, "
    "strlen(text));\n"
    "}\n"
    "\n"
    "/* The page at /@ID@. Text from config or requests is always escaped. */\n"
    "static int render_page(gr_request *req, gr_html *out, void *payload)\n"
    "{\n"
    "    @SYMBOL@_state *state = payload;\n"
    "    const char *user = state->host->req_user(req);\n"
    "\n"
    "    state->host->html_raw(out, \"<p>\");\n"
    "    state->host->html_text(out, state->host->config_string(state->ctx, \"greeting\", "
    "\"hello\"));\n"
    "    state->host->html_raw(out, \", \");\n"
    "    state->host->html_text(out, user != NULL ? user : \"guest\");\n"
    "    state->host->html_raw(out, \"</p>\");\n"
    "    return GR_PLUGIN_OK;\n"
    "}\n"
    "\n"
    "static int setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)\n"
    "{\n"
    "    @SYMBOL@_state *state = host->alloc(sizeof(*state));\n"
    "    gr_plugin_page page = {.struct_size = sizeof(page), .path = \"/@ID@\",\n"
    "                           .title = \"@ID@\", .render = render_page, .payload = state};\n"
    "    gr_plugin_nav nav = {.struct_size = sizeof(nav), .label = \"@ID@\", .path = "
    "\"/@ID@\"};\n"
    "    int rc;\n"
    "\n"
    "    state->host = host;\n"
    "    state->ctx = ctx;\n"
    "    *out = state;\n"
    "    if ((rc = host->route(ctx, \"GET\", \"/greeting\", 0, greeting_route, state)) < 0 ||\n"
    "        (rc = host->page_add(ctx, &page)) < 0 || (rc = host->nav_add(ctx, &nav)) < 0)\n"
    "        return rc;\n"
    "    host->log(ctx, GR_PLUGIN_LOG_INFO, \"@ID@ is set up\");\n"
    "    return GR_PLUGIN_OK;\n"
    "}\n"
    "\n"
    "static void destroy(void *state)\n"
    "{\n"
    "    @SYMBOL@_state *self = state;\n"
    "\n"
    "    if (self != NULL)\n"
    "        self->host->free(self);\n"
    "}\n"
    "\n"
    "static const gr_plugin_config_key config_keys[] = {\n"
    "    {.path = \"greeting\", .types = GR_PLUGIN_CONFIG_STRING, .default_json = "
    "\"\\\"hello\\\"\",\n"
    "     .description = \"Text that the greeting route and page show.\"},\n"
    "    {.path = NULL},\n"
    "};\n"
    "\n"
    "static const gr_plugin_info info = {\n"
    "    .abi_version = GR_PLUGIN_ABI_VERSION,\n"
    "    .struct_size = sizeof(gr_plugin_info),\n"
    "    .id = \"@ID@\",\n"
    "    .version = \"0.1.0\",\n"
    "    .description = \"the @ID@ plugin\",\n"
    "    .config_keys = config_keys,\n"
    "    .setup = setup,\n"
    "    .destroy = destroy,\n"
    "};\n"
    "\n"
    "int gr_plugin_init(const gr_host_api *host, const gr_plugin_info **out)\n"
    "{\n"
    "    (void)host;\n"
    "    *out = &info;\n"
    "    return GR_PLUGIN_OK;\n"
    "}\n";

static const char cmake_template[] =
    "# Builds the @ID@ greenroom plugin as @ID@.so and registers its load test.\n"
    "cmake_minimum_required(VERSION 3.16)\n"
    "project(@ID@ C)\n"
    "\n"
    "find_package(PkgConfig REQUIRED)\n"
    "pkg_check_modules(GREENROOM REQUIRED IMPORTED_TARGET greenroom-plugin)\n"
    "\n"
    "add_library(@ID@ MODULE @ID@.c)\n"
    "set_target_properties(@ID@ PROPERTIES PREFIX \"\" C_STANDARD 17\n"
    "                      C_VISIBILITY_PRESET hidden)\n"
    "target_compile_options(@ID@ PRIVATE -Wall -Wextra)\n"
    "target_link_libraries(@ID@ PRIVATE PkgConfig::GREENROOM)\n"
    "\n"
    "enable_testing()\n"
    "add_test(NAME @ID@_loads COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test.sh "
    "$<TARGET_FILE:@ID@>)\n";

static const char test_template[] =
    "#!/bin/sh\n"
    "# Loads @ID@.so into a greenroom server on a free loopback port and checks\n"
    "# its route. Needs GREENROOM_BIN (default: greenroom on PATH) and curl.\n"
    "set -u\n"
    "plugin=${1:?usage: test.sh PATH/TO/@ID@.so}\n"
    "bin=${GREENROOM_BIN:-greenroom}\n"
    "work=$(mktemp -d)\n"
    "pid=\n"
    "cleanup() {\n"
    "    [ -n \"$pid\" ] && kill \"$pid\" 2>/dev/null && wait \"$pid\" 2>/dev/null\n"
    "    rm -rf \"$work\"\n"
    "}\n"
    "trap cleanup EXIT\n"
    "\n"
    "cat >\"$work/app-config.yaml\" <<EOF\n"
    "backend:\n"
    "  listen: {host: 127.0.0.1, port: 0}\n"
    "  database: {client: better-sqlite3, connection: $work/test.sqlite}\n"
    "  auth:\n"
    "    externalAccess:\n"
    "      - type: static\n"
    "        options: {token: @ID@-test-token, subject: test}\n"
    "plugins:\n"
    "  - path: $plugin\n"
    "    config: {greeting: hello from @ID@}\n"
    "EOF\n"
    "\n"
    "\"$bin\" serve --config \"$work/app-config.yaml\" 2>\"$work/log\" &\n"
    "pid=$!\n"
    "port=\n"
    "for _ in $(seq 1 100); do\n"
    "    port=$(sed -n 's/.*msg=ready.* port=\\([0-9]*\\).*/\\1/p' \"$work/log\")\n"
    "    [ -n \"$port\" ] && break\n"
    "    kill -0 \"$pid\" 2>/dev/null || break\n"
    "    sleep 0.1\n"
    "done\n"
    "if [ -z \"$port\" ]; then\n"
    "    echo \"FAIL: the server did not start:\"; cat \"$work/log\"; exit 1\n"
    "fi\n"
    "body=$(curl -s -H 'Authorization: Bearer @ID@-test-token' "
    "\"http://127.0.0.1:$port/api/@ID@/greeting\")\n"
    "if [ \"$body\" != \"hello from @ID@\" ]; then\n"
    "    echo \"FAIL: /api/@ID@/greeting returned '$body'\"; exit 1\n"
    "fi\n"
    "echo \"@ID@: loads and serves its route\"\n";

static const char readme_template[] =
    "# @ID@\n"
    "\n"
    "A greenroom plugin. Build it against the installed headers\n"
    "(`pkg-config greenroom-plugin` must find them; set PKG_CONFIG_PATH otherwise):\n"
    "\n"
    "    cmake -S . -B build && cmake --build build\n"
    "    ctest --test-dir build        # starts greenroom with the plugin loaded\n"
    "\n"
    "Load it by listing it in app-config.yaml:\n"
    "\n"
    "    plugins:\n"
    "      - path: ./build/@ID@.so\n"
    "        config:\n"
    "          greeting: hello\n";

/* Copies `text` with @ID@ and @SYMBOL@ replaced. */
static void expand(gr_buf *out, const char *text, const char *id, const char *symbol)
{
    const char *p = text;

    while (*p != '\0') {
        if (strncmp(p, "@ID@", 4) == 0) {
            gr_buf_puts(out, id);
            p += 4;
        } else if (strncmp(p, "@SYMBOL@", 8) == 0) {
            gr_buf_puts(out, symbol);
            p += 8;
        } else {
            gr_buf_putc(out, *p++);
        }
    }
}

static int write_file(const char *dir, const char *name, const char *text, const char *id,
                      const char *symbol)
{
    char *path = gr_xasprintf("%s/%s", dir, name);
    gr_buf content = GR_BUF_INIT;
    FILE *file = fopen(path, "wx");
    int rc = GR_OK;

    expand(&content, text, id, symbol);
    if (file == NULL || fwrite(content.data, 1, content.len, file) != content.len)
        rc = gr_error_set(GR_EBACKEND, "cannot write %s: %s", path, strerror(errno));
    if (file != NULL && fclose(file) != 0 && rc == GR_OK)
        rc = gr_error_set(GR_EBACKEND, "cannot write %s: %s", path, strerror(errno));
    gr_buf_free(&content);
    free(path);
    return rc;
}

int gr_plugin_skeleton_write(const char *name, const char *dir)
{
    char *symbol = gr_xstrdup(name);
    char *source = gr_xasprintf("%s.c", name);
    int rc = GR_OK;

    for (char *p = symbol; *p != '\0'; p++) {
        if (*p == '-')
            *p = '_';
    }
    if (mkdir(dir, 0755) != 0) {
        rc = gr_error_set(errno == EEXIST ? GR_ECONFLICT : GR_EBACKEND,
                          "cannot create the folder %s: %s%s", dir, strerror(errno),
                          errno == EEXIST ? "; choose a new folder" : "");
        goto done;
    }
    if ((rc = write_file(dir, source, source_template, name, symbol)) < 0 ||
        (rc = write_file(dir, "CMakeLists.txt", cmake_template, name, symbol)) < 0 ||
        (rc = write_file(dir, "test.sh", test_template, name, symbol)) < 0 ||
        (rc = write_file(dir, "README.md", readme_template, name, symbol)) < 0)
        goto done;
done:
    free(symbol);
    free(source);
    return rc;
}
