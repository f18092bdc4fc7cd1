/* SPDX-License-Identifier: MIT */
/* Nunjucks tests: the predicates of `value is name(args)` and of select/reject. */
#include <math.h>
#include <string.h>

#include "host/common/error.h"
#include "plugins/scaffolder/template/eval.h"

typedef bool (*test_fn)(const gr_tv *value, const gr_tv *arg);

static bool is_case(const gr_tv *value, bool upper)
{
    gr_buf buf = GR_BUF_INIT;
    size_t len;
    const char *str;
    bool same;

    if (value->kind != GR_TV_STRING)
        return false;
    str = gr_tv_str(value, &len);
    gr_js_append_case(&buf, str, len, upper);
    same = buf.len == len && (len == 0 || memcmp(buf.data, str, len) == 0);
    gr_buf_free(&buf);
    return same;
}

static bool test_callable(const gr_tv *value, const gr_tv *arg)
{
    (void)value;
    (void)arg;
    return false;
}

static bool test_defined(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return value->kind != GR_TV_UNDEFINED;
}

static bool test_undefined(const gr_tv *value, const gr_tv *arg)
{
    return !test_defined(value, arg);
}

static bool test_divisibleby(const gr_tv *value, const gr_tv *arg)
{
    return fmod(gr_tv_to_number(value), gr_tv_to_number(arg)) == 0;
}

static bool test_equalto(const gr_tv *value, const gr_tv *arg)
{
    return gr_tv_strict_equal(value, arg);
}

static bool test_ne(const gr_tv *value, const gr_tv *arg)
{
    return !gr_tv_strict_equal(value, arg);
}

static bool test_even(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return fmod(gr_tv_to_number(value), 2) == 0;
}

static bool test_odd(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return fmod(gr_tv_to_number(value), 2) == 1;
}

static bool test_truthy(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return gr_tv_truthy(value);
}

static bool test_falsy(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return !gr_tv_truthy(value);
}

static bool test_ge(const gr_tv *value, const gr_tv *arg)
{
    return gr_tv_less(arg, value, true);
}

static bool test_gt(const gr_tv *value, const gr_tv *arg)
{
    return gr_tv_less(arg, value, false);
}

static bool test_le(const gr_tv *value, const gr_tv *arg)
{
    return gr_tv_less(value, arg, true);
}

static bool test_lt(const gr_tv *value, const gr_tv *arg)
{
    return gr_tv_less(value, arg, false);
}

static bool test_lower(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return is_case(value, false);
}

static bool test_upper(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return is_case(value, true);
}

static bool test_null(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return value->kind == GR_TV_NULL;
}

static bool test_number(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return value->kind == GR_TV_NUMBER;
}

static bool test_string(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return value->kind == GR_TV_STRING;
}

static bool test_iterable(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return value->kind == GR_TV_STRING || value->kind == GR_TV_ARRAY;
}

static bool test_mapping(const gr_tv *value, const gr_tv *arg)
{
    (void)arg;
    return value->kind == GR_TV_OBJECT;
}

static bool test_escaped(const gr_tv *value, const gr_tv *arg)
{
    (void)value;
    (void)arg;
    return false;
}

int gr_tmpl__test(gr_tmpl_eval *eval, const gr_node *node, const char *name, const gr_tv *value,
                  const gr_tv *args, size_t nargs, bool *result)
{
    static const struct {
        const char *name;
        test_fn fn;
    } tests[] = {
        {"callable", test_callable},
        {"defined", test_defined},
        {"divisibleby", test_divisibleby},
        {"escaped", test_escaped},
        {"equalto", test_equalto},
        {"eq", test_equalto},
        {"sameas", test_equalto},
        {"even", test_even},
        {"falsy", test_falsy},
        {"ge", test_ge},
        {"greaterthan", test_gt},
        {"gt", test_gt},
        {"le", test_le},
        {"lessthan", test_lt},
        {"lt", test_lt},
        {"lower", test_lower},
        {"ne", test_ne},
        {"null", test_null},
        {"number", test_number},
        {"odd", test_odd},
        {"string", test_string},
        {"truthy", test_truthy},
        {"undefined", test_undefined},
        {"upper", test_upper},
        {"iterable", test_iterable},
        {"mapping", test_mapping},
    };
    static const gr_tv undefined_value = {.kind = GR_TV_UNDEFINED};

    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        if (strcmp(tests[i].name, name) == 0) {
            *result = tests[i].fn(value, nargs > 0 ? &args[0] : &undefined_value);
            return GR_OK;
        }
    }
    return gr_tmpl__error(eval, node, GR_EINVALID, "test not found: %s", name);
}
