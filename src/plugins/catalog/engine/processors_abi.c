/* SPDX-License-Identifier: MIT */
/* The catalog's call into the processors that plugins register through the plugin ABI. */
#include "plugins/catalog/engine/processors_abi.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/plugin/plugin.h"
#include "plugins/catalog/engine/engine.h"
#include "plugins/catalog/engine/process.h"

/* Pushes a Backstage-shaped processor error for `ref`. */
static void push_error(json_t *errors, const char *processor, const char *ref,
                       const char *location_ref, const char *cause)
{
    char *message = gr_xasprintf("Processor %s threw an error while postprocessing %s at %s",
                                 processor, ref, location_ref);

    gr_catalog__error_push(errors, "InputError", message, "Error", cause);
    free(message);
}

/* Pushes the error for an entity that the processors together left invalid or renamed. */
static void push_invalid(json_t *errors, const char *ref, const char *location_ref,
                         const char *cause)
{
    char *message = gr_xasprintf("Plugin processors left the entity %s at %s invalid", ref,
                                 location_ref);

    gr_catalog__error_push(errors, "InputError", message, "TypeError", cause);
    free(message);
}

/* Checks that the processors kept the entity valid and its ref; pushes an error when not. */
static int check_result(gr_catalog *catalog, const json_t *entity, const char *ref,
                        const char *location_ref, json_t *errors)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    char *after = NULL;
    int rc = GR_OK;

    if (gr_model_check_envelope(catalog->model, entity, &problems) != GR_OK ||
        gr_model_validate(catalog->model, entity, &problems) != GR_OK) {
        push_invalid(errors, ref, location_ref,
                     problems.count > 0 ? problems.items[0].message : "invalid entity");
        rc = GR_EINVALID;
        goto done;
    }
    after = gr_model_entity_ref(entity);
    if (after == NULL || strcmp(after, ref) != 0) {
        char *cause = gr_xasprintf("the entity ref changed to %s; a processor may not rename "
                                   "an entity",
                                   after != NULL ? after : "(none)");

        push_invalid(errors, ref, location_ref, cause);
        free(cause);
        rc = GR_EINVALID;
    }
done:
    free(after);
    gr_model_problems_free(&problems);
    return rc;
}

int gr_catalog__abi_processors(gr_catalog *catalog, json_t **entity, const char *ref,
                               const char *location_ref, json_t *errors)
{
    json_t *before = *entity;
    char *failed = NULL;
    int rc;

    json_incref(before);
    rc = gr_plugin_processors_run(entity, &failed);
    if (rc < 0) {
        push_error(errors, failed, ref, location_ref, gr_error_last());
        rc = GR_EINVALID;
    } else if (*entity != before) {
        rc = check_result(catalog, *entity, ref, location_ref, errors);
    }
    json_decref(before);
    free(failed);
    return rc;
}
