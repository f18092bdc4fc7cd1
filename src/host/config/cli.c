/* SPDX-License-Identifier: MIT */
/* The `greenroom config` command: check a config, print the key reference. */
#include "host/config/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/auth.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/server.h"
#include "host/permission/permission.h"
#include "host/yaml/yaml.h"

static const char config_usage[] =
    "usage: greenroom config check [--config FILE]...\n"
    "       greenroom config schema [--format markdown]\n"
    "\n"
    "Subcommands:\n"
    "  check              load and validate the config files, then print the\n"
    "                     merged config with secrets shown as <secret>\n"
    "  schema             print the reference of every config key\n"
    "\n"
    "Options:\n"
    "  --config FILE      config file to load; repeat it to merge several files,\n"
    "                     later files win; without it, ./app-config.yaml and\n"
    "                     ./app-config.local.yaml when they exist, else the\n"
    "                     defaults\n"
    "  --format markdown  output format of `schema` (markdown is the only one)\n"
    "  --help             print this help and exit\n"
    "\n"
    "APP_CONFIG_<path> environment variables override keys of the files, as in\n"
    "Backstage: APP_CONFIG_backend_listen_port=7008 sets backend.listen.port.\n"
    "\n"
    "Exit status: 0 when the config is valid, 2 when it is invalid or the\n"
    "arguments are wrong.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list args;

    fputs("greenroom config: ", stderr);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputs("; run 'greenroom config --help' for usage\n", stderr);
    return 2;
}

/* Writes `value` to stdout as one YAML document. Returns 0, or -1 after printing the error. */
static int print_yaml(json_t *value)
{
    gr_buf out = GR_BUF_INIT;
    int rc = gr_yaml_emit(value, &out);

    if (rc == GR_OK)
        fwrite(out.data, 1, out.len, stdout);
    else
        fprintf(stderr, "greenroom config: %s\n", gr_error_last());
    gr_buf_free(&out);
    return rc == GR_OK ? 0 : -1;
}

/* Names the permissions the rules use that only a plugin can declare, which serve checks. */
static void note_pending(const gr_permission_policy *policy)
{
    gr_buf names = GR_BUF_INIT;

    if (gr_permission_policy_pending(policy, &names) > 0)
        fprintf(stderr,
                "greenroom config: note: permission.rules name permissions that no built-in "
                "feature declares (%s); serve checks them against the plugins it loads\n",
                gr_buf_cstr(&names));
    gr_buf_free(&names);
}

/* Prints one warning: what is wrong, then what to write instead. */
static void print_warning(const gr_buf *problem, const gr_buf *fix)
{
    fprintf(stderr, "greenroom config: warning: %s. %s.\n", gr_buf_cstr(problem), gr_buf_cstr(fix));
}

/* Warns about valid settings that `serve` starts with but that do not work as a Backstage
 * user expects, such as a policy that denies everything or a UI URL this server does not serve. */
static void warn_misleading(const gr_config *cfg, const gr_permission_policy *policy)
{
    gr_buf problem = GR_BUF_INIT;
    gr_buf fix = GR_BUF_INIT;

    if (gr_permission_policy_denies_all(policy, &problem, &fix))
        print_warning(&problem, &fix);
    gr_buf_reset(&problem);
    gr_buf_reset(&fix);
    if (gr_config_base_urls_differ(cfg, &problem, &fix))
        print_warning(&problem, &fix);
    gr_buf_free(&problem);
    gr_buf_free(&fix);
}

/* Reads the settings that `serve` checks beyond the key schema (connection
 * limits, rate limits, token lifetimes, external access, proxies, the
 * permission policy), so that a config `check` accepts is one `serve` starts
 * with. Prints the first error, or the notes and warnings. */
static int check_services(const gr_config *cfg)
{
    gr_http_options http_options;
    gr_auth *auth = NULL;
    gr_permission_policy *policy = NULL;
    int rc;

    memset(&http_options, 0, sizeof(http_options));
    if ((rc = gr_http_options_read(cfg, &http_options)) == GR_OK &&
        (rc = gr_auth_new(&auth, cfg, NULL)) == GR_OK)
        rc = gr_permission_policy_new(&policy, cfg);
    if (rc != GR_OK) {
        fprintf(stderr, "%s\ngreenroom config: the configuration is invalid\n", gr_error_last());
    } else {
        note_pending(policy);
        warn_misleading(cfg, policy);
    }
    gr_permission_policy_free(policy);
    gr_auth_free(auth);
    return rc;
}

/* `config check`: exit 0 and the masked config when valid, 2 with the errors when not. */
static int run_check(int argc, char **argv)
{
    gr_config_schema *schema = NULL;
    gr_config *cfg = NULL;
    json_t *masked = NULL;
    int status = 2;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            i++;
        else if (strncmp(argv[i], "--config=", 9) != 0)
            return usage_error("unexpected argument '%s'", argv[i]);
    }
    if (gr_config_schema_builtin(&schema) != GR_OK) {
        fprintf(stderr, "greenroom config: %s\n", gr_error_last());
        return 1;
    }
    if (gr_config_load_args(&cfg, argc - 1, argv + 1, schema) != GR_OK) {
        fprintf(stderr, "%s\ngreenroom config: the configuration is invalid\n", gr_error_last());
        goto done;
    }
    if (check_services(cfg) != GR_OK)
        goto done;

    masked = gr_config_masked(cfg);
    status = print_yaml(masked) == 0 ? 0 : 1;

done:
    json_decref(masked);
    gr_config_free(cfg);
    gr_config_schema_free(schema);
    return status;
}

/* `config schema`: the Markdown reference of every key this binary reads. */
static int run_schema(int argc, char **argv)
{
    gr_config_schema *schema = NULL;
    gr_buf out = GR_BUF_INIT;

    for (int i = 1; i < argc; i++) {
        const char *format = NULL;

        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strncmp(argv[i], "--format=", 9) == 0)
            format = argv[i] + 9;
        else
            return usage_error("unexpected argument '%s'", argv[i]);
        if (strcmp(format, "markdown") != 0)
            return usage_error("unknown format '%s'; the only format is markdown", format);
    }
    if (gr_config_schema_builtin(&schema) != GR_OK) {
        fprintf(stderr, "greenroom config: %s\n", gr_error_last());
        return 1;
    }
    gr_config_schema_markdown(schema, &out);
    fwrite(out.data, 1, out.len, stdout);
    gr_buf_free(&out);
    gr_config_schema_free(schema);
    return 0;
}

static int config_run(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("a subcommand is needed: check or schema");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(config_usage, stdout);
            return 0;
        }
    }
    if (strcmp(argv[1], "check") == 0)
        return run_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "schema") == 0)
        return run_schema(argc - 1, argv + 1);
    return usage_error("unknown subcommand '%s'; use check or schema", argv[1]);
}

const gr_cli_command gr_config_cli_command = {
    .name = "config",
    .summary = "check the configuration or print its reference",
    .usage = config_usage,
    .run = config_run,
};
