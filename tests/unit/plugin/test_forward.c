/* SPDX-License-Identifier: MIT */
/* Unit test of what the host hands on to plugins: scaffolder actions to the actions service and
 * resource loads to the loader of their type (ABI 1.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "greenroom/plugin.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/permission/resource.h"
#include "host/plugin/ctx.h"
#include "host/plugin/services.h"

/* An actions service that keeps the last action it was given. */
typedef struct {
    gr_plugin_action_service published;
    gr_plugin_action last;
    char *last_id;
    int added;
} fake_actions;

static int fake_add(const gr_plugin_service *self, const gr_plugin_action *action)
{
    fake_actions *fake = (fake_actions *)self;

    free(fake->last_id);
    fake->last = *action;
    fake->last_id = gr_xstrdup(action->id);
    fake->added++;
    return GR_PLUGIN_OK;
}

static int echo_run(const char *input_json, char **output_json, void *payload)
{
    (void)payload;
    *output_json = gr_xasprintf("{\"echo\":%s}", input_json);
    return GR_PLUGIN_OK;
}

/* Makes a context that is inside its setup hook, so that it may register. */
static gr_plugin_ctx *ctx_in_setup(const char *id)
{
    gr_plugin_ctx *ctx = gr_plugin__ctx_new(id);

    ctx->in_setup = true;
    return ctx;
}

/* Without the actions service, action_add fails with a message that the scaffolder does not run. */
static void action_without_service(void **state)
{
    gr_plugin_ctx *ctx = ctx_in_setup("acme");
    gr_plugin_action action = {sizeof(action), "acme:echo", "Echoes.", NULL, echo_run, NULL, 1};

    (void)state;
    assert_int_equal(gr_plugin__action_add(ctx, &action), GR_EBACKEND);
    assert_non_null(strstr(gr_error_last(), "the scaffolder does not run"));
    assert_non_null(strstr(gr_error_last(), "acme:echo"));
    assert_int_equal(ctx->actions.count, 0);
    gr_plugin__ctx_free(ctx);
}

/* action_add hands the action to the service, which runs it only while its plugin is set up. */
static void action_forwarded(void **state)
{
    gr_plugin_ctx *publisher = ctx_in_setup("runner");
    gr_plugin_ctx *ctx = ctx_in_setup("acme");
    fake_actions fake = {.published = {{sizeof(fake_actions), 1}, fake_add}};
    gr_plugin_action action = {sizeof(action), "acme:echo", "Echoes.", "{\"type\":\"object\"}",
                               echo_run, NULL, 1};
    char *output = NULL;

    (void)state;
    assert_int_equal(gr_plugin__service_publish(publisher, GR_PLUGIN_SERVICE_ACTIONS,
                                                &fake.published.header),
                     GR_OK);
    assert_int_equal(gr_plugin__action_add(ctx, &action), GR_OK);
    assert_int_equal(fake.added, 1);
    assert_string_equal(fake.last_id, "acme:echo");
    assert_string_equal(fake.last.description, "Echoes.");
    assert_int_equal(fake.last.supports_dry_run, 1);

    assert_int_equal(fake.last.run("{\"a\":1}", &output, fake.last.payload), GR_EBACKEND);
    assert_null(output);
    ctx->set_up = true;
    assert_int_equal(fake.last.run("{\"a\":1}", &output, fake.last.payload), GR_OK);
    assert_string_equal(output, "{\"echo\":{\"a\":1}}");
    free(output);

    gr_plugin__ctx_free(ctx);
    gr_plugin__ctx_free(publisher);
    free(fake.last_id);
}

/* Loads "task-1" as a task of jane; anything else is not found. */
static int load_task(const char *resource_ref, char **out_json, void *payload)
{
    (void)payload;
    if (strcmp(resource_ref, "task-1") != 0)
        return GR_PLUGIN_ENOTFOUND;
    *out_json = gr_xstrdup("{\"id\":\"task-1\",\"createdBy\":\"user:default/jane\"}");
    return GR_PLUGIN_OK;
}

/* A registered loader serves its type while its plugin is set up, and only one plugin may
 * register a type. */
static void loader_serves_type(void **state)
{
    gr_plugin_ctx *ctx = ctx_in_setup("tasks");
    gr_plugin_ctx *other = ctx_in_setup("other");
    gr_plugin_resource_loader loader = {sizeof(loader), "test-task", load_task, NULL};
    json_t *resource = NULL;

    (void)state;
    assert_int_equal(gr_plugin__resource_loader_add(ctx, &loader), GR_OK);
    assert_true(gr_permission_resource_known("test-task"));
    assert_int_equal(gr_plugin__resource_loader_add(other, &loader), GR_ECONFLICT);

    assert_int_equal(gr_permission_resource_load("test-task", "task-1", &resource), GR_ENOTFOUND);
    assert_null(resource);
    ctx->set_up = true;
    assert_int_equal(gr_permission_resource_load("test-task", "task-1", &resource), GR_OK);
    assert_string_equal(json_string_value(json_object_get(resource, "createdBy")),
                        "user:default/jane");
    json_decref(resource);
    resource = NULL;
    assert_int_equal(gr_permission_resource_load("test-task", "task-2", &resource), GR_ENOTFOUND);
    assert_null(resource);
    assert_int_equal(gr_permission_resource_load("no-such-type", "task-1", &resource),
                     GR_ENOTFOUND);

    gr_plugin__ctx_free(ctx);
    assert_false(gr_permission_resource_known("test-task"));
    gr_plugin__ctx_free(other);
}

/* A loader without a type or function is rejected, and so is one for catalog entities. */
static void loader_needs_type(void **state)
{
    gr_plugin_ctx *ctx = ctx_in_setup("tasks");
    gr_plugin_resource_loader no_type = {sizeof(no_type), NULL, load_task, NULL};
    gr_plugin_resource_loader no_load = {sizeof(no_load), "test-task", NULL, NULL};
    gr_plugin_resource_loader entities = {sizeof(entities), "catalog-entity", load_task, NULL};

    (void)state;
    assert_int_equal(gr_plugin__resource_loader_add(ctx, &no_type), GR_EINVALID);
    assert_int_equal(gr_plugin__resource_loader_add(ctx, &no_load), GR_EINVALID);
    assert_int_equal(gr_plugin__resource_loader_add(ctx, &entities), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "read from the catalog"));
    assert_false(gr_permission_resource_known("catalog-entity"));
    assert_false(gr_permission_resource_known("test-task"));
    gr_plugin__ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(action_without_service),
        cmocka_unit_test(action_forwarded),
        cmocka_unit_test(loader_serves_type),
        cmocka_unit_test(loader_needs_type),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
