/* SPDX-License-Identifier: MIT */
/* Publish actions: publish:git, publish:github, publish:github:pull-request, publish:gitlab. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/scaffolder/actions.h"
#include "plugins/scaffolder/git.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/scaffolder/scm.h"
#include "plugins/scaffolder/workspace.h"

#define COMMON_GIT_INPUTS                                                                          \
    "\"sourcePath\":{\"type\":\"string\",\"title\":\"Source Path\",\"description\":\"Path "        \
    "within the workspace that will be used as the repository root. If omitted, the entire "       \
    "workspace will be published as the repository.\"},"                                           \
    "\"gitCommitMessage\":{\"type\":\"string\",\"title\":\"Git Commit Message\"},"                 \
    "\"gitAuthorName\":{\"type\":\"string\",\"title\":\"Default Author Name\"},"                   \
    "\"gitAuthorEmail\":{\"type\":\"string\",\"title\":\"Default Author Email\"},"                 \
    "\"allowedHosts\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"title\":\"Hosts "      \
    "the repository may be on\"},"                                                                 \
    "\"token\":{\"type\":[\"string\",\"boolean\"],\"title\":\"Authentication Token\"}"

static const char publish_git_input[] =
    "{\"type\":\"object\",\"required\":[\"remoteUrl\"],\"properties\":{"
    "\"remoteUrl\":{\"type\":\"string\",\"title\":\"Remote URL\",\"description\":\"Git URL to "
    "push to: https, ssh, or a path allowed by scaffolder.publishGit.localRoots\"},"
    "\"defaultBranch\":{\"type\":\"string\",\"title\":\"Default Branch\"},"
    "\"username\":{\"type\":\"string\",\"title\":\"User name sent with the "
    "token\"}," COMMON_GIT_INPUTS "}}";

static const char publish_git_output[] =
    "{\"type\":\"object\",\"properties\":{\"remoteUrl\":{\"type\":\"string\"},\"commitHash\":{"
    "\"type\":\"string\"}}}";

static const char publish_github_input[] =
    "{\"type\":\"object\",\"required\":[\"repoUrl\"],\"properties\":{"
    "\"repoUrl\":{\"type\":\"string\",\"title\":\"Repository Location\"},"
    "\"description\":{\"type\":\"string\",\"title\":\"Repository Description\"},"
    "\"homepage\":{\"type\":\"string\",\"title\":\"Repository Homepage\"},"
    "\"defaultBranch\":{\"type\":\"string\",\"title\":\"Default Branch\"},"
    "\"repoVisibility\":{\"type\":\"string\",\"enum\":[\"private\",\"public\",\"internal\"]},"
    "\"protectDefaultBranch\":{\"type\":\"boolean\"},"
    "\"deleteBranchOnMerge\":{\"type\":\"boolean\"},"
    "\"allowMergeCommit\":{\"type\":\"boolean\"},\"allowSquashMerge\":{\"type\":\"boolean\"},"
    "\"allowRebaseMerge\":{\"type\":\"boolean\"},\"allowAutoMerge\":{\"type\":\"boolean\"},"
    "\"hasProjects\":{\"type\":\"boolean\"},\"hasWiki\":{\"type\":\"boolean\"},"
    "\"hasIssues\":{\"type\":\"boolean\"},"
    "\"collaborators\":{\"type\":\"array\",\"title\":\"Collaborators\",\"items\":{"
    "\"type\":\"object\",\"required\":[\"access\"],\"properties\":{"
    "\"access\":{\"type\":\"string\",\"enum\":[\"pull\",\"push\",\"admin\",\"maintain\","
    "\"triage\"]},\"user\":{\"type\":\"string\"},\"team\":{\"type\":\"string\"},"
    "\"username\":{\"type\":\"string\",\"deprecated\":true}}}},"
    "\"topics\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}," COMMON_GIT_INPUTS "}}";

static const char publish_repo_output[] =
    "{\"type\":\"object\",\"properties\":{\"remoteUrl\":{\"type\":\"string\",\"title\":\"A URL "
    "to the repository with the provider\"},\"repoContentsUrl\":{\"type\":\"string\",\"title\":"
    "\"A URL to the root of the repository\"},\"commitHash\":{\"type\":\"string\",\"title\":"
    "\"The git commit hash of the initial commit\"}}}";

static const char publish_pr_input[] =
    "{\"type\":\"object\",\"required\":[\"repoUrl\",\"title\",\"description\",\"branchName\"],"
    "\"properties\":{"
    "\"repoUrl\":{\"type\":\"string\",\"title\":\"Repository Location\"},"
    "\"branchName\":{\"type\":\"string\",\"title\":\"Branch Name\"},"
    "\"targetBranchName\":{\"type\":\"string\",\"title\":\"Target Branch Name\"},"
    "\"title\":{\"type\":\"string\",\"title\":\"Pull Request Name\"},"
    "\"description\":{\"type\":\"string\",\"title\":\"Pull Request Description\"},"
    "\"draft\":{\"type\":\"boolean\",\"title\":\"Create as Draft\"},"
    "\"targetPath\":{\"type\":\"string\",\"title\":\"Repository Subdirectory\"},"
    "\"commitMessage\":{\"type\":\"string\",\"title\":\"Commit Message\"}," COMMON_GIT_INPUTS "}}";

static const char publish_pr_output[] =
    "{\"type\":\"object\",\"properties\":{\"targetBranchName\":{\"type\":\"string\"},"
    "\"remoteUrl\":{\"type\":\"string\",\"title\":\"Pull Request URL\"},"
    "\"pullRequestNumber\":{\"type\":\"number\"}}}";

static const char publish_gitlab_input[] =
    "{\"type\":\"object\",\"required\":[\"repoUrl\"],\"properties\":{"
    "\"repoUrl\":{\"type\":\"string\",\"title\":\"Repository Location\"},"
    "\"defaultBranch\":{\"type\":\"string\",\"title\":\"Default Branch\"},"
    "\"repoVisibility\":{\"type\":\"string\",\"enum\":[\"private\",\"public\",\"internal\"]},"
    "\"topics\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"settings\":{\"type\":\"object\"}," COMMON_GIT_INPUTS "}}";

static const char publish_gitlab_output[] =
    "{\"type\":\"object\",\"properties\":{\"remoteUrl\":{\"type\":\"string\"},"
    "\"repoContentsUrl\":{\"type\":\"string\"},\"commitHash\":{\"type\":\"string\"},"
    "\"projectId\":{\"type\":\"number\"},\"created\":{\"type\":\"boolean\"}}}";

/* The settings every publish action shares. Strings are borrowed from the input. */
typedef struct {
    char *source; /* absolute path of sourcePath */
    gr_git_push push;
} publish_common;

static int read_common(gr_scaffolder_ctx *ctx, const char *default_branch,
                       const char *message_input, publish_common *out)
{
    const gr_scaffolder *services = gr_scaffolder_ctx_services(ctx);
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = gr_scaffolder_ctx_path(ctx, gr_scaffolder_ctx_string(ctx, "sourcePath", "./"),
                                     &out->source)) < 0)
        return gr_error_wrap(rc, "sourcePath");
    out->push.branch = gr_scaffolder_ctx_string(ctx, "defaultBranch", default_branch);
    out->push.message = gr_scaffolder_ctx_string(ctx, message_input, services->commit_message);
    out->push.author_name = gr_scaffolder_ctx_string(ctx, "gitAuthorName", services->author_name);
    out->push.author_email =
        gr_scaffolder_ctx_string(ctx, "gitAuthorEmail", services->author_email);
    return 0;
}

/* The token input when it is a non-empty string, else the integration's. */
static const char *pick_token(gr_scaffolder_ctx *ctx, const gr_scaffolder_integration *integration)
{
    const char *token = gr_scaffolder_ctx_string(ctx, "token", NULL);

    if (token != NULL && token[0] != '\0') {
        gr_scaffolder_ctx_add_secret(ctx, token);
        return token;
    }
    return integration ? integration->token : NULL;
}

static bool is_local_remote(const char *url)
{
    return url[0] == '/' || strncmp(url, "file://", 7) == 0 || strncmp(url, "./", 2) == 0 ||
           strncmp(url, "../", 3) == 0;
}

/* A local remote must lie below scaffolder.publishGit.localRoots (the CLI may push anywhere). */
static int check_local_remote(const gr_scaffolder *services, const char *url)
{
    const char *path = strncmp(url, "file://", 7) == 0 ? url + 7 : url;
    char *real = realpath(path, NULL);
    int rc = GR_EDENIED;

    if (real == NULL)
        return gr_error_set(GR_ENOTFOUND,
                            "local remote %s does not exist; create the bare "
                            "repository first",
                            url);
    if (services->allow_any_local_remote)
        rc = 0;
    for (size_t i = 0; rc != 0 && i < services->local_remote_root_count; i++) {
        char *root = realpath(services->local_remote_roots[i], NULL);
        size_t len = root ? strlen(root) : 0;

        if (root != NULL && strncmp(real, root, len) == 0 && (real[len] == '/' || real[len] == 0))
            rc = 0;
        free(root);
    }
    free(real);
    if (rc != 0)
        return gr_error_set(GR_EDENIED,
                            "pushing to the local path %s is not allowed; list its folder in "
                            "scaffolder.publishGit.localRoots",
                            url);
    return 0;
}

/* Returns the host of an http(s) or ssh URL, lower case. Caller frees; NULL when none. */
static char *url_host(const char *url)
{
    const char *start = strstr(url, "://");
    size_t len;
    char *host;

    if (start == NULL) {
        const char *at = strchr(url, '@');
        const char *colon = strchr(url, ':');

        if (at == NULL || colon == NULL || colon < at)
            return NULL;
        return gr_xstrndup(at + 1, (size_t)(colon - at - 1));
    }
    start += 3;
    if (strchr(start, '@') != NULL && strchr(start, '@') < start + strcspn(start, "/"))
        start = strchr(start, '@') + 1;
    len = strcspn(start, "/?#");
    host = gr_xstrndup(start, len);
    for (char *p = host; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return host;
}

static int publish_git(gr_scaffolder_ctx *ctx, void *payload)
{
    const gr_scaffolder *services = gr_scaffolder_ctx_services(ctx);
    const char *remote = gr_scaffolder_ctx_string(ctx, "remoteUrl", NULL);
    publish_common common;
    char *commit = NULL;
    int rc;

    (void)payload;
    if ((rc = read_common(ctx, "main", "gitCommitMessage", &common)) < 0)
        return rc;
    common.push.remote_url = remote;
    common.push.username = gr_scaffolder_ctx_string(ctx, "username", NULL);
    common.push.password = pick_token(ctx, NULL);
    if (is_local_remote(remote)) {
        rc = check_local_remote(services, remote);
    } else {
        char *host = url_host(remote);

        rc = host ? gr_scm_check_allowed_host(
                        json_object_get(gr_scaffolder_ctx_input(ctx), "allowedHosts"), host)
                  : gr_error_set(GR_EINVALID, "remoteUrl %s has no host", remote);
        free(host);
    }
    if (rc == 0) {
        gr_scaffolder_ctx_log(ctx, "Pushing branch %s to %s", common.push.branch, remote);
        rc = gr_git_init_commit_push(common.source, &common.push, &commit);
    }
    if (rc == 0)
        rc = gr_scaffolder_ctx_output(ctx, "remoteUrl", json_string(remote));
    if (rc == 0)
        rc = gr_scaffolder_ctx_output(ctx, "commitHash", json_string(commit));
    free(commit);
    free(common.source);
    return rc;
}

/* Parses repoUrl, checks allowedHosts and the integration kind, and finds the token. */
static int open_repo(gr_scaffolder_ctx *ctx, gr_scm_kind kind, gr_repo_url *repo,
                     const char **token)
{
    const char *repo_url = gr_scaffolder_ctx_string(ctx, "repoUrl", NULL);
    int rc;

    if ((rc = gr_repo_url_parse(gr_scaffolder_ctx_services(ctx), repo_url, repo)) < 0)
        return rc;
    rc = gr_scm_check_allowed_host(json_object_get(gr_scaffolder_ctx_input(ctx), "allowedHosts"),
                                   repo->host);
    if (rc == 0 && repo->kind != kind)
        rc = gr_error_set(GR_EINVALID,
                          "No matching integration configuration for host %s, "
                          "please check your integrations config",
                          repo->host);
    if (rc == 0 && (*token = pick_token(ctx, repo->integration)) == NULL)
        rc = gr_error_set(GR_EINVALID, "No token available for host: %s", repo->host);
    if (rc < 0)
        gr_repo_url_clear(repo);
    return rc;
}

/* Formats the message of a failed REST call from its response. */
static int rest_error(const char *what, long status, const json_t *response)
{
    const char *message = json_string_value(json_object_get(response, "message"));
    json_t *errors = json_object_get(response, "errors");
    char *details = errors ? json_dumps(errors, JSON_COMPACT) : NULL;
    int rc =
        gr_error_set(status == 404                    ? GR_ENOTFOUND
                     : status == 422 || status == 409 ? GR_ECONFLICT
                                                      : GR_EBACKEND,
                     "%s failed with HTTP %ld: %s%s%s", what, status,
                     message ? message : "no message", details ? " " : "", details ? details : "");

    free(details);
    return rc;
}

static json_t *github_repo_body(gr_scaffolder_ctx *ctx, const gr_repo_url *repo)
{
    const char *visibility = gr_scaffolder_ctx_string(ctx, "repoVisibility", "private");
    json_t *body = json_pack("{s:s, s:b, s:s}", "name", repo->repo, "private",
                             strcmp(visibility, "private") == 0, "visibility", visibility);
    const char *optional_strings[] = {"description", "homepage"};
    const struct {
        const char *input;
        const char *field;
        bool fallback;
    } flags[] = {
        {"hasIssues", "has_issues", true},
        {"hasWiki", "has_wiki", true},
        {"hasProjects", "has_projects", true},
        {"deleteBranchOnMerge", "delete_branch_on_merge", false},
        {"allowMergeCommit", "allow_merge_commit", true},
        {"allowSquashMerge", "allow_squash_merge", true},
        {"allowRebaseMerge", "allow_rebase_merge", true},
        {"allowAutoMerge", "allow_auto_merge", false},
    };

    for (size_t i = 0; i < 2; i++) {
        const char *value = gr_scaffolder_ctx_string(ctx, optional_strings[i], NULL);

        if (value != NULL)
            json_object_set_new(body, optional_strings[i], json_string(value));
    }
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        json_object_set_new(
            body, flags[i].field,
            json_boolean(gr_scaffolder_ctx_bool(ctx, flags[i].input, flags[i].fallback)));
    return body;
}

/* Creates the repository under a user or an organization; returns its JSON. */
static int github_create_repo(gr_scaffolder_ctx *ctx, const gr_repo_url *repo, const char *token,
                              json_t **out)
{
    const char *api = repo->integration->api_base_url;
    char *owner = gr_scm_escape(repo->owner);
    char *url = gr_xasprintf("%s/users/%s", api, owner);
    json_t *user = NULL;
    json_t *body = NULL;
    long status = 0;
    int rc;

    *out = NULL;
    rc = gr_scm_request("GET", url, GR_SCM_AUTH_GITHUB, token, NULL, &status, &user);
    if (rc == 0 && status != 200)
        rc = rest_error("looking up the repository owner", status, user);
    free(url);
    if (rc == 0) {
        const char *type = json_string_value(json_object_get(user, "type"));
        bool org = type != NULL && strcmp(type, "Organization") == 0;

        url =
            org ? gr_xasprintf("%s/orgs/%s/repos", api, owner) : gr_xasprintf("%s/user/repos", api);
        body = github_repo_body(ctx, repo);
        gr_scaffolder_ctx_log(ctx, "Creating repository %s/%s on %s", repo->owner, repo->repo,
                              repo->host);
        rc = gr_scm_request("POST", url, GR_SCM_AUTH_GITHUB, token, body, &status, out);
        if (rc == 0 && status != 201 && status != 200) {
            rc = rest_error("creating the repository", status, *out);
            json_decref(*out);
            *out = NULL;
        }
        free(url);
    }
    json_decref(body);
    json_decref(user);
    free(owner);
    return rc;
}

/*
 * Grants each collaborator of the input its access: a user (or the older
 * `username`) as a repository collaborator, a team of the owning organization
 * through the team's repository permissions. A failed grant is logged and
 * skipped, as Backstage does.
 */
static void github_collaborators(gr_scaffolder_ctx *ctx, const gr_repo_url *repo,
                                 const char *token)
{
    const char *api = repo->integration->api_base_url;
    json_t *collaborators = json_object_get(gr_scaffolder_ctx_input(ctx), "collaborators");
    size_t index;
    json_t *collaborator;

    json_array_foreach(collaborators, index, collaborator)
    {
        const char *access = json_string_value(json_object_get(collaborator, "access"));
        const char *team = json_string_value(json_object_get(collaborator, "team"));
        const char *user = json_string_value(json_object_get(collaborator, "user"));
        json_t *body = json_pack("{s:s}", "permission", access ? access : "");
        json_t *response = NULL;
        long status = 0;
        char *owner = gr_scm_escape(repo->owner);
        char *name = gr_scm_escape(repo->repo);
        char *url = NULL;
        char *escaped = NULL;

        if (user == NULL)
            user = json_string_value(json_object_get(collaborator, "username"));
        if (team != NULL) {
            escaped = gr_scm_escape(team);
            url = gr_xasprintf("%s/orgs/%s/teams/%s/repos/%s/%s", api, owner, escaped, owner,
                               name);
        } else if (user != NULL) {
            escaped = gr_scm_escape(user);
            url = gr_xasprintf("%s/repos/%s/%s/collaborators/%s", api, owner, name, escaped);
        }

        if (url == NULL) {
            gr_scaffolder_ctx_log(ctx, "Skipping collaborator %zu because it names no user or team",
                                  index);
        } else if (gr_scm_request("PUT", url, GR_SCM_AUTH_GITHUB, token, body, &status,
                                  &response) < 0) {
            gr_scaffolder_ctx_log(ctx, "Skipping %s access for %s: %s", access,
                                  team != NULL ? team : user, gr_error_last());
        } else if (status >= 300) {
            gr_scaffolder_ctx_log(ctx, "Skipping %s access for %s (HTTP %ld)", access,
                                  team != NULL ? team : user, status);
        }
        json_decref(response);
        json_decref(body);
        free(url);
        free(escaped);
        free(name);
        free(owner);
    }
}

/* Applies topics and branch protection; failures are logged, as Backstage does. */
static void github_settings(gr_scaffolder_ctx *ctx, const gr_repo_url *repo, const char *token,
                            const char *branch)
{
    const char *api = repo->integration->api_base_url;
    json_t *topics = json_object_get(gr_scaffolder_ctx_input(ctx), "topics");
    json_t *response = NULL;
    long status = 0;
    char *url;

    if (json_is_array(topics)) {
        json_t *body = json_pack("{s:O}", "names", topics);

        url = gr_xasprintf("%s/repos/%s/%s/topics", api, repo->owner, repo->repo);
        if (gr_scm_request("PUT", url, GR_SCM_AUTH_GITHUB, token, body, &status, &response) < 0 ||
            status >= 300)
            gr_scaffolder_ctx_log(ctx, "Skipping: setting the topics failed (HTTP %ld)", status);
        json_decref(response);
        json_decref(body);
        free(url);
    }
    if (gr_scaffolder_ctx_bool(ctx, "protectDefaultBranch", true)) {
        json_t *body = json_pack("{s:n, s:b, s:{s:i}, s:n}", "required_status_checks",
                                 "enforce_admins", true, "required_pull_request_reviews",
                                 "required_approving_review_count", 1, "restrictions");

        response = NULL;
        url = gr_xasprintf("%s/repos/%s/%s/branches/%s/protection", api, repo->owner, repo->repo,
                           branch);
        if (gr_scm_request("PUT", url, GR_SCM_AUTH_GITHUB, token, body, &status, &response) < 0 ||
            status >= 300)
            gr_scaffolder_ctx_log(ctx,
                                  "Skipping: default branch protection on '%s' failed "
                                  "(HTTP %ld)",
                                  repo->repo, status);
        json_decref(response);
        json_decref(body);
        free(url);
    }
    /* TODO: the `access` input, secrets and repository variables of publish:github. */
}

static int publish_github(gr_scaffolder_ctx *ctx, void *payload)
{
    gr_repo_url repo;
    publish_common common = {0};
    const char *token = NULL;
    json_t *created = NULL;
    char *commit = NULL;
    int rc;

    (void)payload;
    if ((rc = open_repo(ctx, GR_SCM_GITHUB, &repo, &token)) < 0)
        return rc;
    if ((rc = read_common(ctx, "master", "gitCommitMessage", &common)) < 0)
        goto done;
    if ((rc = github_create_repo(ctx, &repo, token, &created)) < 0)
        goto done;
    common.push.remote_url = json_string_value(json_object_get(created, "clone_url"));
    common.push.username = "x-access-token";
    common.push.password = token;
    if (common.push.remote_url == NULL || !json_is_string(json_object_get(created, "html_url"))) {
        rc = gr_error_set(GR_EBACKEND, "the created repository has no clone_url or html_url");
        goto done;
    }
    gr_scaffolder_ctx_log(ctx, "Pushing branch %s to %s", common.push.branch,
                          common.push.remote_url);
    if ((rc = gr_git_init_commit_push(common.source, &common.push, &commit)) < 0)
        goto done;
    github_collaborators(ctx, &repo, token);
    github_settings(ctx, &repo, token, common.push.branch);
    {
        const char *html = json_string_value(json_object_get(created, "html_url"));
        char *contents = gr_xasprintf("%s/blob/%s", html, common.push.branch);

        rc = gr_scaffolder_ctx_output(ctx, "remoteUrl", json_string(html));
        if (rc == 0)
            rc = gr_scaffolder_ctx_output(ctx, "repoContentsUrl", json_string(contents));
        if (rc == 0)
            rc = gr_scaffolder_ctx_output(ctx, "commitHash", json_string(commit));
        free(contents);
    }
done:
    free(commit);
    json_decref(created);
    free(common.source);
    gr_repo_url_clear(&repo);
    return rc;
}

/* Makes a fresh folder below the working directory for a clone. Caller frees. */
static int make_clone_dir(gr_scaffolder_ctx *ctx, char **out)
{
    const gr_scaffolder *services = gr_scaffolder_ctx_services(ctx);
    char *dir;
    int rc;

    *out = NULL;
    if ((rc = gr_scaffolder_mkdirs(services->work_dir)) < 0)
        return rc;
    dir = gr_xasprintf("%s/clone-%s-XXXXXX", services->work_dir, gr_scaffolder_ctx_task_id(ctx));
    if (mkdtemp(dir) == NULL) {
        free(dir);
        return gr_error_set(GR_EBACKEND, "cannot create a folder in %s", services->work_dir);
    }
    *out = dir;
    return 0;
}

static int github_open_pull_request(gr_scaffolder_ctx *ctx, const gr_repo_url *repo,
                                    const char *token, const char *base, json_t **out)
{
    char *url = gr_xasprintf("%s/repos/%s/%s/pulls", repo->integration->api_base_url, repo->owner,
                             repo->repo);
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:s, s:b}", "title", gr_scaffolder_ctx_string(ctx, "title", ""),
                  "head", gr_scaffolder_ctx_string(ctx, "branchName", ""), "base", base, "body",
                  gr_scaffolder_ctx_string(ctx, "description", ""), "draft",
                  gr_scaffolder_ctx_bool(ctx, "draft", false));
    long status = 0;
    int rc;

    rc = gr_scm_request("POST", url, GR_SCM_AUTH_GITHUB, token, body, &status, out);
    if (rc == 0 && status != 201 && status != 200) {
        rc = rest_error("opening the pull request", status, *out);
        json_decref(*out);
        *out = NULL;
    }
    json_decref(body);
    free(url);
    return rc;
}

static int publish_github_pull_request(gr_scaffolder_ctx *ctx, void *payload)
{
    gr_repo_url repo;
    publish_common common = {0};
    const char *token = NULL;
    json_t *info = NULL;
    json_t *pull = NULL;
    char *url = NULL;
    char *clone_dir = NULL;
    char *commit = NULL;
    const char *base;
    long status = 0;
    int rc;

    (void)payload;
    if ((rc = open_repo(ctx, GR_SCM_GITHUB, &repo, &token)) < 0)
        return rc;
    if ((rc = read_common(ctx, NULL, "commitMessage", &common)) < 0)
        goto done;
    common.push.branch = gr_scaffolder_ctx_string(ctx, "branchName", NULL);
    common.push.message =
        gr_scaffolder_ctx_string(ctx, "commitMessage", gr_scaffolder_ctx_string(ctx, "title", ""));
    url = gr_xasprintf("%s/repos/%s/%s", repo.integration->api_base_url, repo.owner, repo.repo);
    rc = gr_scm_request("GET", url, GR_SCM_AUTH_GITHUB, token, NULL, &status, &info);
    if (rc == 0 && status != 200)
        rc = rest_error("reading the repository", status, info);
    if (rc < 0)
        goto done;
    base = gr_scaffolder_ctx_string(ctx, "targetBranchName",
                                    json_string_value(json_object_get(info, "default_branch")));
    common.push.remote_url = json_string_value(json_object_get(info, "clone_url"));
    common.push.username = "x-access-token";
    common.push.password = token;
    if (base == NULL || common.push.remote_url == NULL) {
        rc = gr_error_set(GR_EBACKEND, "the repository has no default_branch or clone_url");
        goto done;
    }
    if ((rc = make_clone_dir(ctx, &clone_dir)) < 0)
        goto done;
    gr_scaffolder_ctx_log(ctx, "Committing to branch %s of %s/%s", common.push.branch, repo.owner,
                          repo.repo);
    rc = gr_git_branch_commit_push(clone_dir, base, common.source,
                                   gr_scaffolder_ctx_string(ctx, "targetPath", ""), &common.push,
                                   &commit);
    if (rc < 0)
        goto done;
    if ((rc = github_open_pull_request(ctx, &repo, token, base, &pull)) < 0)
        goto done;
    rc = gr_scaffolder_ctx_output(ctx, "targetBranchName", json_string(base));
    if (rc == 0)
        rc = gr_scaffolder_ctx_output(ctx, "remoteUrl",
                                      json_incref(json_object_get(pull, "html_url")));
    if (rc == 0)
        rc = gr_scaffolder_ctx_output(ctx, "pullRequestNumber",
                                      json_incref(json_object_get(pull, "number")));
done:
    if (clone_dir != NULL)
        gr_scaffolder_rmtree(clone_dir);
    free(clone_dir);
    free(commit);
    free(url);
    json_decref(info);
    json_decref(pull);
    free(common.source);
    gr_repo_url_clear(&repo);
    return rc;
}

/* Finds the id of the GitLab namespace `owner`. */
static int gitlab_namespace(const gr_repo_url *repo, const char *token, json_t **id)
{
    char *escaped = gr_scm_escape(repo->owner);
    char *url = gr_xasprintf("%s/namespaces/%s", repo->integration->api_base_url, escaped);
    json_t *namespace = NULL;
    long status = 0;
    int rc;

    rc = gr_scm_request("GET", url, GR_SCM_AUTH_GITLAB, token, NULL, &status, &namespace);
    if (rc == 0 && status == 404)
        rc = gr_error_set(GR_EINVALID,
                          "The namespace %s is not found or the user doesn't have "
                          "permissions to access it",
                          repo->owner);
    else if (rc == 0 && status != 200)
        rc = rest_error("looking up the namespace", status, namespace);
    if (rc == 0)
        *id = json_incref(json_object_get(namespace, "id"));
    json_decref(namespace);
    free(url);
    free(escaped);
    return rc;
}

static int gitlab_create_project(gr_scaffolder_ctx *ctx, const gr_repo_url *repo, const char *token,
                                 const char *branch, json_t **out)
{
    char *url = gr_xasprintf("%s/projects", repo->integration->api_base_url);
    json_t *settings = json_object_get(gr_scaffolder_ctx_input(ctx), "settings");
    json_t *topics = json_object_get(gr_scaffolder_ctx_input(ctx), "topics");
    json_t *namespace_id = NULL;
    json_t *body = NULL;
    long status = 0;
    int rc;

    *out = NULL;
    if ((rc = gitlab_namespace(repo, token, &namespace_id)) < 0)
        goto done;
    body = json_is_object(settings) ? json_deep_copy(settings) : json_object();
    json_object_set_new(body, "namespace_id", namespace_id ? namespace_id : json_null());
    json_object_set_new(body, "name", json_string(repo->repo));
    json_object_set_new(body, "path", json_string(repo->repo));
    json_object_set_new(body, "visibility",
                        json_string(gr_scaffolder_ctx_string(ctx, "repoVisibility", "private")));
    json_object_set_new(body, "default_branch", json_string(branch));
    if (json_is_array(topics))
        json_object_set(body, "topics", topics);
    gr_scaffolder_ctx_log(ctx, "Creating project %s/%s on %s", repo->owner, repo->repo, repo->host);
    rc = gr_scm_request("POST", url, GR_SCM_AUTH_GITLAB, token, body, &status, out);
    if (rc == 0 && status != 201 && status != 200) {
        rc = rest_error("creating the project", status, *out);
        json_decref(*out);
        *out = NULL;
    }
done:
    json_decref(body);
    free(url);
    return rc;
}

static int publish_gitlab(gr_scaffolder_ctx *ctx, void *payload)
{
    gr_repo_url repo;
    publish_common common = {0};
    const char *token = NULL;
    json_t *project = NULL;
    char *commit = NULL;
    char *remote = NULL;
    int rc;

    (void)payload;
    if ((rc = open_repo(ctx, GR_SCM_GITLAB, &repo, &token)) < 0)
        return rc;
    if ((rc = read_common(ctx, "master", "gitCommitMessage", &common)) < 0)
        goto done;
    if ((rc = gitlab_create_project(ctx, &repo, token, common.push.branch, &project)) < 0)
        goto done;
    common.push.remote_url = json_string_value(json_object_get(project, "http_url_to_repo"));
    common.push.username = "oauth2";
    common.push.password = token;
    if (common.push.remote_url == NULL) {
        rc = gr_error_set(GR_EBACKEND, "the created project has no http_url_to_repo");
        goto done;
    }
    gr_scaffolder_ctx_log(ctx, "Pushing branch %s to %s", common.push.branch,
                          common.push.remote_url);
    if ((rc = gr_git_init_commit_push(common.source, &common.push, &commit)) < 0)
        goto done;
    remote = gr_xstrdup(common.push.remote_url);
    if (strlen(remote) > 4 && strcmp(remote + strlen(remote) - 4, ".git") == 0)
        remote[strlen(remote) - 4] = '\0';
    {
        char *contents = gr_xasprintf("%s/-/blob/%s", remote, common.push.branch);

        rc = gr_scaffolder_ctx_output(ctx, "remoteUrl", json_string(remote));
        if (rc == 0)
            rc = gr_scaffolder_ctx_output(ctx, "repoContentsUrl", json_string(contents));
        if (rc == 0)
            rc = gr_scaffolder_ctx_output(ctx, "commitHash", json_string(commit));
        if (rc == 0)
            rc = gr_scaffolder_ctx_output(ctx, "projectId",
                                          json_incref(json_object_get(project, "id")));
        if (rc == 0)
            rc = gr_scaffolder_ctx_output(ctx, "created", json_true());
        free(contents);
    }
done:
    free(remote);
    free(commit);
    json_decref(project);
    free(common.source);
    gr_repo_url_clear(&repo);
    return rc;
}

int gr_scaffolder__add_publish_actions(gr_scaffolder_actions *actions)
{
    const gr_scaffolder_action defs[] = {
        {.id = "publish:git",
         .description = "Initializes a git repository with the content of the workspace, and "
                        "pushes it to any git remote.",
         .input_schema = publish_git_input,
         .output_schema = publish_git_output,
         .run = publish_git},
        {.id = "publish:github",
         .description = "Initializes a git repository of contents in workspace and publishes it "
                        "to GitHub.",
         .input_schema = publish_github_input,
         .output_schema = publish_repo_output,
         .run = publish_github},
        {.id = "publish:github:pull-request",
         .description = "Creates a pull request on GitHub with the content of the workspace.",
         .input_schema = publish_pr_input,
         .output_schema = publish_pr_output,
         .run = publish_github_pull_request},
        {.id = "publish:gitlab",
         .description = "Initializes a git repository of the content in the workspace, and "
                        "publishes it to GitLab.",
         .input_schema = publish_gitlab_input,
         .output_schema = publish_gitlab_output,
         .run = publish_gitlab},
    };
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sizeof(defs) / sizeof(defs[0]); i++)
        rc = gr_scaffolder_actions_add(actions, &defs[i]);
    return rc;
}
