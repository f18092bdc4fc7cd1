/* SPDX-License-Identifier: MIT */
/* Integration tests of the portal's unprocessed-entities page on a real server and catalog file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/store/db.h"
#include "support/gr_test.h"

/*
 * Static tokens of the page's callers. The owner may do everything. The
 * viewer reads every entity. The cleaner reads every entity and deletes
 * unprocessed ones. The scoped caller reads only components, a conditional
 * decision, and may register locations.
 */
#define OWNER "ui-owner-token-51873"
#define VIEWER "ui-viewer-token-51873"
#define CLEANER "ui-cleaner-token-51873"
#define SCOPED "ui-scoped-token-51873"

#define PAGE "/catalog-unprocessed-entities"

/* Time the tests wait for the catalog to process a change, in ms. */
#define PROCESSING_WAIT_MS 60000

#define TOKEN_ENTRY(TOKEN, SUBJECT)                                                                \
    "      - type: static\n"                                                                       \
    "        options: { token: " TOKEN ", subject: " SUBJECT " }\n"

static const char app_config[] =
    "app:\n"
    "  baseUrl: http://127.0.0.1:${GREENROOM_PORT}\n"
    "backend:\n"
    "  listen:\n"
    "    port: ${GREENROOM_PORT}\n"
    "  database:\n"
    "    client: better-sqlite3\n"
    "    connection: ./greenroom.sqlite\n"
    "  auth:\n"
    "    externalAccess:\n" TOKEN_ENTRY(OWNER, "page-owner") TOKEN_ENTRY(VIEWER, "page-viewer")
        TOKEN_ENTRY(CLEANER, "page-cleaner") TOKEN_ENTRY(SCOPED, "page-scoped")
    "catalog:\n"
    "  allowedLocationTypes: [url, file]\n"
    "  rules:\n"
    "    - allow: [Component, Location]\n"
    "  locations:\n"
    "    - type: file\n"
    "      target: ./catalog.yaml\n"
    "permission:\n"
    "  enabled: true\n"
    "  rules:\n"
    "    - allow: \"*\"\n"
    "      when: { isService: [external:page-owner] }\n"
    "    - allow: [catalog.entity.read]\n"
    "      when: { isService: [external:page-viewer] }\n"
    "    - allow: [catalog.entity.read, catalog.entities.unprocessed.delete]\n"
    "      when: { isService: [external:page-cleaner] }\n"
    "    - allow: [catalog.location.create]\n"
    "      when: { isService: [external:page-scoped] }\n"
    "    - allow: [catalog.entity.read]\n"
    "      when: { isService: [external:page-scoped], kindIs: [component] }\n";

static const char readonly_config[] = "catalog:\n"
                                      "  readonly: true\n";

#define VALID_COMPONENT                                                                            \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Component\n"                                                                            \
    "metadata: { name: checkout }\n"                                                               \
    "spec: { type: service, lifecycle: production, owner: team-a }\n"

/* Without spec.lifecycle, validation fails and names the missing field. */
#define NO_LIFECYCLE                                                                               \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Component\n"                                                                            \
    "metadata: { name: ledger }\n"                                                                 \
    "spec: { type: service, owner: team-b }\n"

/* An invalid name that the error message quotes, and so the page must escape. */
#define HTML_NAME                                                                                  \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Component\n"                                                                            \
    "metadata: { name: \"x<script>alert(1)</script>\" }\n"                                         \
    "spec: { type: service, lifecycle: production, owner: team-a }\n"

static const char catalog_file[] = VALID_COMPONENT "---\n" NO_LIFECYCLE "---\n" HTML_NAME;

/* The same file without the entity with the HTML name, which makes that entity an orphan. */
static const char catalog_file_without_html[] = VALID_COMPONENT "---\n" NO_LIFECYCLE;

#define LEDGER_REF "component:default/ledger"
#define HTML_REF_ESCAPED "component:default/x&lt;script&gt;alert(1)&lt;/script&gt;"

typedef struct {
    char *dir;
    gr_test_server server;
} fixture;

static fixture fx;

/* Sends a request as a browser of the caller with `token` (NULL: no credentials). */
static gr_test_output browse(const gr_test_server *server, const char *token, const char *method,
                             const char *path, const char *form)
{
    char *credential = token != NULL ? gr_xasprintf("Authorization: Bearer %s", token) : NULL;
    const char *headers[] = {"Accept: text/html", "Content-Type: application/x-www-form-urlencoded",
                             credential, NULL};
    char *url = gr_xasprintf("%s%s", server->base_url, path);
    gr_test_output res = gr_test_http(method, url, headers, form);

    free(url);
    free(credential);
    return res;
}

/* Fetches a page of the shared server and fails unless the status is `status`. */
static gr_test_output fetch(const char *token, const char *path, int status)
{
    gr_test_output res = browse(&fx.server, token, "GET", path, NULL);

    if (res.status != status)
        fail_msg("GET %s: status %d, expected %d: %.600s", path, res.status, status,
                 res.out != NULL ? res.out : "");
    return res;
}

/* Fails unless the page contains `part`, printing the page's main element otherwise. */
static void assert_contains(const gr_test_output *res, const char *part)
{
    const char *main_element = res->out != NULL ? strstr(res->out, "<main") : NULL;

    if (main_element == NULL)
        main_element = res->out != NULL ? res->out : "";
    if (res->out == NULL || strstr(res->out, part) == NULL)
        fail_msg("the page does not contain '%s': %.3000s", part, main_element);
}

static void assert_lacks(const gr_test_output *res, const char *part)
{
    if (res->out != NULL && strstr(res->out, part) != NULL)
        fail_msg("the page contains '%s'", part);
}

/* Returns the CSRF token of the first form of a page (caller frees), or fails. */
static char *csrf_of(const gr_test_output *res)
{
    const char *marker = "name=\"csrf\" value=\"";
    const char *start = res->out != NULL ? strstr(res->out, marker) : NULL;
    const char *end;

    if (start == NULL)
        fail_msg("the page has no CSRF field");
    start += strlen(marker);
    end = strchr(start, '"');
    assert_non_null(end);
    return gr_xstrndup(start, (size_t)(end - start));
}

/* Returns the entity_id that the page shows for `escaped_ref` (caller frees), or NULL. */
static char *listed_id(const gr_test_output *res, const char *escaped_ref)
{
    const char *marker = "id=\"unprocessed-";
    char *heading = gr_xasprintf("><code>%s</code></h3>", escaped_ref);
    const char *found = res->out != NULL ? strstr(res->out, heading) : NULL;
    const char *start = NULL;

    free(heading);
    if (found == NULL)
        return NULL;
    for (const char *p = strstr(res->out, marker); p != NULL && p < found;
         p = strstr(p + 1, marker))
        start = p + strlen(marker);
    return start != NULL ? gr_xstrndup(start, strcspn(start, "\"")) : NULL;
}

/* Waits until the page at `path` of `server`, fetched as the owner, contains every one of
 * `parts`. */
static bool wait_for_page(const gr_test_server *server, const char *path,
                          const char *const *parts)
{
    for (int waited = 0; waited < PROCESSING_WAIT_MS; waited += 250) {
        gr_test_output res = browse(server, OWNER, "GET", path, NULL);
        bool complete = res.status == 200;

        for (size_t i = 0; complete && parts[i] != NULL; i++)
            complete = strstr(res.out, parts[i]) != NULL;
        gr_test_output_free(&res);
        if (complete)
            return true;
        usleep(250 * 1000);
    }
    fprintf(stderr, "%s did not show all expected parts within %d ms\n", path,
            PROCESSING_WAIT_MS);
    return false;
}

/*
 * Makes a folder with the config, `extra_yaml` (or NULL) as a second config
 * file and `catalog_text` as ./catalog.yaml, and starts a server there.
 * Returns the folder (caller frees), or NULL when the server did not start.
 */
static char *serve_catalog(gr_test_server *server, const char *prefix, const char *extra_yaml,
                           const char *catalog_text)
{
    char *dir = gr_test_tmpdir(prefix);
    const char *configs[] = {"app-config.yaml", extra_yaml != NULL ? "extra.yaml" : NULL, NULL};

    gr_test_write_file(dir, "app-config.yaml", app_config);
    gr_test_write_file(dir, "catalog.yaml", catalog_text);
    if (extra_yaml != NULL)
        gr_test_write_file(dir, "extra.yaml", extra_yaml);
    if (gr_test_server_start_configs(server, dir, configs, 30000) == 0)
        return dir;
    gr_test_rmtree(dir);
    free(dir);
    return NULL;
}

/* Stops a server of serve_catalog() and removes its folder. */
static void stop_catalog(gr_test_server *server, char *dir)
{
    gr_test_server_stop(server);
    gr_test_rmtree(dir);
    free(dir);
}

static int group_setup(void **state)
{
    const char *const failures[] = {"<code>" LEDGER_REF "</code>", HTML_REF_ESCAPED, NULL};

    (void)state;
    memset(&fx, 0, sizeof(fx));
    fx.dir = serve_catalog(&fx.server, "ui-unprocessed", NULL, catalog_file);
    return fx.dir != NULL && wait_for_page(&fx.server, PAGE, failures) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    if (fx.dir != NULL)
        stop_catalog(&fx.server, fx.dir);
    return 0;
}

/* Returns the CSRF token of the page at `path` for the caller with `token` (caller frees). */
static char *page_csrf(const gr_test_server *server, const char *token, const char *path)
{
    gr_test_output res = browse(server, token, "GET", path, NULL);
    char *csrf;

    if (res.status != 200)
        fail_msg("GET %s: status %d", path, res.status);
    csrf = csrf_of(&res);
    gr_test_output_free(&res);
    return csrf;
}

/* Posts the delete form of entity `id` as the caller with `token`, with `csrf` (NULL: none)
 * and the further fields `fields` ("" or "&name=value..."). */
static gr_test_output post_delete(const gr_test_server *server, const char *token, const char *id,
                                  const char *csrf, const char *fields)
{
    char *path = gr_xasprintf(PAGE "/delete/%s", id);
    char *form = csrf != NULL ? gr_xasprintf("csrf=%s%s", csrf, fields) : gr_xstrdup(fields);
    gr_test_output res = browse(server, token, "POST", path, form);

    free(form);
    free(path);
    return res;
}

/* Fails unless the failed list of `server` still shows the entity without spec.lifecycle. */
static void assert_ledger_listed(const gr_test_server *server)
{
    gr_test_output res = browse(server, OWNER, "GET", PAGE, NULL);

    assert_int_equal(res.status, 200);
    assert_contains(&res, "<code>" LEDGER_REF "</code>");
    gr_test_output_free(&res);
}

/* Returns the entity_id that the failed list shows for the entity without spec.lifecycle. */
static char *ledger_id(const gr_test_server *server)
{
    gr_test_output res = browse(server, OWNER, "GET", PAGE, NULL);
    char *id = listed_id(&res, LEDGER_REF);

    if (id == NULL)
        fail_msg("the failed list does not show %s", LEDGER_REF);
    gr_test_output_free(&res);
    return id;
}

/* A browser without credentials is sent to sign in, and comes back to the page afterwards. */
static void anonymous_sent_to_signin(void **state)
{
    gr_test_output res = browse(&fx.server, NULL, "GET", PAGE "?type=pending", NULL);

    (void)state;
    assert_int_equal(res.status, 302);
    assert_non_null(res.err);
    if (strcasestr(res.err, "Location: /signin?redirect=%2Fcatalog-unprocessed-entities") == NULL)
        fail_msg("no redirect to /signin: %s", res.err);
    gr_test_output_free(&res);
}

/* An entity that failed validation is listed with its kind, owner, file and error. */
static void failed_entity_shows_error_and_file(void **state)
{
    gr_test_output res = fetch(VIEWER, PAGE, 200);
    char *file = gr_xasprintf("<code>file:%s/catalog.yaml</code>", fx.dir);

    (void)state;
    assert_contains(&res, "<h2 id=\"unprocessed-title\">2 failed entities</h2>");
    assert_contains(&res, "<code>" LEDGER_REF "</code>");
    assert_contains(&res, "<dd>team-b</dd>");
    assert_contains(&res, "<dd>Component</dd>");
    assert_contains(&res, file);
    assert_contains(&res, "<strong>InputError</strong>");
    assert_contains(&res, "must have required property &#39;lifecycle&#39;");
    assert_contains(&res, "<time datetime=\"");
    assert_contains(&res, "aria-current=\"page\">Failed</a>");
    assert_lacks(&res, "<code>component:default/checkout</code>");
    free(file);
    gr_test_output_free(&res);
}

/* The entity reference and the error message quote the invalid name, escaped. */
static void error_message_html_escaped(void **state)
{
    gr_test_output res = fetch(VIEWER, PAGE, 200);

    (void)state;
    assert_contains(&res, "<code>" HTML_REF_ESCAPED "</code>");
    assert_contains(&res, "invalid metadata.name &quot;x&lt;script&gt;alert(1)&lt;/script&gt;&quot;");
    assert_lacks(&res, "<script>alert(1)");
    gr_test_output_free(&res);
}

/*
 * The 404 page of a failed entity's URL links to the failed list for a
 * caller who may list it. Another caller gets the plain 404 page, which
 * does not tell that the entity exists.
 */
static void entity_404_links_failed_list(void **state)
{
    gr_test_output res = fetch(VIEWER, "/catalog/default/component/ledger", 404);

    (void)state;
    assert_contains(&res, "No entity named &#39;" LEDGER_REF "&#39; found");
    assert_contains(&res, "<p>Processing of this entity failed, so it is not in the catalog. Its "
                          "errors are on the <a href=\"/catalog-unprocessed-entities?type=failed\">"
                          "list of failed entities</a>.</p>");
    gr_test_output_free(&res);

    res = fetch(SCOPED, "/catalog/default/component/ledger", 404);
    assert_contains(&res, "No entity named &#39;" LEDGER_REF "&#39; found");
    assert_lacks(&res, "Processing of this entity failed");
    assert_lacks(&res, PAGE);
    gr_test_output_free(&res);

    res = fetch(VIEWER, "/catalog/default/component/no-such-entity", 404);
    assert_contains(&res, "No entity named &#39;component:default/no-such-entity&#39; found");
    assert_lacks(&res, "Processing of this entity failed");
    assert_lacks(&res, PAGE);
    gr_test_output_free(&res);
}

/* The deleted confirmation shows only an entity reference, escaped, and no other value. */
static void deleted_notice_escaped_and_checked(void **state)
{
    static const char *const ignored[] = {
        PAGE "?deleted=no-colon",
        PAGE "?deleted=component:no-slash",
        PAGE "?deleted=:default/x",
        PAGE "?deleted=component:default/\xff",
    };
    gr_test_output res = fetch(VIEWER, PAGE "?deleted=component:default/%3Cb%3Ex", 200);

    (void)state;
    assert_contains(&res, "Deleted <code>component:default/&lt;b&gt;x</code>.");
    assert_lacks(&res, "<b>x");
    gr_test_output_free(&res);
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
        res = fetch(VIEWER, ignored[i], 200);
        if (strstr(res.out, "Deleted <code>") != NULL)
            fail_msg("case %zu shows a deleted notice", i);
        gr_test_output_free(&res);
    }
}

/* The owner filter keeps entities whose spec.owner is exactly the value, in both tabs' links. */
static void owner_filter_narrows(void **state)
{
    gr_test_output res = fetch(VIEWER, PAGE "?owner=team-b", 200);

    (void)state;
    assert_contains(&res, "1 failed entity owned by team-b</h2>");
    assert_contains(&res, "<code>" LEDGER_REF "</code>");
    assert_lacks(&res, HTML_REF_ESCAPED);
    assert_contains(&res, "href=\"/catalog-unprocessed-entities?type=pending&amp;owner=team-b\"");
    gr_test_output_free(&res);

    res = fetch(VIEWER, PAGE "?owner=nobody", 200);
    assert_contains(&res, "No failed entities.");
    gr_test_output_free(&res);
}

/*
 * An owner filter that is not UTF-8, with a raw byte in the query or an
 * escape in a form body, gets the 400 page instead of an empty list page.
 */
static void owner_filter_rejects_invalid_utf8(void **state)
{
    static const struct {
        const char *path;
        const char *form;
        const char *message;
    } cases[] = {
        {PAGE "?owner=team-\xff", NULL, "The owner filter is not valid UTF-8"},
        {PAGE "?type=pending&owner=\xc3", NULL, "The owner filter is not valid UTF-8"},
        {PAGE, "owner=team-%FF", "The form field &#39;owner&#39; is not valid UTF-8"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gr_test_output res = browse(&fx.server, VIEWER, "GET", cases[i].path, cases[i].form);

        if (res.status != 400)
            fail_msg("case %zu: status %d, expected 400", i, res.status);
        assert_contains(&res, cases[i].message);
        gr_test_output_free(&res);
    }
}

/*
 * A form field of the import page whose decoded value is not UTF-8 or
 * contains a NUL byte gets the 400 page naming the field, instead of a
 * review of an empty or cut target.
 */
static void import_rejects_invalid_form_values(void **state)
{
    static const struct {
        const char *fields;
        const char *message;
    } cases[] = {
        {"&target=/tmp/%FF.yaml", "The form field &#39;target&#39; is not valid UTF-8"},
        {"&target=/tmp/a%C3.yaml", "The form field &#39;target&#39; is not valid UTF-8"},
        {"&target=/tmp/a%00.yaml", "The form field &#39;target&#39; contains a NUL byte"},
        {"&tar\xffget=/tmp/a.yaml", "A form field name is not valid UTF-8"},
    };
    char *csrf = page_csrf(&fx.server, OWNER, "/catalog-import");

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *form = gr_xasprintf("csrf=%s%s", csrf, cases[i].fields);
        gr_test_output res = browse(&fx.server, OWNER, "POST", "/catalog-import/analyze", form);

        if (res.status != 400)
            fail_msg("case %zu: status %d, expected 400", i, res.status);
        assert_contains(&res, cases[i].message);
        assert_lacks(&res, "Review the location");
        gr_test_output_free(&res);
        free(form);
    }

    {
        char *form = gr_xasprintf("csrf=%s&target=/tmp/caf%%C3%%A9-missing.yaml", csrf);
        gr_test_output res = browse(&fx.server, OWNER, "POST", "/catalog-import/analyze", form);

        assert_int_equal(res.status, 200);
        assert_contains(&res, "/tmp/caf\xc3\xa9-missing.yaml");
        gr_test_output_free(&res);
        free(form);
    }
    free(csrf);
}

/* A conditional catalog.entity.read gets the portal's 403 page without any row. */
static void page_needs_unconditional_read(void **state)
{
    static const char *const paths[] = {PAGE, PAGE "?type=pending"};

    (void)state;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        gr_test_output res = fetch(SCOPED, paths[i], 403);

        assert_contains(&res, "<h2 id=\"error-title\">403 Not allowed</h2>");
        assert_contains(&res, "catalog.entity.read for every entity");
        assert_lacks(&res, "ledger");
        gr_test_output_free(&res);
    }
}

/* The catalog page links to the failed list for callers who may list it, and only for them. */
static void catalog_notice_for_readers(void **state)
{
    gr_test_output res = fetch(VIEWER, "/catalog", 200);

    (void)state;
    assert_contains(&res, "<a href=\"/catalog-unprocessed-entities\">2 entities failed "
                          "processing</a>: they are missing from the catalog until their errors "
                          "are fixed.</div>");
    gr_test_output_free(&res);

    res = fetch(SCOPED, "/catalog", 200);
    assert_contains(&res, "checkout");
    assert_lacks(&res, "failed processing");
    assert_lacks(&res, PAGE);
    gr_test_output_free(&res);
}

/*
 * A caller without catalog.entities.unprocessed.delete gets no delete form,
 * and a delete post without that permission, without a CSRF token or with
 * another caller's token is 403 and keeps the row.
 */
static void delete_needs_permission_and_csrf(void **state)
{
    static const struct {
        const char *caller;
        const char *csrf_of_caller; /* whose page the token comes from; NULL: none */
        const char *message;
    } cases[] = {
        {VIEWER, VIEWER, "catalog.entities.unprocessed.delete"},
        {CLEANER, NULL, "reload the page"},
        {CLEANER, VIEWER, "reload the page"},
    };
    gr_test_output res = fetch(VIEWER, PAGE, 200);
    char *id = ledger_id(&fx.server);

    (void)state;
    assert_lacks(&res, "/delete/");
    gr_test_output_free(&res);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *csrf = cases[i].csrf_of_caller != NULL
                         ? page_csrf(&fx.server, cases[i].csrf_of_caller, PAGE)
                         : NULL;

        res = post_delete(&fx.server, cases[i].caller, id, csrf,
                          csrf != NULL ? "&type=failed" : "type=failed");
        if (res.status != 403)
            fail_msg("case %zu: status %d, expected 403", i, res.status);
        assert_contains(&res, cases[i].message);
        gr_test_output_free(&res);
        free(csrf);
    }
    assert_ledger_listed(&fx.server);
    free(id);
}

/* The id of a stitched entity is rejected with 409, as the API rejects it, and it stays. */
static void delete_rejects_stitched(void **state)
{
    gr_test_output res = fetch(CLEANER, "/catalog/default/component/checkout?tab=inspector", 200);
    const char *uid_marker = "&quot;uid&quot;: &quot;";
    const char *found = strstr(res.out, uid_marker);
    char *csrf = csrf_of(&res);
    char *uid;

    (void)state;
    assert_non_null(found);
    found += strlen(uid_marker);
    uid = gr_xstrndup(found, strcspn(found, "&"));
    gr_test_output_free(&res);

    res = post_delete(&fx.server, CLEANER, uid, csrf, "");
    assert_int_equal(res.status, 409);
    assert_contains(&res, "component:default/checkout has been processed into a final entity");
    gr_test_output_free(&res);

    res = fetch(CLEANER, "/catalog/default/component/checkout", 200);
    gr_test_output_free(&res);
    free(uid);
    free(csrf);
}

/*
 * Waits until the failed list of the shared server shows the entity without
 * spec.lifecycle under an entity_id other than `old_id`, and returns that id
 * (caller frees), or NULL after PROCESSING_WAIT_MS.
 */
static char *wait_for_new_ledger_id(const char *old_id)
{
    for (int waited = 0; waited < PROCESSING_WAIT_MS; waited += 250) {
        gr_test_output res = browse(&fx.server, OWNER, "GET", PAGE, NULL);
        char *id = res.status == 200 ? listed_id(&res, LEDGER_REF) : NULL;

        gr_test_output_free(&res);
        if (id != NULL && strcmp(id, old_id) != 0)
            return id;
        free(id);
        usleep(250 * 1000);
    }
    fprintf(stderr, "%s did not fail again within %d ms\n", LEDGER_REF, PROCESSING_WAIT_MS);
    return NULL;
}

/*
 * With the permission and the CSRF token, the delete form removes the row
 * and returns to the list it came from. The file still defines the entity,
 * so its location processes it again at once and it is listed again under a
 * new entity_id, with the same error. A second delete of the old id is 404.
 */
static void delete_reprocesses_row(void **state)
{
    gr_test_output res = fetch(CLEANER, PAGE "?owner=team-b", 200);
    char *csrf = csrf_of(&res);
    char *id = listed_id(&res, LEDGER_REF);
    char *new_id;

    (void)state;
    assert_non_null(id);
    assert_contains(&res, "action=\"/catalog-unprocessed-entities/delete/");
    assert_contains(&res, "aria-label=\"Delete " LEDGER_REF "\"");
    assert_contains(&res, "The location that emits it is processed again at once, so the entity "
                          "comes back within seconds and fails again until its errors are fixed.");
    gr_test_output_free(&res);

    res = post_delete(&fx.server, CLEANER, id, csrf, "&type=failed&owner=team-b");
    assert_int_equal(res.status, 303);
    if (strcasestr(res.err, "Location: /catalog-unprocessed-entities?type=failed&owner=team-b"
                            "&deleted=component%3Adefault%2Fledger") == NULL)
        fail_msg("the delete did not return to the filtered list: %s", res.err);
    gr_test_output_free(&res);

    res = fetch(CLEANER, PAGE "?type=failed&owner=team-b&deleted=component%3Adefault%2Fledger",
                200);
    assert_contains(&res, "role=\"status\">Deleted <code>" LEDGER_REF "</code>. If a location "
                          "still emits it, it comes back when that location is processed next, "
                          "and fails again until its errors are fixed.</div>");
    gr_test_output_free(&res);

    res = post_delete(&fx.server, CLEANER, id, csrf, "");
    assert_int_equal(res.status, 404);
    assert_contains(&res, id);
    gr_test_output_free(&res);

    new_id = wait_for_new_ledger_id(id);
    assert_non_null(new_id);
    res = fetch(CLEANER, PAGE "?owner=team-b", 200);
    assert_contains(&res, "1 failed entity owned by team-b</h2>");
    assert_contains(&res, "must have required property &#39;lifecycle&#39;");
    gr_test_output_free(&res);
    free(new_id);
    free(id);
    free(csrf);
}

/* Opens the database of the shared server, SQLite or the PostgreSQL one the harness gave it. */
static gr_db *open_server_db(void)
{
    char *path = gr_xasprintf("%s/greenroom.sqlite", fx.dir);
    gr_db *db = NULL;

    if (gr_test_server_db_open(&fx.server, path, &db) != GR_OK)
        fail_msg("opening the server's database failed: %s", gr_error_last());
    free(path);
    return db;
}

/*
 * A failed entity that no location emits stays deleted, and the catalog
 * notice counts again at once after the delete form removed it: a count of
 * 3 that it kept would still show. The row is inserted by hand, without a
 * ref and not due, as a row whose location went away before it was read.
 */
static void delete_without_location_stays(void **state)
{
    const char *const three[] = {">3 entities failed processing</a>", NULL};
    gr_db *db = open_server_db();
    gr_db_conn *conn = NULL;
    gr_test_output res;
    char *csrf;

    (void)state;
    if (gr_db_acquire(db, GR_DB_WRITE, &conn) != GR_OK ||
        gr_db_exec(conn, "INSERT INTO catalog_refresh_state (entity_id, entity_ref, "
                         "unprocessed_entity, errors, next_update_at) VALUES ('stray-1', "
                         "'component:default/stray', '{\"kind\":\"Component\"}', "
                         "'[{\"name\":\"InputError\",\"message\":\"invalid\"}]', "
                         "9000000000000)") != GR_OK)
        fail_msg("inserting the row failed: %s", gr_error_last());
    gr_db_release(conn);
    gr_db_close(db);
    assert_true(wait_for_page(&fx.server, "/catalog", three));

    csrf = page_csrf(&fx.server, CLEANER, PAGE);
    res = post_delete(&fx.server, CLEANER, "stray-1", csrf, "&type=failed");
    assert_int_equal(res.status, 303);
    gr_test_output_free(&res);

    res = fetch(VIEWER, "/catalog", 200);
    assert_contains(&res, ">2 entities failed processing</a>: they are missing from the catalog "
                          "until their errors are fixed.</div>");
    gr_test_output_free(&res);

    res = fetch(CLEANER, PAGE, 200);
    assert_lacks(&res, "<code>component:default/stray</code>");
    assert_contains(&res, "<code>" LEDGER_REF "</code>");
    gr_test_output_free(&res);
    free(csrf);
}

/*
 * An entity its file stops emitting becomes an orphan whose errors are
 * cleared: it leaves the failed tab and the pending tab lists it.
 */
static void pending_tab_lists_orphan(void **state)
{
    const char *const pending[] = {HTML_REF_ESCAPED, NULL};
    const char *const failed[] = {"<code>" LEDGER_REF "</code>", NULL};
    char *csrf = page_csrf(&fx.server, OWNER, "/catalog/default/component/checkout");
    char *form = gr_xasprintf("csrf=%s", csrf);
    gr_test_output res;

    (void)state;
    gr_test_write_file(fx.dir, "catalog.yaml", catalog_file_without_html);
    res = browse(&fx.server, OWNER, "POST", "/catalog/default/component/checkout/refresh", form);
    assert_int_equal(res.status, 303);
    gr_test_output_free(&res);
    free(form);
    free(csrf);

    assert_true(wait_for_page(&fx.server, PAGE "?type=pending", pending));
    assert_true(wait_for_page(&fx.server, PAGE, failed));

    res = fetch(VIEWER, PAGE "?type=pending", 200);
    assert_contains(&res, "1 pending entity</h2>");
    assert_contains(&res, "aria-current=\"page\">Pending</a>");
    assert_contains(&res, "<dt>Next processing</dt>");
    assert_lacks(&res, "<code>" LEDGER_REF "</code>");
    gr_test_output_free(&res);

    res = fetch(VIEWER, PAGE "?type=failed", 200);
    assert_lacks(&res, HTML_REF_ESCAPED);
    gr_test_output_free(&res);

    res = fetch(VIEWER, "/catalog/default/component/x%3Cscript%3Ealert(1)%3C%2Fscript%3E", 404);
    assert_contains(&res, "because it is waiting for processing or no location emits it any more. "
                          "It is on the <a href=\"/catalog-unprocessed-entities?type=pending\">"
                          "list of pending entities</a>.</p>");
    gr_test_output_free(&res);
}

/* The result of registering a location links to the page, for callers who may list it. */
static void import_result_links_page(void **state)
{
    static const char *const callers[][2] = {{OWNER, "registered-by-owner"},
                                             {SCOPED, "registered-by-scoped"}};

    (void)state;
    for (size_t i = 0; i < sizeof(callers) / sizeof(callers[0]); i++) {
        char *file = gr_xasprintf("%s/catalog-info.yaml", callers[i][1]);
        char *entity = gr_xasprintf("apiVersion: backstage.io/v1alpha1\n"
                                    "kind: Component\n"
                                    "metadata: { name: %s }\n"
                                    "spec: { type: service, lifecycle: production, owner: team-a }\n",
                                    callers[i][1]);
        char *csrf = page_csrf(&fx.server, callers[i][0], "/catalog-import");
        char *form = gr_xasprintf("csrf=%s&target=%s/%s", csrf, fx.dir, file);
        gr_test_output res;

        gr_test_write_file(fx.dir, file, entity);
        res = browse(&fx.server, callers[i][0], "POST", "/catalog-import/register", form);
        assert_int_equal(res.status, 200);
        assert_contains(&res, "3. Registered");
        if (strcmp(callers[i][0], OWNER) == 0)
            assert_contains(&res, "<a href=\"/catalog-unprocessed-entities\">");
        else
            assert_lacks(&res, PAGE);
        gr_test_output_free(&res);
        free(form);
        free(csrf);
        free(entity);
        free(file);
    }
}

/* With catalog.readonly the page lists but offers no delete, and a delete post is 403. */
static void readonly_catalog_rejects_delete(void **state)
{
    const char *const failures[] = {"<code>" LEDGER_REF "</code>", NULL};
    gr_test_server server = {0};
    char *dir = serve_catalog(&server, "ui-unprocessed-readonly", readonly_config, catalog_file);
    gr_test_output res;
    char *csrf;
    char *id;

    (void)state;
    if (dir == NULL || !wait_for_page(&server, PAGE, failures))
        fail_msg("the read-only server did not list the failed entity");
    res = browse(&server, OWNER, "GET", PAGE, NULL);
    assert_lacks(&res, "/delete/");
    csrf = csrf_of(&res);
    gr_test_output_free(&res);
    id = ledger_id(&server);

    res = post_delete(&server, OWNER, id, csrf, "");
    assert_int_equal(res.status, 403);
    assert_contains(&res, "catalog.readonly");
    gr_test_output_free(&res);
    assert_ledger_listed(&server);

    stop_catalog(&server, dir);
    free(id);
    free(csrf);
}

/* A Location whose target file does not exist fails processing with a NotFoundError. */
#define MISSING_TARGET_LOCATION                                                                    \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Location\n"                                                                             \
    "metadata: { name: services }\n"                                                               \
    "spec: { type: file, target: ./services/missing.yaml }\n"

/*
 * A failed Location is counted in the catalog notice, which states that the
 * entities of its files are missing, and its row on the failed list names
 * its target.
 */
static void failed_location_stands_out(void **state)
{
    const char *const failures[] = {"<code>location:default/services</code>",
                                    "<code>" LEDGER_REF "</code>", NULL};
    gr_test_server server = {0};
    char *dir = serve_catalog(&server, "ui-unprocessed-location", NULL,
                              NO_LIFECYCLE "---\n" MISSING_TARGET_LOCATION);
    gr_test_output res;

    (void)state;
    if (dir == NULL || !wait_for_page(&server, PAGE, failures))
        fail_msg("the server did not list the failed Location");
    res = browse(&server, VIEWER, "GET", "/catalog", NULL);
    assert_contains(&res, ">2 entities failed processing</a>, including 1 location: they are "
                          "missing from the catalog until the errors are fixed, and the entities "
                          "that the location&#39;s files define are missing or out of date.</div>");
    gr_test_output_free(&res);

    res = browse(&server, VIEWER, "GET", PAGE, NULL);
    assert_int_equal(res.status, 200);
    assert_contains(&res, "This Location entity failed processing. Until its errors are fixed, the "
                          "catalog does not read its targets");
    assert_contains(&res, "<li>Target <code>./services/missing.yaml</code></li>");
    assert_contains(&res, "<strong>NotFoundError</strong>");
    assert_non_null(strstr(res.out, "unprocessed-location\""));
    if (strstr(strstr(res.out, "unprocessed-location\"") + 1, "unprocessed-location\"") != NULL)
        fail_msg("the Location callout is on more than one row");
    gr_test_output_free(&res);
    stop_catalog(&server, dir);
}

/* Returns a catalog file of `count` components without spec.lifecycle, the first with a
 * description of `description_bytes` bytes and `bad_tags` invalid tags (caller frees). */
static char *many_failures(int count, size_t description_bytes, int bad_tags)
{
    char *description = gr_xcalloc(description_bytes + 1, 1);
    size_t size = 0;
    char *text = NULL;
    FILE *out = open_memstream(&text, &size);

    memset(description, 'd', description_bytes);
    for (int i = 0; i < count; i++) {
        fprintf(out,
                "---\napiVersion: backstage.io/v1alpha1\nkind: Component\n"
                "metadata: { name: bulk-%03d, description: %s, tags: [",
                i, i == 0 ? description : "short");
        for (int tag = 0; i == 0 && tag < bad_tags; tag++)
            fprintf(out, "%s\"BAD TAG %d\"", tag > 0 ? ", " : "", tag);
        fputs("] }\nspec: { type: service, owner: team-c }\n", out);
    }
    fclose(out);
    free(description);
    return text;
}

/*
 * With more failed entities than the page lists, it shows the first 500 by
 * reference with a notice, and the catalog page shows "More than 500". An
 * entity whose JSON is larger than 16 KiB is described by its size. An error
 * message longer than 16 KiB is cut, and each of the 300 invalid tags adds a
 * sentence of about 120 bytes to the message.
 */
static void list_cut_at_max_rows(void **state)
{
    const char *const cut[] = {"500 failed entities</h2>", NULL};
    char *catalog_text = many_failures(501, 17000, 300);
    gr_test_server server = {0};
    char *dir = serve_catalog(&server, "ui-unprocessed-many", NULL, catalog_text);
    gr_test_output res;

    (void)state;
    free(catalog_text);
    if (dir == NULL || !wait_for_page(&server, PAGE, cut))
        fail_msg("the server did not list 500 failed entities");
    res = browse(&server, VIEWER, "GET", PAGE, NULL);
    assert_contains(&res, "The list shows the first 500 entities by reference, and more match.");
    assert_contains(&res, "<code>component:default/bulk-499</code>");
    assert_lacks(&res, "<code>component:default/bulk-500</code>");
    assert_contains(&res, "too large to show here");
    assert_contains(&res, "invalid tag 1 ");
    assert_lacks(&res, "invalid tag 299 ");
    assert_contains(&res, "bytes are shown, and GET /api/catalog/entities/unprocessed/failed "
                          "returns the whole message)");
    gr_test_output_free(&res);

    res = browse(&server, VIEWER, "GET", "/catalog", NULL);
    assert_contains(&res, ">More than 500 entities failed processing</a>");
    gr_test_output_free(&res);
    stop_catalog(&server, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(anonymous_sent_to_signin),
        cmocka_unit_test(failed_entity_shows_error_and_file),
        cmocka_unit_test(error_message_html_escaped),
        cmocka_unit_test(entity_404_links_failed_list),
        cmocka_unit_test(deleted_notice_escaped_and_checked),
        cmocka_unit_test(owner_filter_narrows),
        cmocka_unit_test(owner_filter_rejects_invalid_utf8),
        cmocka_unit_test(import_rejects_invalid_form_values),
        cmocka_unit_test(page_needs_unconditional_read),
        cmocka_unit_test(catalog_notice_for_readers),
        cmocka_unit_test(delete_needs_permission_and_csrf),
        cmocka_unit_test(delete_rejects_stitched),
        cmocka_unit_test(delete_reprocesses_row),
        cmocka_unit_test(delete_without_location_stays),
        cmocka_unit_test(pending_tab_lists_orphan),
        cmocka_unit_test(import_result_links_page),
        cmocka_unit_test(readonly_catalog_rejects_delete),
        cmocka_unit_test(failed_location_stands_out),
        cmocka_unit_test(list_cut_at_max_rows),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
