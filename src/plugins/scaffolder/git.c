/* SPDX-License-Identifier: MIT */
/* Git work of the publish actions with libgit2: commit a folder and push it to a remote. */
#include "plugins/scaffolder/git.h"

#include <git2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/scaffolder/workspace.h"

/* Maximum size of one file copied into a clone, in bytes. */
#define GIT_MAX_FILE_BYTES (64u * 1024 * 1024)

typedef struct {
    const gr_git_push *push;
    int attempts;
    char *rejected; /* the reason the remote gave for refusing the ref, or NULL */
} push_state;

static int git_fail(const char *action)
{
    const git_error *error = git_error_last();

    return gr_error_set(GR_EBACKEND, "%s: %s", action,
                        error && error->message ? error->message : "unknown git error");
}

/* Offers the token once; libgit2 calls again only when the server refused it. */
static int credentials(git_credential **out, const char *url, const char *username_from_url,
                       unsigned int allowed_types, void *payload)
{
    push_state *state = payload;
    const char *user = state->push->username;

    (void)url;
    if (state->push->password == NULL || state->attempts++ > 0 ||
        !(allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT))
        return GIT_PASSTHROUGH;
    if (user == NULL)
        user = username_from_url ? username_from_url : "x-access-token";
    return git_credential_userpass_plaintext_new(out, user, state->push->password);
}

static int push_update(const char *refname, const char *status, void *payload)
{
    push_state *state = payload;

    (void)refname;
    if (status != NULL && state->rejected == NULL)
        state->rejected = gr_xstrdup(status);
    return 0;
}

static void set_callbacks(git_remote_callbacks *callbacks, push_state *state)
{
    callbacks->credentials = credentials;
    callbacks->push_update_reference = push_update;
    callbacks->payload = state;
}

/*
 * Creates a remote without url.<base>.insteadOf rewriting: the push goes to
 * the URL the action was given, and libgit2 1.5 leaks memory in that lookup.
 */
static int create_remote(git_remote **out, git_repository *repo, const char *name, const char *url)
{
    git_remote_create_options options;

    git_remote_create_options_init(&options, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    options.repository = repo;
    options.name = name;
    options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
    if (name == NULL)
        options.flags |= GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    return git_remote_create_with_opts(out, url, &options);
}

static int clone_remote(git_remote **out, git_repository *repo, const char *name, const char *url,
                        void *payload)
{
    (void)payload;
    return create_remote(out, repo, name, url);
}

static int push_branch(git_repository *repo, const gr_git_push *push)
{
    git_remote *remote = NULL;
    git_push_options options;
    push_state state = {.push = push};
    char *refspec = gr_xasprintf("refs/heads/%s:refs/heads/%s", push->branch, push->branch);
    char *refspecs[] = {refspec};
    git_strarray specs = {refspecs, 1};
    int rc = 0;

    git_push_options_init(&options, GIT_PUSH_OPTIONS_VERSION);
    set_callbacks(&options.callbacks, &state);
    if (create_remote(&remote, repo, NULL, push->remote_url) < 0)
        rc = git_fail("cannot use the remote URL");
    else if (git_remote_push(remote, &specs, &options) < 0)
        rc = git_fail("git push failed");
    else if (state.rejected != NULL)
        rc = gr_error_set(GR_EBACKEND, "git push was rejected: %s", state.rejected);
    git_remote_free(remote);
    free(state.rejected);
    free(refspec);
    return rc;
}

static int check_branch(const char *branch)
{
    char *name = gr_xasprintf("refs/heads/%s", branch ? branch : "");
    int valid = 0;

    git_reference_name_is_valid(&valid, name);
    free(name);
    if (!valid || branch == NULL || branch[0] == '\0')
        return gr_error_set(GR_EINVALID, "'%s' is not a valid git branch name",
                            branch ? branch : "");
    return 0;
}

/* Stages every file and commits on HEAD with `parent` (may be NULL). */
static int commit_all(git_repository *repo, const gr_git_push *push, git_commit *parent,
                      git_oid *commit_oid)
{
    git_index *index = NULL;
    git_tree *tree = NULL;
    git_signature *author = NULL;
    git_oid tree_oid;
    const git_commit *parents[1] = {parent};
    int rc = 0;

    if (git_repository_index(&index, repo) < 0 ||
        git_index_add_all(index, NULL, GIT_INDEX_ADD_DEFAULT, NULL, NULL) < 0 ||
        git_index_update_all(index, NULL, NULL, NULL) < 0 || git_index_write(index) < 0 ||
        git_index_write_tree(&tree_oid, index) < 0 || git_tree_lookup(&tree, repo, &tree_oid) < 0)
        rc = git_fail("cannot stage the files");
    else if (parent != NULL && git_oid_equal(&tree_oid, git_commit_tree_id(parent)))
        rc = gr_error_set(GR_ECONFLICT, "no files changed, so there is nothing to commit");
    else if (git_signature_now(&author, push->author_name, push->author_email) < 0)
        rc = git_fail("invalid commit author");
    else if (git_commit_create(commit_oid, repo, "HEAD", author, author, NULL, push->message, tree,
                               parent ? 1 : 0, parents) < 0)
        rc = git_fail("cannot commit");
    git_signature_free(author);
    git_tree_free(tree);
    git_index_free(index);
    return rc;
}

int gr_git_init_commit_push(const char *dir, const gr_git_push *push, char **commit_out)
{
    git_repository *repo = NULL;
    git_repository_init_options options;
    char *head = NULL;
    git_oid commit;
    int rc;

    *commit_out = NULL;
    if ((rc = check_branch(push->branch)) < 0)
        return rc;
    git_libgit2_init();
    git_repository_init_options_init(&options, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    head = gr_xasprintf("refs/heads/%s", push->branch);
    options.flags = GIT_REPOSITORY_INIT_MKPATH;
    options.initial_head = head;
    if (git_repository_init_ext(&repo, dir, &options) < 0)
        rc = git_fail("cannot create the repository");
    if (rc == 0)
        rc = commit_all(repo, push, NULL, &commit);
    if (rc == 0)
        rc = push_branch(repo, push);
    if (rc == 0) {
        char hex[GIT_OID_HEXSZ + 1];

        git_oid_tostr(hex, sizeof(hex), &commit);
        *commit_out = gr_xstrdup(hex);
    }
    git_repository_free(repo);
    free(head);
    git_libgit2_shutdown();
    return rc;
}

/* Copies every file below `src` into `dest`, skipping a top-level .git folder. */
static int copy_into(const char *src, const char *dest)
{
    gr_scaffolder_entries entries;
    int rc;

    if ((rc = gr_scaffolder_walk(src, GR_WALK_SKIP_GIT, &entries)) < 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < entries.count; i++) {
        const gr_scaffolder_entry *entry = &entries.items[i];
        char *target = NULL;

        if ((rc = gr_scaffolder_path_resolve(dest, entry->path, &target)) < 0)
            break;
        if (entry->is_dir) {
            rc = gr_scaffolder_mkdirs(target);
        } else {
            char *from = gr_xasprintf("%s/%s", src, entry->path);
            gr_buf data = GR_BUF_INIT;

            rc = gr_scaffolder_read_file(from, GIT_MAX_FILE_BYTES, &data);
            if (rc == 0)
                rc = gr_scaffolder_write_file(target, data.data ? data.data : "", data.len,
                                              entry->mode);
            gr_buf_free(&data);
            free(from);
        }
        free(target);
    }
    gr_scaffolder_entries_free(&entries);
    return rc;
}

/*
 * Lists the remote's references into *has_head (HEAD is advertised) and
 * *has_branch (refs/heads/`branch` is). A remote advertises no HEAD when
 * HEAD names a branch that does not exist. Returns 0, or -1 when the listing failed.
 */
static int list_remote(const gr_git_push *push, const char *branch, bool *has_head,
                       bool *has_branch)
{
    git_remote *remote = NULL;
    git_remote_callbacks callbacks;
    push_state state = {.push = push};
    const git_remote_head **heads = NULL;
    size_t count = 0;
    char *branch_ref = gr_xasprintf("refs/heads/%s", branch);
    int rc = -1;

    *has_head = false;
    *has_branch = false;
    git_remote_init_callbacks(&callbacks, GIT_REMOTE_CALLBACKS_VERSION);
    set_callbacks(&callbacks, &state);
    if (create_remote(&remote, NULL, NULL, push->remote_url) < 0 ||
        git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, NULL, NULL) < 0 ||
        git_remote_ls(&heads, &count, remote) < 0)
        goto done;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(heads[i]->name, "HEAD") == 0)
            *has_head = true;
        else if (strcmp(heads[i]->name, branch_ref) == 0)
            *has_branch = true;
    }
    rc = 0;
done:
    git_remote_free(remote);
    free(state.rejected);
    free(branch_ref);
    return rc;
}

/*
 * Sets the error of a failed clone of `branch`. libgit2 1.5 often gives no
 * message here, so the remote's references show what is missing.
 */
static int clone_error(const gr_git_push *push, const char *branch)
{
    const git_error *error = git_error_last();
    char *reason = gr_xstrdup(error && error->message ? error->message : "");
    bool reference_error = error != NULL && error->klass == GIT_ERROR_REFERENCE;
    bool has_head;
    bool has_branch;
    bool listed = list_remote(push, branch, &has_head, &has_branch) == 0;
    int rc;

    if (listed && !has_branch) {
        rc = gr_error_set(GR_ENOTFOUND,
                          "cannot clone %s: branch %s does not exist there. Push the branch, or "
                          "set targetBranchName to an existing branch",
                          push->remote_url, branch);
    } else if (listed && !has_head) {
        /* NOTE: libgit2 1.5.1 rejects this clone, without a message, even though `branch` exists.
         */
        rc = gr_error_set(GR_ENOTFOUND,
                          "cannot clone %s (branch %s): the remote's HEAD names a branch that "
                          "does not exist. Push that branch, or set the repository's default "
                          "branch to one that exists, such as %s",
                          push->remote_url, branch, branch);
    } else {
        rc = gr_error_set(reference_error ? GR_ENOTFOUND : GR_EBACKEND,
                          "cannot clone %s (branch %s): %s", push->remote_url, branch,
                          reason[0] != '\0' ? reason : "libgit2 gave no reason");
    }
    free(reason);
    return rc;
}

static int clone_base(git_repository **repo, const char *clone_dir, const char *base_branch,
                      const gr_git_push *push)
{
    git_clone_options options;
    push_state state = {.push = push};

    git_clone_options_init(&options, GIT_CLONE_OPTIONS_VERSION);
    options.checkout_branch = base_branch;
    options.remote_cb = clone_remote;
    options.fetch_opts.callbacks.credentials = credentials;
    options.fetch_opts.callbacks.payload = &state;
    if (git_clone(repo, push->remote_url, clone_dir, &options) < 0)
        return clone_error(push, base_branch);
    return 0;
}

int gr_git_branch_commit_push(const char *clone_dir, const char *base_branch, const char *src_dir,
                              const char *target_path, const gr_git_push *push, char **commit_out)
{
    git_repository *repo = NULL;
    git_reference *branch = NULL;
    git_commit *parent = NULL;
    git_oid head_oid;
    git_oid commit;
    char *dest = NULL;
    char *branch_ref = NULL;
    int rc;

    *commit_out = NULL;
    if ((rc = check_branch(push->branch)) < 0)
        return rc;
    git_libgit2_init();
    if ((rc = clone_base(&repo, clone_dir, base_branch, push)) < 0)
        goto done;
    if (git_reference_name_to_id(&head_oid, repo, "HEAD") < 0 ||
        git_commit_lookup(&parent, repo, &head_oid) < 0) {
        rc = git_fail("cannot read the base branch");
        goto done;
    }
    if (git_branch_create(&branch, repo, push->branch, parent, 1) < 0) {
        rc = git_fail("cannot create the branch");
        goto done;
    }
    branch_ref = gr_xasprintf("refs/heads/%s", push->branch);
    if (git_repository_set_head(repo, branch_ref) < 0) {
        rc = git_fail("cannot switch to the branch");
        goto done;
    }
    if ((rc = gr_scaffolder_path_resolve(clone_dir, target_path ? target_path : "", &dest)) < 0)
        goto done;
    if ((rc = gr_scaffolder_mkdirs(dest)) < 0 || (rc = copy_into(src_dir, dest)) < 0)
        goto done;
    if ((rc = commit_all(repo, push, parent, &commit)) < 0)
        goto done;
    if ((rc = push_branch(repo, push)) == 0) {
        char hex[GIT_OID_HEXSZ + 1];

        git_oid_tostr(hex, sizeof(hex), &commit);
        *commit_out = gr_xstrdup(hex);
    }
done:
    free(dest);
    free(branch_ref);
    git_reference_free(branch);
    git_commit_free(parent);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return rc;
}
