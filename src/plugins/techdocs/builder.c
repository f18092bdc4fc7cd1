/* SPDX-License-Identifier: MIT */
/* One build job: claim the site, compare the source hash, build, publish, release. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/techdocs/build/build.h"
#include "plugins/techdocs/files.h"
#include "plugins/techdocs/lease.h"
#include "plugins/techdocs/service_internal.h"
#include "plugins/techdocs/source.h"

/** Build warnings copied into a job's log; the rest are counted. */
#define WARNINGS_LOGGED 50

/* The outcome of a job, stored on it when the worker finishes. */
typedef struct {
    int updated;
    char *error;
} job_result;

static void fail(job_result *result, int rc)
{
    (void)rc;
    free(result->error);
    result->error = gr_xstrdup(gr_error_last());
}

static int stopping(gr_techdocs_service *service)
{
    int value;

    pthread_mutex_lock(&service->lock);
    value = service->stopping;
    pthread_mutex_unlock(&service->lock);
    return value;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

/* Another instance has the lease: waits until it is released, then reports that build. */
static void wait_for_other(gr_techdocs_service *service, gr_techdocs_job *job,
                           const char *owner, job_result *result)
{
    gr_techdocs_build_state before;
    gr_techdocs_build_state now;
    int rc = gr_techdocs_lease_state(service->db, job->triplet.ref, &before);

    gr_techdocs__job_log(job, "Instance %s is building these docs; waiting for it", owner);
    memset(&now, 0, sizeof(now));
    while (rc == GR_OK && !stopping(service)) {
        gr_techdocs_build_state_free(&now);
        rc = gr_techdocs_lease_state(service->db, job->triplet.ref, &now);
        if (rc != GR_OK || !now.held)
            break;
        sleep_ms(GR_TECHDOCS_CLAIM_POLL_MS);
    }
    if (rc != GR_OK) {
        fail(result, rc);
    } else if (now.held) {
        result->error = gr_xstrdup("the server is stopping");
    } else {
        result->updated = now.build_count > before.build_count;
        if (now.error != NULL && !result->updated)
            result->error = gr_xstrdup(now.error);
    }
    gr_techdocs_build_state_free(&before);
    gr_techdocs_build_state_free(&now);
}

static void log_warnings(gr_techdocs_job *job, const gr_techdocs_report *report)
{
    for (size_t i = 0; i < report->warning_count && i < WARNINGS_LOGGED; i++) {
        const gr_techdocs_warning *warning = &report->warnings[i];

        if (warning->line > 0)
            gr_techdocs__job_log(job, "%s:%d: %s", warning->file, warning->line,
                                 warning->message);
        else
            gr_techdocs__job_log(job, "%s: %s", warning->file, warning->message);
    }
    if (report->warning_count > WARNINGS_LOGGED)
        gr_techdocs__job_log(job, "%zu more warnings", report->warning_count - WARNINGS_LOGGED);
}

/* Builds `folder` into a temporary folder and publishes it. */
static int build_and_publish(gr_techdocs_service *service, gr_techdocs_job *job,
                             const char *folder, const char *hash)
{
    const char *tmp_root = getenv("TMPDIR");
    char *tmp = gr_xasprintf("%s/greenroom-techdocs-XXXXXX", tmp_root ? tmp_root : "/tmp");
    char *site_dir = NULL;
    gr_techdocs_report report;
    int64_t generation = 0;
    int rc;

    memset(&report, 0, sizeof(report));
    if (mkdtemp(tmp) == NULL) {
        rc = gr_error_set(GR_EBACKEND, "%s: cannot create a build folder", tmp);
        free(tmp);
        return rc;
    }
    site_dir = gr_xasprintf("%s/site", tmp);
    gr_techdocs__job_log(job, "Building the docs of %s", job->triplet.ref);
    rc = gr_techdocs_build(folder, site_dir, NULL, &report);
    log_warnings(job, &report);
    if (rc == GR_OK) {
        gr_techdocs__job_log(job, "Built %zu pages and %zu files; publishing", report.page_count,
                             report.file_count);
        rc = gr_techdocs_store_publish(service->store, &job->triplet, site_dir, "build", hash,
                                       &generation);
    }
    if (rc == GR_OK) {
        gr_techdocs_cache_forget(service->cache, job->triplet.ref);
        gr_techdocs__job_log(job, "Published the docs of %s (generation %lld)", job->triplet.ref,
                             (long long)generation);
        if (service->on_published != NULL)
            service->on_published(job->triplet.ref, service->on_published_payload);
    } else {
        gr_techdocs__job_log(job, "Failed to build the docs: %s", gr_error_last());
    }
    gr_techdocs_report_free(&report);
    gr_techdocs_remove_tree(tmp);
    free(site_dir);
    free(tmp);
    return rc;
}

/* Holding the lease: compares the source with the site and builds when they differ. */
static void check_and_build(gr_techdocs_service *service, gr_techdocs_job *job,
                            const char *folder, job_result *result)
{
    const char *owner = service->instance_id;
    char hash[GR_TECHDOCS_HASH_SIZE];
    gr_techdocs_site site;
    int rc = gr_techdocs_source_hash(folder, hash);
    int current;

    if (rc != GR_OK) {
        fail(result, rc);
        gr_techdocs_lease_release(service->db, job->triplet.ref, owner, NULL, 0, result->error);
        return;
    }
    rc = gr_techdocs_store_site(service->store, job->triplet.ref, &site);
    current = rc == GR_OK && site.source_hash != NULL && strcmp(site.source_hash, hash) == 0;
    gr_techdocs_site_free(&site);
    if (current) {
        gr_techdocs__job_log(job, "The docs of %s are up to date", job->triplet.ref);
        gr_techdocs_lease_release(service->db, job->triplet.ref, owner, hash, 0, NULL);
        return;
    }
    gr_techdocs_lease_mark_building(service->db, job->triplet.ref, owner);
    rc = build_and_publish(service, job, folder, hash);
    if (rc != GR_OK)
        fail(result, rc);
    result->updated = rc == GR_OK;
    if (gr_techdocs_lease_release(service->db, job->triplet.ref, owner, hash, rc == GR_OK,
                                  result->error) != GR_OK)
        gr_warn("techdocs", "releasing the build lease of %s failed: %s", job->triplet.ref,
                gr_error_last());
}

/* Records a build that failed before it could start, so that the prebuild
 * pass does not queue it again and views show its error. Skipped when another
 * instance holds the site's lease. */
static void record_failure(gr_techdocs_service *service, gr_techdocs_job *job, const char *error)
{
    int rc = gr_techdocs_lease_claim(service->db, job->triplet.ref, service->instance_id,
                                     service->settings.lease_ms);

    if (rc == 1)
        rc = gr_techdocs_lease_release(service->db, job->triplet.ref, service->instance_id, NULL,
                                       0, error);
    if (rc < 0)
        gr_log_fields(GR_LOG_WARN, "techdocs", "recording a failed build failed", "entity",
                      job->triplet.ref, "error", gr_error_last(), NULL);
}

void gr_techdocs__run_job(gr_techdocs_service *service, gr_techdocs_job *job)
{
    job_result result = {0, NULL};
    gr_techdocs_location location = {NULL, NULL};
    gr_techdocs_build_state state;
    gr_techdocs_source source = {NULL, false};
    json_t *entity = NULL;
    int rc = gr_techdocs_entity_load(service->db, &job->triplet, &entity);

    memset(&state, 0, sizeof(state));
    if (rc == GR_OK)
        rc = gr_techdocs_entity_location(entity, &location);
    if (rc == GR_OK && strcmp(location.type, "dir") != 0)
        gr_techdocs__job_log(job, "Fetching the docs source %s:%s", location.type,
                             location.target);
    if (rc == GR_OK)
        rc = gr_techdocs_source_open(&service->reading, &location, &source);
    if (rc != GR_OK) {
        fail(&result, rc);
        gr_techdocs__job_log(job, "Cannot find the docs source: %s", result.error);
        record_failure(service, job, result.error);
        goto done;
    }
    rc = gr_techdocs_lease_claim(service->db, job->triplet.ref, service->instance_id,
                                 service->settings.lease_ms);
    if (rc < 0) {
        fail(&result, rc);
    } else if (rc == 0) {
        rc = gr_techdocs_lease_state(service->db, job->triplet.ref, &state);
        wait_for_other(service, job, state.owner ? state.owner : "another", &result);
    } else {
        check_and_build(service, job, source.dir, &result);
    }

done:
    pthread_mutex_lock(&service->lock);
    job->updated = result.updated;
    job->error = result.error;
    pthread_mutex_unlock(&service->lock);
    gr_techdocs_build_state_free(&state);
    gr_techdocs_location_free(&location);
    json_decref(entity);
    gr_techdocs_source_close(&source);
}
