/* SPDX-License-Identifier: MIT */
/* Unit tests for every template filter, Nunjucks' and Backstage's, and filter registration. */
#include "template_test.h"

static const char users[] = "{\"users\": [{\"name\": \"ann\", \"age\": 31, \"admin\": true},"
                            "{\"name\": \"bob\", \"age\": 25}, {\"name\": \"cy\", \"age\": 31}]}";

typedef struct {
    const char *source;
    const char *context;
    const char *expected;
} filter_case;

static void run_cases(const filter_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++)
        assert_renders(cases[i].source, cases[i].context, cases[i].expected);
}

static void filters_a_to_f(void **state)
{
    static const filter_case cases[] = {
        {"${{ -3.5 | abs }}", NULL, "3.5"},
        {"${{ [1,2,3,4,5] | batch(2) | dump }}", NULL, "[[1,2],[3,4],[5]]"},
        {"${{ [1,2,3] | batch(2, 0) | dump }}|${{ [1,2,3] | batch(2, 9) | dump }}", NULL,
         "[[1,2],[3]]|[[1,2],[3,9]]"},
        {"${{ \"hELLO wORLD\" | capitalize }}", NULL, "Hello world"},
        {"[${{ \"ab\" | center(7) }}]", NULL, "[  ab   ]"},
        {"${{ x | default(\"d\") }}|${{ \"\" | default(\"d\") }}|${{ \"\" | d(\"d\", true) }}",
         NULL, "d||d"},
        {"${{ {b: 1, A: 2, a: 3} | dictsort | dump }}", NULL, "[[\"A\",2],[\"a\",3],[\"b\",1]]"},
        {"${{ {b: 2, a: 1} | dictsort(false, \"value\") | dump }}", NULL, "[[\"a\",1],[\"b\",2]]"},
        {"${{ {a: [1, {b: none}]} | dump }}", NULL, "{\"a\":[1,{\"b\":null}]}"},
        {"${{ {a: 1} | dump(2) }}", NULL, "{\n  \"a\": 1\n}"},
        {"${{ \"<a href='x'>&\\\\</a>\" | escape }}", NULL,
         "&lt;a href=&#39;x&#39;&gt;&amp;&#92;&lt;/a&gt;"},
        {"${{ \"<b>\" | e }}|${{ \"<i>\" | forceescape }}", NULL, "&lt;b&gt;|&lt;i&gt;"},
        {"${{ [7, 8] | first }}|${{ \"xyz\" | first }}", NULL, "7|x"},
        {"${{ \"2.5kg\" | float }}|${{ \"kg\" | float(0) }}", NULL, "2.5|0"},
    };

    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void filters_g_to_r(void **state)
{
    static const filter_case cases[] = {
        {"${{ users | groupby(\"age\") | dump }}", users,
         "{\"25\":[{\"name\":\"bob\",\"age\":25}],\"31\":[{\"name\":\"ann\",\"age\":31,"
         "\"admin\":true},{\"name\":\"cy\",\"age\":31}]}"},
        {"${{ \"a\\nb\" | indent }}|${{ \"a\\nb\" | indent(1, true) }}", NULL, "a\n    b| a\n b"},
        {"${{ \"42\" | int }}|${{ \"0x1F\" | int(base=16) }}|${{ \"z\" | int(5) }}", NULL,
         "42|31|5"},
        {"${{ [1, 2] | join }}|${{ users | join(\", \", \"name\") }}", users, "12|ann, bob, cy"},
        {"${{ [7, 8] | last }}|${{ \"xyz\" | last }}", NULL, "8|z"},
        {"${{ \"héllo\" | length }}|${{ [1,2] | length }}|${{ {a:1} | length }}|${{ x | length }}",
         NULL, "5|2|1|0"},
        {"${{ \"ab\" | list | dump }}|${{ {k: 1} | list | dump }}", NULL,
         "[\"a\",\"b\"]|[{\"key\":\"k\",\"value\":1}]"},
        {"${{ \"AbC\" | lower }}|${{ \"AbC\" | upper }}", NULL, "abc|ABC"},
        {"${{ \"a\\nb\\r\\nc\" | nl2br }}", NULL, "a<br />\nb<br />\nc"},
        {"${{ [0, 1, \"\", \"a\"] | select | dump }}|${{ [1, 2, 3] | reject(\"odd\") | dump }}",
         NULL, "[1,\"a\"]|[2]"},
        {"${{ users | selectattr(\"admin\") | join(\",\", \"name\") }}|${{ users | "
         "rejectattr(\"admin\") | join(\",\", \"name\") }}",
         users, "ann|bob,cy"},
        {"${{ \"a-b-c\" | replace(\"-\", \"+\") }}|${{ \"aaa\" | replace(\"a\", \"b\", 1) }}", NULL,
         "a+b+c|baa"},
        {"${{ \"abc\" | reverse }}|${{ [1, 2, 3] | reverse | join }}", NULL, "cba|321"},
        {"${{ 2.5 | round }}|${{ 2.567 | round(2) }}|${{ 2.9 | round(0, \"floor\") }}", NULL,
         "3|2.57|2"},
    };

    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void filters_s_to_w(void **state)
{
    static const filter_case cases[] = {
        {"${{ \"<b>\" | safe }}|${{ none | safe }}|", NULL, "<b>||"},
        {"${{ [1,2,3,4,5] | slice(2) | dump }}", NULL, "[[1,2,3],[4,5]]"},
        {"${{ [\"b\", \"A\", \"c\"] | sort | join }}|${{ [3, 1, 2] | sort(true) | join }}", NULL,
         "Abc|321"},
        {"${{ users | sort(attribute=\"name\", reverse=true) | join(\",\", \"name\") }}", users,
         "cy,bob,ann"},
        {"${{ 12 | string }}|${{ [1, 2] | string }}", NULL, "12|1,2"},
        {"${{ \"<p>a  <b>b</b></p>\\n\\nc\" | striptags }}", NULL, "a b c"},
        {"${{ [1, 2, 3] | sum }}|${{ users | sum(\"age\") }}", users, "6|87"},
        {"${{ \"hello big world\" | title }}", NULL, "Hello Big World"},
        {"[${{ \"  x  \" | trim }}]", NULL, "[x]"},
        {"${{ \"one two three\" | truncate(9) }}|${{ \"one two three\" | truncate(5, true, \"\") "
         "}}",
         NULL, "one two...|one t"},
        {"${{ \"a b/é\" | urlencode }}|${{ {q: \"x&y\"} | urlencode }}", NULL,
         "a%20b%2F%C3%A9|q=x%26y"},
        {"${{ \"one, two three\" | wordcount }}", NULL, "3"},
    };

    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void filters_backstage(void **state)
{
    static const filter_case cases[] = {
        {"${{ \"github.com?repo=x&owner=y\" | parseRepoUrl | dump }}", NULL,
         "{\"host\":\"github.com\",\"owner\":\"y\",\"repo\":\"x\"}"},
        {"${{ \"gitlab.com?project=42\" | parseRepoUrl | dump }}", NULL,
         "{\"host\":\"gitlab.com\",\"project\":\"42\"}"},
        {"${{ \"github.com?repo=x&owner=%2Fy%2F\" | projectSlug }}", NULL, "y/x"},
        {"${{ \"group:ops/team\" | parseEntityRef | dump }}", NULL,
         "{\"kind\":\"group\",\"namespace\":\"ops\",\"name\":\"team\"}"},
        {"${{ \"team\" | parseEntityRef({defaultKind: \"group\"}) | dump }}", NULL,
         "{\"kind\":\"group\",\"namespace\":\"default\",\"name\":\"team\"}"},
        {"${{ \"team\" | parseEntityRef({defaultKind: \"group\", defaultNamespace: \"x\"}) | "
         "pick(\"namespace\") }}",
         NULL, "x"},
        {"${{ {a: {b: [1, {c: 5} ] } } | pick(\"a.b[1].c\") }}", NULL, "5"},
    };

    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
    assert_render_fails("${{ \"github.com?repo=x\" | parseRepoUrl }}", NULL, GR_EINVALID,
                        "missing owner");
    assert_render_fails("${{ \"example.org?repo=x&owner=y\" | parseRepoUrl }}", NULL, GR_EINVALID,
                        "No matching integration configuration for host example.org");
    assert_render_fails("${{ \"team\" | parseEntityRef }}", NULL, GR_EINVALID,
                        "missing or empty kind");
    assert_render_fails("${{ {a: 1} | pick(\"b\") }}", NULL, GR_EINVALID, "is not defined");
}

static void filters_integrations(void **state)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    json_t *hosts = json_pack("{s:s}", "git.example.com", "gitea");
    char *out = NULL;

    (void)state;
    assert_int_equal(gr_tmpl_set_integrations(engine, hosts), GR_OK);
    assert_int_equal(
        gr_tmpl_render_string(
            engine, "t", "${{ \"git.example.com?repo=r\" | parseRepoUrl | dump }}", NULL, &out),
        GR_OK);
    assert_string_equal(out, "{\"host\":\"git.example.com\",\"repo\":\"r\"}");
    free(out);
    json_decref(hosts);
    gr_tmpl_engine_free(engine);
}

static void filters_errors(void **state)
{
    (void)state;
    assert_render_fails("${{ [1] | random }}", NULL, GR_EINVALID, "filter 'random' is not allowed");
    assert_render_fails("${{ 1 | nosuch }}", NULL, GR_EINVALID,
                        "test:1:9: filter not found: nosuch");
    assert_render_fails("${{ 5 | lower }}", NULL, GR_EINVALID, "expected a string, got number");
    assert_render_fails("${{ 5 | dictsort }}", NULL, GR_EINVALID, "val must be an object");
    assert_render_fails("${{ 5 | list }}", NULL, GR_EINVALID, "type not iterable");
    assert_render_fails("${{ [1] | select(\"nosuch\") }}", NULL, GR_EINVALID, "test not found");
    assert_renders("{% if false %}${{ 1 | nosuch }}{% endif %}ok", NULL, "ok");
}

static int shout(void *payload, json_t *value, json_t *const *args, size_t nargs, json_t **out)
{
    const char *suffix = payload;
    const char *text = json_is_string(value) ? json_string_value(value) : "";

    if (nargs > 0 && args[0] == NULL)
        return gr_error_set(GR_EINVALID, "argument is undefined");
    *out = json_sprintf("%s%s%zu", text, suffix, nargs);
    return GR_OK;
}

static void filters_register(void **state)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    char *out = NULL;

    (void)state;
    assert_int_equal(gr_tmpl_register_filter(engine, "shout", shout, "!"), GR_OK);
    assert_int_equal(gr_tmpl_register_filter(engine, "9bad", shout, NULL), GR_EINVALID);
    assert_int_equal(
        gr_tmpl_render_string(engine, "t", "${{ \"hi\" | shout(1, k=2) }}", NULL, &out), GR_OK);
    assert_string_equal(out, "hi!2");
    free(out);
    assert_int_equal(
        gr_tmpl_render_string(engine, "t", "${{ \"hi\" | shout(nothing) }}", NULL, &out),
        GR_EINVALID);
    if (strstr(gr_error_last(), "t:1:12: filter shout: argument is undefined") == NULL)
        fail_msg("unexpected message: %s", gr_error_last());
    gr_tmpl_engine_free(engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filters_a_to_f),       cmocka_unit_test(filters_g_to_r),
        cmocka_unit_test(filters_s_to_w),       cmocka_unit_test(filters_backstage),
        cmocka_unit_test(filters_integrations), cmocka_unit_test(filters_errors),
        cmocka_unit_test(filters_register),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
