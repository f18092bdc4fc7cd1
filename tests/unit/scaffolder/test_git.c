/* SPDX-License-Identifier: MIT */
/* Tests of cloning a base branch for the pull request actions, with bare repositories made here. */
#include "scaffolder_test.h"

#include "plugins/scaffolder/git.h"

/* A bare repository whose branch main has one commit, and the folders to clone and commit. */
typedef struct {
    char *dir;
    char *remote;
    char *clone;
    char *source;
    gr_git_push push;
} git_fixture;

static void run_or_fail(const char *command)
{
    if (system(command) != 0)
        fail_msg("command failed: %s", command);
}

static int git_setup(void **state)
{
    git_fixture *f = gr_xcalloc(1, sizeof(*f));
    char *first;
    char *command;
    char *commit = NULL;

    f->dir = gr_test_tmpdir("scaffolder-git");
    f->remote = gr_xasprintf("%s/remote.git", f->dir);
    f->clone = gr_xasprintf("%s/clone", f->dir);
    f->source = gr_xasprintf("%s/source", f->dir);
    f->push = (gr_git_push){.remote_url = f->remote,
                            .branch = "main",
                            .message = "First",
                            .author_name = "Dev",
                            .author_email = "dev@example.com"};
    command = gr_xasprintf("git init -q --bare -b main '%s'", f->remote);
    run_or_fail(command);
    free(command);

    first = gr_xasprintf("%s/first", f->dir);
    gr_test_write_file(first, "README.md", "first");
    if (gr_git_init_commit_push(first, &f->push, &commit) != 0)
        fail_msg("pushing the first commit failed: %s", gr_error_last());
    free(commit);
    free(first);

    gr_test_write_file(f->source, "CHANGE.md", "change");
    f->push.branch = "change";
    *state = f;
    return 0;
}

static int git_teardown(void **state)
{
    git_fixture *f = *state;

    gr_test_rmtree(f->dir);
    free(f->source);
    free(f->clone);
    free(f->remote);
    free(f->dir);
    free(f);
    return 0;
}

/* Points the remote's HEAD at `branch`, which need not exist. */
static void set_remote_head(const git_fixture *f, const char *branch)
{
    char *command =
        gr_xasprintf("git --git-dir='%s' symbolic-ref HEAD refs/heads/%s", f->remote, branch);

    run_or_fail(command);
    free(command);
}

/* The base branch exists, so the new branch is committed and pushed. */
static void clone_base_branch(void **state)
{
    git_fixture *f = *state;
    char *commit = NULL;

    assert_int_equal(gr_git_branch_commit_push(f->clone, "main", f->source, "", &f->push, &commit),
                     0);
    assert_non_null(commit);
    assert_int_equal(strlen(commit), 40);
    free(commit);
}

/* A remote whose HEAD names a missing branch gets a message naming the remote and the fix. */
static void clone_head_missing_branch(void **state)
{
    git_fixture *f = *state;
    char *commit = NULL;
    char *expected;
    int rc;

    set_remote_head(f, "trunk");
    rc = gr_git_branch_commit_push(f->clone, "main", f->source, "", &f->push, &commit);
    assert_int_equal(rc, GR_ENOTFOUND);
    assert_null(commit);
    expected = gr_xasprintf("cannot clone %s (branch main): ", f->remote);
    assert_contains(gr_error_last(), expected);
    assert_contains(gr_error_last(), "HEAD names a branch that does not exist");
    assert_contains(gr_error_last(), "Push that branch");
    assert_contains(gr_error_last(), "default branch");
    assert_not_contains(gr_error_last(), "unknown git error");
    free(expected);
}

/* A base branch the remote does not have is named, with what to do. */
static void clone_missing_base_branch(void **state)
{
    git_fixture *f = *state;
    char *commit = NULL;
    char *expected;
    int rc;

    rc = gr_git_branch_commit_push(f->clone, "develop", f->source, "", &f->push, &commit);
    assert_int_equal(rc, GR_ENOTFOUND);
    assert_null(commit);
    expected = gr_xasprintf("cannot clone %s: branch develop does not exist there", f->remote);
    assert_contains(gr_error_last(), expected);
    assert_contains(gr_error_last(), "targetBranchName");
    free(expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(clone_base_branch, git_setup, git_teardown),
        cmocka_unit_test_setup_teardown(clone_head_missing_branch, git_setup, git_teardown),
        cmocka_unit_test_setup_teardown(clone_missing_base_branch, git_setup, git_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
