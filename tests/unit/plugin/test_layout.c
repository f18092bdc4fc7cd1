/* SPDX-License-Identifier: MIT */
/* Unit test of the layout provider service: which plugins may publish it and how the host finds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/plugin/ctx.h"
#include "host/plugin/layout.h"
#include "host/plugin/services.h"
#include "host/plugin/ui_portal.h"

/* Only the header is read when a provider is published and found. */
static const gr_layout_provider whole_provider = {
    .header = {.struct_size = sizeof(gr_layout_provider), .version = 1},
};

static const gr_plugin_service header_only = {.struct_size = sizeof(gr_plugin_service)};

/* Makes a context inside its setup; `path` NULL makes a built-in's. */
static gr_plugin_ctx *ctx_in_setup(const char *id, const char *path)
{
    gr_plugin_ctx *ctx = gr_plugin__ctx_new(id);

    if (path != NULL)
        ctx->path = gr_xstrdup(path);
    ctx->in_setup = true;
    return ctx;
}

static void builtin_provider_found(void **state)
{
    gr_plugin_ctx *ctx = ctx_in_setup("ui", NULL);

    (void)state;
    assert_null(gr_plugin__portal());
    assert_int_equal(
        gr_plugin__service_publish(ctx, GR_PLUGIN_SERVICE_LAYOUT, &whole_provider.header), GR_OK);
    assert_ptr_equal(gr_plugin__portal(), &whole_provider);
    gr_plugin__ctx_free(ctx);
    assert_null(gr_plugin__portal());
}

static void library_provider_rejected(void **state)
{
    gr_plugin_ctx *ctx = ctx_in_setup("theme", "plugins/theme.so");

    (void)state;
    assert_int_equal(
        gr_plugin__service_publish(ctx, GR_PLUGIN_SERVICE_LAYOUT, &whole_provider.header),
        GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "plugin theme: only a built-in may publish"));
    assert_null(gr_plugin__portal());
    gr_plugin__ctx_free(ctx);
}

static void short_provider_rejected(void **state)
{
    gr_plugin_ctx *ctx = ctx_in_setup("ui", NULL);

    (void)state;
    assert_int_equal(gr_plugin__service_publish(ctx, GR_PLUGIN_SERVICE_LAYOUT, &header_only),
                     GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "a layout provider needs"));
    assert_null(gr_plugin__portal());
    gr_plugin__ctx_free(ctx);
}

/* The check applies to the layout's name only: a library publishes other services as before. */
static void library_other_service_kept(void **state)
{
    gr_plugin_ctx *ctx = ctx_in_setup("theme", "plugins/theme.so");
    const gr_plugin_service *found = NULL;

    (void)state;
    assert_int_equal(gr_plugin__service_publish(ctx, "theme-colours", &header_only), GR_OK);
    assert_int_equal(gr_plugin__service_lookup(NULL, "theme-colours", sizeof(header_only), &found),
                     GR_OK);
    assert_ptr_equal(found, &header_only);
    assert_null(gr_plugin__portal());
    gr_plugin__ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_provider_found),
        cmocka_unit_test(library_provider_rejected),
        cmocka_unit_test(short_provider_rejected),
        cmocka_unit_test(library_other_service_kept),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
