/* SPDX-License-Identifier: MIT */
/* First builds of documented entities, so their pages are searchable before anyone opens them. */
#include "plugins/techdocs/prebuild.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"

/* Reads the refs first, so no connection is held while the jobs are queued. */
static int unbuilt_refs(gr_db *db, char ***refs, size_t *count)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_acquire(db, GR_DB_READ, &conn);

    *refs = gr_xcalloc(GR_TECHDOCS_PREBUILD_MAX, sizeof(char *));
    *count = 0;
    if (rc == GR_OK)
        rc = gr_db_prepare(conn,
                           "SELECT f.entity_ref FROM catalog_final_entities f"
                           " WHERE f.entity_id IN (SELECT entity_id FROM catalog_search"
                           " WHERE key = 'metadata.annotations.backstage.io/techdocs-ref')"
                           " AND NOT EXISTS (SELECT 1 FROM techdocs_sites s"
                           " WHERE s.entity_ref = f.entity_ref)"
                           " AND NOT EXISTS (SELECT 1 FROM techdocs_builds b"
                           " WHERE b.entity_ref = f.entity_ref)"
                           " ORDER BY f.entity_ref LIMIT ?",
                           &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_int64(stmt, 1, GR_TECHDOCS_PREBUILD_MAX);
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        (*refs)[(*count)++] = gr_xstrdup(gr_db_column_text(stmt, 0));
        rc = GR_OK;
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc == GR_DB_DONE ? GR_OK : rc;
}

/* "component:default/shop" into its triplet. Returns GR_OK or GR_EINVALID. */
static int triplet_of_ref(const char *ref, gr_techdocs_triplet *out)
{
    const char *colon = strchr(ref, ':');
    const char *slash = colon != NULL ? strchr(colon, '/') : NULL;
    char *kind;
    char *namespace;
    int rc;

    if (slash == NULL)
        return gr_error_set(GR_EINVALID, "invalid entity ref '%s'", ref);
    kind = gr_xstrndup(ref, (size_t)(colon - ref));
    namespace = gr_xstrndup(colon + 1, (size_t)(slash - colon - 1));
    rc = gr_techdocs_triplet_init(out, namespace, kind, slash + 1);
    free(kind);
    free(namespace);
    return rc;
}

int gr_techdocs_prebuild(gr_techdocs_service *service, size_t *queued)
{
    char **refs = NULL;
    size_t count = 0;
    size_t jobs = 0;
    int rc = unbuilt_refs(gr_techdocs_service_db(service), &refs, &count);

    for (size_t i = 0; rc == GR_OK && i < count; i++) {
        gr_techdocs_triplet triplet;
        gr_techdocs_job *job;

        if (triplet_of_ref(refs[i], &triplet) != GR_OK) {
            gr_warn("techdocs", "skipping the prebuild of %s: %s", refs[i], gr_error_last());
            gr_error_clear();
            continue;
        }
        job = gr_techdocs_service_request(service, &triplet);
        jobs += job != NULL;
        gr_techdocs_job_release(job);
        gr_techdocs_triplet_free(&triplet);
    }
    for (size_t i = 0; i < count; i++)
        free(refs[i]);
    free(refs);
    if (queued != NULL)
        *queued = jobs;
    if (jobs > 0)
        gr_info("techdocs", "queued the first build of %zu documented entities", jobs);
    return rc;
}
