/* SPDX-License-Identifier: MIT */
/* The scaffolder's shared services and settings, read from the app config. */
#include "plugins/scaffolder/scaffolder.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "plugins/scaffolder/plugin.h"
#include "plugins/scaffolder/worker.h"
#include "plugins/scaffolder/workspace.h"

const gr_plugin_config_key gr_scaffolder_config_keys[] = {
    {
        .path = "scaffolder.workingDirectory",
        .types = GR_PLUGIN_CONFIG_STRING,
        .default_json = "\"./data/scaffolder\"",
        .description = "Folder below which every task gets its own workspace folder, removed "
                       "when the task ends. A relative path is resolved against the folder the "
                       "server was started in.",
    },
    {
        .path = "scaffolder.concurrentTasksLimit",
        .types = GR_PLUGIN_CONFIG_INTEGER,
        .default_json = "10",
        .description = "Number of tasks one instance runs at the same time; 0 runs none, so "
                       "the instance only accepts tasks for others to run.",
    },
    {
        .path = "scaffolder.taskTimeoutSeconds",
        .types = GR_PLUGIN_CONFIG_INTEGER,
        .default_json = "3600",
        .description = "Time limit of one task, in seconds. A task still running then fails.",
    },
    {
        .path = "scaffolder.taskLeaseSeconds",
        .types = GR_PLUGIN_CONFIG_INTEGER,
        .default_json = "60",
        .description = "How long a running task's claim lasts without a heartbeat, in seconds "
                       "(at least 2). When the instance running a task dies, the task is marked "
                       "failed once its claim has expired.",
    },
    {
        .path = "scaffolder.limits.workspaceBytes",
        .types = GR_PLUGIN_CONFIG_INTEGER,
        .default_json = "536870912",
        .description = "Maximum size of the files in one task's workspace, in bytes.",
    },
    {
        .path = "scaffolder.limits.templateIterations",
        .types = GR_PLUGIN_CONFIG_INTEGER,
        .default_json = "10000000",
        .description = "Maximum template work of one task or dry run: loop iterations and "
                       "generated list items of every template it renders, counted together. "
                       "A run that uses more fails with a message naming this key.",
    },
    {
        .path = "scaffolder.dryRun.timeoutSeconds",
        .types = GR_PLUGIN_CONFIG_INTEGER,
        .default_json = "30",
        .description = "Time limit of one dry run (POST /api/scaffolder/v2/dry-run), in "
                       "seconds. A dry run runs while its request waits and fails once the "
                       "limit has passed, also in the middle of rendering a template.",
    },
    {
        .path = "scaffolder.dryRun.concurrency",
        .types = GR_PLUGIN_CONFIG_INTEGER,
        .default_json = "0",
        .description = "Number of dry runs one instance runs at the same time, on the "
                       "server's 8 job threads, which catalog dry runs and location analyses "
                       "share. Further requests get 429 with a Retry-After header. 0 allows the "
                       "number of CPUs less one, at least 1 and at most 4, so that job threads "
                       "stay free for the catalog.",
    },
    {
        .path = "scaffolder.defaultAuthor.name",
        .types = GR_PLUGIN_CONFIG_STRING,
        .default_json = "\"Scaffolder\"",
        .description = "Author name of the commits that publish actions make.",
    },
    {
        .path = "scaffolder.defaultAuthor.email",
        .types = GR_PLUGIN_CONFIG_STRING,
        .default_json = "\"scaffolder@backstage.io\"",
        .description = "Author email of the commits that publish actions make.",
    },
    {
        .path = "scaffolder.defaultCommitMessage",
        .types = GR_PLUGIN_CONFIG_STRING,
        .default_json = "\"Initial commit\"",
        .description = "Message of the first commit that publish actions make.",
    },
    {
        .path = "scaffolder.templateRoots",
        .types = GR_PLUGIN_CONFIG_ARRAY,
        .default_json = "[]",
        .description = "Folders that templates read from local files may fetch from with "
                       "relative URLs leading outside their own folder (such as "
                       "../../skeletons/x). Without an entry, a file template reads only "
                       "below its own folder.",
    },
    {.path = "scaffolder.templateRoots[]", .types = GR_PLUGIN_CONFIG_STRING},
    {
        .path = "scaffolder.publishGit.localRoots",
        .types = GR_PLUGIN_CONFIG_ARRAY,
        .default_json = "[]",
        .description = "Folders under which publish:git may push to local repositories "
                       "(a path or a file:// URL). Remote URLs need no entry.",
    },
    {.path = "scaffolder.publishGit.localRoots[]", .types = GR_PLUGIN_CONFIG_STRING},
    {.path = NULL},
};

static char *trim_slash(const char *url)
{
    size_t len = strlen(url);

    while (len > 0 && url[len - 1] == '/')
        len--;
    return gr_xstrndup(url, len);
}

static void read_integrations(const json_t *list, gr_scm_kind kind, gr_scaffolder_integration **out,
                              size_t *count)
{
    const char *default_host = kind == GR_SCM_GITHUB ? "github.com" : "gitlab.com";
    bool has_default = false;
    size_t index;
    json_t *item;

    *out = gr_xcalloc(json_array_size(list) + 1, sizeof(**out));
    *count = 0;
    json_array_foreach(list, index, item)
    {
        gr_scaffolder_integration *entry = &(*out)[*count];
        const char *host = json_string_value(json_object_get(item, "host"));
        const char *api = json_string_value(json_object_get(item, "apiBaseUrl"));
        const char *base = json_string_value(json_object_get(item, "baseUrl"));
        const char *token = json_string_value(json_object_get(item, "token"));

        if (host == NULL)
            continue;
        entry->host = gr_xstrdup(host);
        if (api != NULL)
            entry->api_base_url = trim_slash(api);
        else if (kind == GR_SCM_GITHUB)
            entry->api_base_url = strcmp(host, "github.com") == 0
                                      ? gr_xstrdup("https://api.github.com")
                                      : gr_xasprintf("https://%s/api/v3", host);
        else
            entry->api_base_url = gr_xasprintf("https://%s/api/v4", host);
        entry->base_url = base ? trim_slash(base) : gr_xasprintf("https://%s", host);
        entry->token = token && token[0] ? gr_xstrdup(token) : NULL;
        has_default = has_default || strcmp(host, default_host) == 0;
        (*count)++;
    }
    if (!has_default) {
        gr_scaffolder_integration *entry = &(*out)[(*count)++];

        entry->host = gr_xstrdup(default_host);
        entry->api_base_url = gr_xstrdup(kind == GR_SCM_GITHUB ? "https://api.github.com"
                                                               : "https://gitlab.com/api/v4");
        entry->base_url = gr_xasprintf("https://%s", default_host);
    }
}

static void integrations_free(gr_scaffolder_integration *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(list[i].host);
        free(list[i].api_base_url);
        free(list[i].base_url);
        free(list[i].token);
    }
    free(list);
}

static void read_strings(const gr_config *config, const char *path, char ***out, size_t *count)
{
    const json_t *list = config ? gr_config_node(config, path) : NULL;
    size_t index;
    json_t *item;

    *out = gr_xcalloc(json_array_size(list) + 1, sizeof(char *));
    *count = 0;
    json_array_foreach(list, index, item) if (json_is_string(item))(*out)[(*count)++] =
        gr_xstrdup(json_string_value(item));
}

static void set_template_integrations(gr_scaffolder *scaffolder)
{
    json_t *hosts = json_object();

    for (size_t i = 0; i < scaffolder->github_count; i++)
        json_object_set_new(hosts, scaffolder->github[i].host, json_string("github"));
    for (size_t i = 0; i < scaffolder->gitlab_count; i++)
        json_object_set_new(hosts, scaffolder->gitlab[i].host, json_string("gitlab"));
    json_object_set_new(hosts, "bitbucket.org", json_string("bitbucketCloud"));
    json_object_set_new(hosts, "dev.azure.com", json_string("azure"));
    gr_tmpl_set_integrations(scaffolder->engine, hosts);
    json_decref(hosts);
}

/*
 * Stores `path` made absolute against the current working directory in *out
 * (caller frees). Dry-run template locations are built from this folder,
 * and a relative location cannot resolve a template's relative URLs.
 */
static int absolute_work_dir(const char *path, char **out)
{
    char cwd[PATH_MAX];
    char *joined;
    char *normalized;

    *out = NULL;
    if (path[0] == '/') {
        *out = gr_xstrdup(path);
        return 0;
    }
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return gr_error_set(GR_EBACKEND,
                            "scaffolder.workingDirectory '%s' is relative, but the current working "
                            "directory cannot be read: %s. Set an absolute path.",
                            path, strerror(errno));
    joined = gr_xasprintf("%s/%s", cwd, path);
    normalized = gr_xstrdup(joined);
    /* The normalized path has no leading '/'. Normalizing fails only when ".." climbs above
     * the root, and then the joined path is kept. */
    if (gr_scaffolder_path_normalize(normalized) >= 0)
        *out = gr_xasprintf("/%s", normalized);
    else
        *out = gr_xstrdup(joined);
    free(normalized);
    free(joined);
    return 0;
}

/* Reads the template budget and the dry-run limits. */
static int read_run_limits(gr_scaffolder *scaffolder, const gr_config *config)
{
    int64_t iterations = GR_SCAFFOLDER_DEFAULT_TEMPLATE_ITERATIONS;
    int64_t dry_run_s = GR_SCAFFOLDER_DEFAULT_DRY_RUN_TIMEOUT_S;
    int64_t dry_runs = 0;

    if (config != NULL) {
        iterations = gr_config_int(config, "scaffolder.limits.templateIterations", iterations);
        dry_run_s = gr_config_int(config, "scaffolder.dryRun.timeoutSeconds", dry_run_s);
        dry_runs = gr_config_int(config, "scaffolder.dryRun.concurrency", dry_runs);
    }
    if (iterations <= 0)
        return gr_error_set(GR_EINVALID,
                            "scaffolder.limits.templateIterations is %lld; it must be positive",
                            (long long)iterations);
    if (dry_run_s <= 0)
        return gr_error_set(GR_EINVALID,
                            "scaffolder.dryRun.timeoutSeconds is %lld; it must be positive",
                            (long long)dry_run_s);
    if (dry_runs < 0 || dry_runs > INT_MAX)
        return gr_error_set(GR_EINVALID,
                            "scaffolder.dryRun.concurrency is %lld; use 0 for the default or a "
                            "positive number",
                            (long long)dry_runs);
    scaffolder->template_iterations = (uint64_t)iterations;
    scaffolder->dry_run_timeout_ms = dry_run_s * 1000;
    scaffolder->dry_run_limit = (int)dry_runs;
    return 0;
}

int gr_scaffolder_new(gr_scaffolder **out, const gr_config *config, gr_db *db)
{
    gr_scaffolder *scaffolder = gr_xcalloc(1, sizeof(*scaffolder));
    int64_t timeout_s;
    int64_t lease_s;
    int rc;

    *out = NULL;
    scaffolder->config = config;
    scaffolder->db = db;
    scaffolder->actions = gr_scaffolder_actions_new();
    scaffolder->engine = gr_tmpl_engine_new(NULL);
    if ((rc = gr_scaffolder_actions_add_builtin(scaffolder->actions)) < 0) {
        gr_scaffolder_free(scaffolder);
        return rc;
    }
    read_integrations(config ? gr_config_node(config, "integrations.github") : NULL, GR_SCM_GITHUB,
                      &scaffolder->github, &scaffolder->github_count);
    read_integrations(config ? gr_config_node(config, "integrations.gitlab") : NULL, GR_SCM_GITLAB,
                      &scaffolder->gitlab, &scaffolder->gitlab_count);
    set_template_integrations(scaffolder);
    read_strings(config, "scaffolder.templateRoots", &scaffolder->template_roots,
                 &scaffolder->template_root_count);
    read_strings(config, "scaffolder.publishGit.localRoots", &scaffolder->local_remote_roots,
                 &scaffolder->local_remote_root_count);

    rc = absolute_work_dir(
        config ? gr_config_string(config, "scaffolder.workingDirectory", "./data/scaffolder")
               : "./data/scaffolder",
        &scaffolder->work_dir);
    if (rc < 0) {
        gr_scaffolder_free(scaffolder);
        return rc;
    }
    timeout_s = config ? gr_config_int(config, "scaffolder.taskTimeoutSeconds",
                                       GR_SCAFFOLDER_DEFAULT_TIMEOUT_S)
                       : GR_SCAFFOLDER_DEFAULT_TIMEOUT_S;
    scaffolder->workspace_bytes = config ? gr_config_int(config, "scaffolder.limits.workspaceBytes",
                                                         GR_SCAFFOLDER_DEFAULT_WORKSPACE_BYTES)
                                         : GR_SCAFFOLDER_DEFAULT_WORKSPACE_BYTES;
    scaffolder->concurrency =
        (int)(config ? gr_config_int(config, "scaffolder.concurrentTasksLimit", 10) : 10);
    if ((rc = read_run_limits(scaffolder, config)) < 0) {
        gr_scaffolder_free(scaffolder);
        return rc;
    }
    lease_s = config ? gr_config_int(config, "scaffolder.taskLeaseSeconds", GR_TASK_LEASE_MS / 1000)
                     : GR_TASK_LEASE_MS / 1000;
    if (lease_s < 2) {
        gr_scaffolder_free(scaffolder);
        return gr_error_set(GR_EINVALID,
                            "scaffolder.taskLeaseSeconds is %lld; it must be at least 2, because "
                            "running tasks send a heartbeat every second",
                            (long long)lease_s);
    }
    scaffolder->lease_ms = lease_s * 1000;
    if (timeout_s <= 0 || scaffolder->workspace_bytes <= 0 || scaffolder->concurrency < 0) {
        gr_scaffolder_free(scaffolder);
        return gr_error_set(GR_EINVALID,
                            "scaffolder.taskTimeoutSeconds and scaffolder.limits.workspaceBytes "
                            "must be positive, scaffolder.concurrentTasksLimit not negative");
    }
    scaffolder->timeout_ms = timeout_s * 1000;
    scaffolder->author_name =
        gr_xstrdup(config ? gr_config_string(config, "scaffolder.defaultAuthor.name", "Scaffolder")
                          : "Scaffolder");
    scaffolder->author_email =
        gr_xstrdup(config ? gr_config_string(config, "scaffolder.defaultAuthor.email",
                                             "scaffolder@backstage.io")
                          : "scaffolder@backstage.io");
    scaffolder->commit_message = gr_xstrdup(
        config ? gr_config_string(config, "scaffolder.defaultCommitMessage", "Initial commit")
               : "Initial commit");
    *out = scaffolder;
    return 0;
}

void gr_scaffolder_free(gr_scaffolder *scaffolder)
{
    if (scaffolder == NULL)
        return;
    gr_scaffolder_actions_free(scaffolder->actions);
    free(scaffolder->catalog_owned);
    gr_tmpl_engine_free(scaffolder->engine);
    integrations_free(scaffolder->github, scaffolder->github_count);
    integrations_free(scaffolder->gitlab, scaffolder->gitlab_count);
    for (size_t i = 0; i < scaffolder->template_root_count; i++)
        free(scaffolder->template_roots[i]);
    free(scaffolder->template_roots);
    for (size_t i = 0; i < scaffolder->local_remote_root_count; i++)
        free(scaffolder->local_remote_roots[i]);
    free(scaffolder->local_remote_roots);
    free(scaffolder->work_dir);
    free(scaffolder->author_name);
    free(scaffolder->author_email);
    free(scaffolder->commit_message);
    free(scaffolder);
}

void gr_scaffolder_add_template_root(gr_scaffolder *scaffolder, const char *dir)
{
    size_t count = scaffolder->template_root_count;

    scaffolder->template_roots =
        gr_xrealloc(scaffolder->template_roots, (count + 2) * sizeof(char *));
    scaffolder->template_roots[count] = gr_xstrdup(dir);
    scaffolder->template_roots[count + 1] = NULL;
    scaffolder->template_root_count++;
}

const gr_scaffolder_integration *gr_scaffolder_integration_find(const gr_scaffolder *scaffolder,
                                                                const char *host, gr_scm_kind *kind)
{
    for (size_t i = 0; i < scaffolder->github_count; i++)
        if (strcasecmp(scaffolder->github[i].host, host) == 0) {
            *kind = GR_SCM_GITHUB;
            return &scaffolder->github[i];
        }
    for (size_t i = 0; i < scaffolder->gitlab_count; i++)
        if (strcasecmp(scaffolder->gitlab[i].host, host) == 0) {
            *kind = GR_SCM_GITLAB;
            return &scaffolder->gitlab[i];
        }
    return NULL;
}

json_t *gr_scaffolder_tokens(const gr_scaffolder *scaffolder)
{
    json_t *tokens = json_array();

    for (size_t i = 0; i < scaffolder->github_count; i++)
        if (scaffolder->github[i].token)
            json_array_append_new(tokens, json_string(scaffolder->github[i].token));
    for (size_t i = 0; i < scaffolder->gitlab_count; i++)
        if (scaffolder->gitlab[i].token)
            json_array_append_new(tokens, json_string(scaffolder->gitlab[i].token));
    return tokens;
}
