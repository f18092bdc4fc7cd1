/* SPDX-License-Identifier: MIT */
/* Git work of the publish actions with libgit2: commit a folder and push it to a remote. */
#ifndef GR_SCAFFOLDER_GIT_H
#define GR_SCAFFOLDER_GIT_H

/** What to commit and where to push it. Every string is borrowed. */
typedef struct {
    const char *remote_url; /* any URL libgit2 pushes to: https, http, ssh, a path, file:// */
    const char *branch;     /* branch to create and push */
    const char *message;    /* commit message */
    const char *author_name;
    const char *author_email;
    const char *username; /* basic-auth user for http(s), or NULL */
    const char *password; /* token for http(s), or NULL */
} gr_git_push;

/**
 * Makes `dir` a new repository whose branch `push->branch` has one commit
 * with every file of `dir` (.gitignore rules apply, as with `git add .`),
 * and pushes that branch to `push->remote_url`. Stores the commit id (40
 * hex digits; caller frees) in *commit_out. Returns 0, GR_EINVALID for a bad
 * branch name, or GR_EBACKEND with libgit2's message (a rejected push names
 * the reason).
 */
int gr_git_init_commit_push(const char *dir, const gr_git_push *push, char **commit_out);

/**
 * Clones `push->remote_url` into the new folder `clone_dir`, checks out
 * `base_branch`, creates `push->branch` from it, copies the tree at
 * `src_dir` into `target_path` of the clone (a relative path, "" for the
 * root), commits and pushes the branch. Stores the commit id in
 * *commit_out. Returns 0, GR_ENOTFOUND when the base branch or the branch
 * the remote's HEAD names does not exist (the message names which and what
 * to do), GR_ECONFLICT when nothing changed, or GR_EBACKEND.
 */
int gr_git_branch_commit_push(const char *clone_dir, const char *base_branch, const char *src_dir,
                              const char *target_path, const gr_git_push *push, char **commit_out);

#endif
