/* SPDX-License-Identifier: MIT */
/* Benchmark: time and peak memory to ingest and stitch a generated catalog from one file. */
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/db.h"
#include "plugins/catalog/api/api.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/engine/settings.h"

/*
 * The generated catalog has every kind, with every reference resolving:
 * per 100 entities about 1 group, 20 users, 50 components, 20 APIs,
 * 7 resources, 1 system and a domain per 50 systems. Names and links come
 * from the entity index only, so a given N always gives the same file.
 */

static const char usage[] =
    "usage: bench_catalog_ingest [--entities N] [--workers N] [--pg URL] [--keep DIR]\n"
    "                            [--catalog FILE | --write-catalog FILE] [--phases]\n"
    "\n"
    "Generates a catalog of N entities (default 100000) in one YAML file, ingests it\n"
    "through a file location into a fresh database (SQLite unless --pg names a\n"
    "PostgreSQL server), and prints the seconds until every entity is stitched, the\n"
    "peak resident memory and, on SQLite, how long the one write connection was held.\n"
    "--workers sets catalog.processingWorkers (default: the engine's default, one more\n"
    "than the processors, from 2 to 4).\n"
    "--write-catalog writes the generated YAML to FILE and exits without ingesting.\n"
    "--catalog ingests FILE instead of generating one; FILE must hold the N entities\n"
    "that --write-catalog with the same --entities writes.\n"
    "--phases also prints when every entity was stored, processed and stitched, from\n"
    "counts read every 250 ms on a second connection (which costs some CPU).\n";

typedef struct {
    long domains, systems, groups, users, components, apis, resources;
} mix;

static mix mix_for(long n)
{
    mix m;

    m.groups = n / 100 > 1 ? n / 100 : 1;
    m.systems = n / 100 > 1 ? n / 100 : 1;
    m.domains = m.systems / 50 > 1 ? m.systems / 50 : 1;
    m.users = n / 5;
    m.apis = n / 5;
    m.resources = n * 7 / 100;
    m.components = n - m.groups - m.systems - m.domains - m.users - m.apis - m.resources;
    return m;
}

static void write_entity_header(FILE *out, const char *kind, const char *name)
{
    fprintf(out,
            "---\napiVersion: backstage.io/v1alpha1\nkind: %s\nmetadata:\n  name: %s\n"
            "  description: Generated %s %s for the ingestion benchmark.\n"
            "  tags: [bench, %s]\n  annotations:\n    backstage.io/techdocs-ref: dir:.\n"
            "  links:\n    - url: https://example.com/%s\n      title: Home\nspec:\n",
            kind, name, kind, name, kind[0] == 'A' ? "api" : "core", name);
}

static int generate(const char *path, long n)
{
    FILE *out = fopen(path, "w");
    mix m = mix_for(n);

    if (out == NULL)
        return -1;
    for (long i = 0; i < m.domains; i++) {
        char name[32];

        snprintf(name, sizeof(name), "domain-%05ld", i);
        write_entity_header(out, "Domain", name);
        fprintf(out, "  owner: group-%05ld\n", i % m.groups);
    }
    for (long i = 0; i < m.systems; i++) {
        char name[32];

        snprintf(name, sizeof(name), "system-%05ld", i);
        write_entity_header(out, "System", name);
        fprintf(out, "  owner: group-%05ld\n  domain: domain-%05ld\n", i % m.groups, i % m.domains);
    }
    for (long i = 0; i < m.groups; i++) {
        char name[32];

        snprintf(name, sizeof(name), "group-%05ld", i);
        write_entity_header(out, "Group", name);
        fprintf(out, "  type: team\n  children: []\n");
        if (i > 0)
            fprintf(out, "  parent: group-%05ld\n", (i - 1) / 10);
    }
    for (long i = 0; i < m.users; i++) {
        char name[32];

        snprintf(name, sizeof(name), "user-%06ld", i);
        write_entity_header(out, "User", name);
        fprintf(out, "  profile:\n    email: %s@example.com\n  memberOf: [group-%05ld]\n", name,
                i % m.groups);
    }
    for (long i = 0; i < m.apis; i++) {
        char name[32];

        snprintf(name, sizeof(name), "api-%06ld", i);
        write_entity_header(out, "API", name);
        fprintf(out,
                "  type: openapi\n  lifecycle: production\n  owner: group-%05ld\n"
                "  system: system-%05ld\n  definition: |\n    openapi: 3.0.0\n"
                "    info:\n      title: %s\n",
                i % m.groups, i % m.systems, name);
    }
    for (long i = 0; i < m.resources; i++) {
        char name[32];

        snprintf(name, sizeof(name), "resource-%06ld", i);
        write_entity_header(out, "Resource", name);
        fprintf(out, "  type: database\n  owner: group-%05ld\n  system: system-%05ld\n",
                i % m.groups, i % m.systems);
    }
    for (long i = 0; i < m.components; i++) {
        char name[32];

        snprintf(name, sizeof(name), "component-%06ld", i);
        write_entity_header(out, "Component", name);
        fprintf(out,
                "  type: service\n  lifecycle: production\n  owner: group-%05ld\n"
                "  system: system-%05ld\n  providesApis: [api-%06ld]\n"
                "  consumesApis: [api-%06ld, api-%06ld]\n"
                "  dependsOn: [resource:resource-%06ld%s",
                i % m.groups, i % m.systems, i % m.apis, (i * 7 + 1) % m.apis,
                (i * 13 + 2) % m.apis, i % m.resources, i > 0 ? ", component:" : "]\n");
        if (i > 0)
            fprintf(out, "component-%06ld]\n", (i - 1) / 2);
    }
    return fclose(out);
}

/* Reads a counter of /proc/self/io ("write_bytes", ...), or -1 when unknown. */
static long long proc_io(const char *name)
{
    FILE *in = fopen("/proc/self/io", "r");
    char line[128];
    long long value = -1;
    size_t len = strlen(name);

    if (in == NULL)
        return -1;
    while (fgets(line, sizeof(line), in) != NULL) {
        if (strncmp(line, name, len) == 0 && line[len] == ':')
            value = strtoll(line + len + 1, NULL, 10);
    }
    fclose(in);
    return value;
}

/* Returns the size of a file in bytes, or 0 when it does not exist. */
static long long file_size(const char *path)
{
    struct stat info;

    return stat(path, &info) == 0 ? (long long)info.st_size : 0;
}

static double timeval_seconds(const struct timeval *value)
{
    return (double)value->tv_sec + (double)value->tv_usec / 1e6;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Time between two reads of the phase counts, in ms. */
#define PHASE_POLL_MS 250

/* Seconds from the start until each phase of a first load ended, or negative while it runs. */
typedef struct {
    gr_db *db;
    long total; /* entities expected, with the location */
    struct timespec start;
    pthread_mutex_t lock;
    bool stop;
    double stored;    /* every entity has a row in catalog_refresh_state */
    double processed; /* no row is due for processing or leased */
    double stitched;  /* every entity has a final entity */
} phases;

static int64_t phase_count(gr_db_conn *conn, const char *sql, int64_t now)
{
    int64_t params[] = {now};
    int64_t value = -1;

    if (gr_db_query_int64(conn, sql, params, strchr(sql, '?') ? 1 : 0, &value) != GR_OK)
        return -1;
    return value;
}

/* Reads the counts once and records the phases that ended. */
static void phases_sample(phases *state)
{
    gr_db_conn *conn = NULL;
    struct timespec wall;
    int64_t now, rows, waiting, leased, final;
    double at = seconds_since(&state->start);

    if (gr_db_acquire(state->db, GR_DB_READ, &conn) != GR_OK)
        return;
    clock_gettime(CLOCK_REALTIME, &wall);
    now = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    rows = phase_count(conn, "SELECT COUNT(*) FROM catalog_refresh_state", now);
    waiting = phase_count(
        conn, "SELECT COUNT(*) FROM catalog_refresh_state WHERE next_update_at <= ?", now);
    leased =
        phase_count(conn, "SELECT COUNT(*) FROM catalog_refresh_state WHERE lease_until >= ?", now);
    final = phase_count(conn, "SELECT COUNT(*) FROM catalog_final_entities", now);
    gr_db_release(conn);

    if (state->stored < 0 && rows >= state->total)
        state->stored = at;
    if (state->stored >= 0 && state->processed < 0 && waiting == 0 && leased == 0)
        state->processed = at;
    if (state->stitched < 0 && final >= state->total)
        state->stitched = at;
}

static void *phases_main(void *arg)
{
    phases *state = arg;
    struct timespec pause = {0, PHASE_POLL_MS * 1000000L};

    for (;;) {
        bool stop;

        pthread_mutex_lock(&state->lock);
        stop = state->stop;
        pthread_mutex_unlock(&state->lock);
        if (stop || state->stitched >= 0)
            break;
        phases_sample(state);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

static void phases_stop(phases *state, pthread_t thread)
{
    pthread_mutex_lock(&state->lock);
    state->stop = true;
    pthread_mutex_unlock(&state->lock);
    pthread_join(thread, NULL);
    pthread_mutex_destroy(&state->lock);
    /* A phase that ended after the last read is recorded at the time of this one. */
    phases_sample(state);
}

static void phases_print(const phases *state, double elapsed)
{
    printf("phases (s from start, read every %d ms):\n", PHASE_POLL_MS);
    printf("  every entity stored:    %.2f\n", state->stored);
    printf("  every entity processed: %.2f\n", state->processed);
    printf("  every entity stitched:  %.2f\n", state->stitched);
    printf("  search indexes built:   %.2f\n", elapsed);
}

/* The number of workers the engine runs when catalog.processingWorkers is absent. */
static int default_workers(void)
{
    gr_catalog_settings settings;
    int workers = 2;

    if (gr_catalog__settings_read(&settings, NULL) == GR_OK) {
        workers = settings.workers;
        gr_catalog__settings_free(&settings);
    }
    return workers;
}

int main(int argc, char **argv)
{
    long n = 100000;
    int workers = 0;
    const char *pg = NULL;
    const char *keep = NULL;
    const char *catalog_file = NULL;
    const char *write_catalog = NULL;
    bool with_phases = false;
    phases phase_state = {.stored = -1, .processed = -1, .stitched = -1};
    pthread_t phase_thread;
    bool phase_started = false;
    char dir[] = "/tmp/gr-bench-catalog-XXXXXX";
    char *file = NULL, *db_path = NULL;
    gr_db_options db_options = {0};
    gr_db *db = NULL;
    gr_catalog *catalog = NULL;
    gr_catalog_counts counts;
    json_t *config = NULL;
    struct timespec start;
    struct rusage usage_info;
    double elapsed;
    long long written_before, written;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--entities") == 0 && i + 1 < argc)
            n = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
            workers = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--pg") == 0 && i + 1 < argc)
            pg = argv[++i];
        else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
            keep = argv[++i];
        else if (strcmp(argv[i], "--catalog") == 0 && i + 1 < argc)
            catalog_file = argv[++i];
        else if (strcmp(argv[i], "--write-catalog") == 0 && i + 1 < argc)
            write_catalog = argv[++i];
        else if (strcmp(argv[i], "--phases") == 0)
            with_phases = true;
        else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (n < 100) {
        fputs("bench_catalog_ingest: --entities must be at least 100\n", stderr);
        return 2;
    }
    if (catalog_file != NULL && write_catalog != NULL) {
        fputs("bench_catalog_ingest: --catalog and --write-catalog cannot be used together\n", stderr);
        return 2;
    }
    if (write_catalog != NULL) {
        if (generate(write_catalog, n) != 0) {
            perror(write_catalog);
            return 1;
        }
        return 0;
    }
    /* GREENROOM_LOG_LEVEL=info shows the engine's log, with the time the search indexes took. */
    if (getenv("GREENROOM_LOG_LEVEL") == NULL || strcmp(getenv("GREENROOM_LOG_LEVEL"), "info") != 0)
        gr_log_set_level(GR_LOG_WARN);
    if (keep != NULL) {
        mkdir(keep, 0755);
        snprintf(dir, sizeof(dir), "%s", keep);
    } else if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    db_path = gr_xasprintf("%s/greenroom.sqlite", dir);
    if (catalog_file != NULL) {
        /* The location target is made absolute so it does not depend on the working directory. */
        file = realpath(catalog_file, NULL);
        if (file == NULL) {
            perror(catalog_file);
            goto done;
        }
    } else {
        file = gr_xasprintf("%s/catalog.yaml", dir);
        if (generate(file, n) != 0) {
            perror(file);
            goto done;
        }
    }
    if (pg != NULL) {
        db_options.client = "pg";
        db_options.connection = pg;
    } else {
        db_options.client = "sqlite";
        db_options.path = db_path;
    }
    if (gr_db_open(&db, &db_options) != GR_OK) {
        fprintf(stderr, "bench_catalog_ingest: opening the database failed: %s\n", gr_error_last());
        goto done;
    }
    if (workers <= 0)
        workers = default_workers();
    config = json_pack("{s:{s:i, s:[{s:[s,s,s,s,s,s,s,s]}], s:[{s:s, s:s}]}}", "catalog",
                       "processingWorkers", workers, "rules", "allow", "Component", "API",
                       "Location", "Group", "User", "System", "Domain", "Resource", "locations",
                       "type", "file", "target", file);

    written_before = proc_io("write_bytes");
    clock_gettime(CLOCK_MONOTONIC, &start);
    {
        gr_catalog_options options = {.db = db, .config = config, .instance_id = "bench"};

        /* The catalog API's indexes are migrated first, as `greenroom serve` does. */
        if (gr_catalog_migrate(db) != GR_OK || gr_catalog_api_migrate(db) != GR_OK ||
            gr_catalog_new(&catalog, &options) != GR_OK || gr_catalog_start(catalog) != GR_OK) {
            fprintf(stderr, "bench_catalog_ingest: starting the engine failed: %s\n",
                    gr_error_last());
            goto done;
        }
    }
    if (with_phases) {
        phase_state.db = db;
        phase_state.total = n + 1;
        phase_state.start = start;
        pthread_mutex_init(&phase_state.lock, NULL);
        phase_started = pthread_create(&phase_thread, NULL, phases_main, &phase_state) == 0;
    }
    if (gr_catalog_wait_idle(catalog, 3600 * 1000) != GR_OK) {
        fprintf(stderr, "bench_catalog_ingest: %s\n", gr_error_last());
        goto done;
    }
    elapsed = seconds_since(&start);
    if (phase_started) {
        phases_stop(&phase_state, phase_thread);
        phase_started = false;
    }
    if (gr_catalog_counts_read(catalog, &counts) != GR_OK) {
        fprintf(stderr, "bench_catalog_ingest: %s\n", gr_error_last());
        goto done;
    }
    written = proc_io("write_bytes");
    getrusage(RUSAGE_SELF, &usage_info);
    printf("entities generated:  %ld\n", n);
    printf("final entities:      %lld (including the location)\n", (long long)counts.final);
    printf("processing errors:   %lld\n", (long long)counts.errors);
    printf("workers:             %d on %ld processors, %s\n", workers,
           sysconf(_SC_NPROCESSORS_ONLN), pg ? "PostgreSQL" : "SQLite");
    printf("seconds to stitched: %.2f\n", elapsed);
    printf("entities per second: %.0f\n", (double)counts.final / elapsed);
    printf("CPU seconds:         %.2f user, %.2f system\n", timeval_seconds(&usage_info.ru_utime),
           timeval_seconds(&usage_info.ru_stime));
    printf("peak RSS:            %.1f MiB\n", (double)usage_info.ru_maxrss / 1024.0);
    if (pg == NULL) {
        gr_db_writer_stats writer = {0};

        /* Every SQLite write waits for this connection, so its held time is a lower bound. */
        gr_db_writer_usage(db, &writer);
        printf("SQLite writer held:  %.2f s in %lld acquisitions (%.0f %% of the load)\n",
               (double)writer.held_ms / 1000.0, (long long)writer.acquisitions,
               elapsed > 0 ? 100.0 * (double)writer.held_ms / 1000.0 / elapsed : 0.0);
    }
    if (written >= 0 && written_before >= 0)
        printf("written to disk:     %.0f MiB (%.1f KiB per entity)\n",
               (double)(written - written_before) / 1048576.0,
               (double)(written - written_before) / 1024.0 / (double)n);
    if (pg == NULL) {
        char *wal = gr_xasprintf("%s-wal", db_path);

        printf("database size:       %.0f MiB (and %.0f MiB of WAL)\n",
               (double)file_size(db_path) / 1048576.0, (double)file_size(wal) / 1048576.0);
        free(wal);
    }
    if (with_phases)
        phases_print(&phase_state, elapsed);
    rc = counts.final == n + 1 && counts.errors == 0 ? 0 : 1;
done:
    if (phase_started)
        phases_stop(&phase_state, phase_thread);
    gr_catalog_free(catalog);
    gr_db_close(db);
    json_decref(config);
    if (keep == NULL) {
        if (catalog_file == NULL && file != NULL)
            unlink(file);
        unlink(db_path);
        {
            char *wal = gr_xasprintf("%s-wal", db_path), *shm = gr_xasprintf("%s-shm", db_path);

            unlink(wal);
            unlink(shm);
            free(wal);
            free(shm);
        }
        rmdir(dir);
    }
    free(file);
    free(db_path);
    return rc;
}
