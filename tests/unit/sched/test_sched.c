/* SPDX-License-Identifier: MIT */
/* Unit tests for the scheduler and its database leases, on SQLite and PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "../store/db_fixture.h"
#include "host/sched/sched.h"

#define assert_ok(expr) assert_int_equal((expr), GR_OK)

/* Generous bounds: the tests run under sanitizers on small machines. */
#define WAIT_MS 10000

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Waits until *counter reaches `target`. Returns false when it did not in time. */
static bool wait_for(atomic_int *counter, int target, int64_t timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;

    while (atomic_load(counter) < target) {
        if (now_ms() > deadline)
            return false;
        sleep_ms(5);
    }
    return true;
}

#define MAX_STARTS 256

typedef struct {
    atomic_int runs;
    atomic_int running;
    atomic_int max_running;
    atomic_int finished;
    atomic_int saw_stop;
    int64_t work_ms;
    pthread_mutex_t lock;
    int64_t starts[MAX_STARTS];
    int start_count;
} job_record;

static void record_init(job_record *record, int64_t work_ms)
{
    memset(record, 0, sizeof(*record));
    record->work_ms = work_ms;
    pthread_mutex_init(&record->lock, NULL);
}

/* Counts runs, tracks how many run at once and when each started. */
static int counting_job(gr_sched_run *run, void *payload)
{
    job_record *record = payload;
    int running = atomic_fetch_add(&record->running, 1) + 1;
    int max = atomic_load(&record->max_running);

    while (running > max && !atomic_compare_exchange_weak(&record->max_running, &max, running))
        ;
    pthread_mutex_lock(&record->lock);
    if (record->start_count < MAX_STARTS)
        record->starts[record->start_count++] = now_ms();
    pthread_mutex_unlock(&record->lock);

    if (record->work_ms > 0 && !gr_sched_run_sleep(run, record->work_ms))
        atomic_store(&record->saw_stop, 1);
    atomic_fetch_sub(&record->running, 1);
    atomic_fetch_add(&record->runs, 1);
    return GR_OK;
}

static void sched_runs_job_repeatedly(void **state)
{
    db_fixture *fixture = *state;
    gr_sched *sched = NULL;
    job_record record;

    record_init(&record, 0);
    assert_ok(gr_sched_new(&sched, fixture->db, "instance-a"));
    assert_ok(gr_sched_add(sched, "tick", 40, 0, 5000, counting_job, &record));
    assert_ok(gr_sched_start(sched));
    assert_true(wait_for(&record.runs, 3, WAIT_MS));
    gr_sched_free(sched);

    /* Each run starts at least one interval after the previous one started. */
    for (int i = 1; i < record.start_count; i++)
        assert_true(record.starts[i] - record.starts[i - 1] >= 40 - 5);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM scheduler_leases"
                                                   " WHERE owner IS NULL"),
                     1);
}

/* Two instances on two database handles never run the same job at once. */
static void sched_two_instances_exclusive(void **state)
{
    db_fixture *fixture = *state;
    gr_db *second_db = NULL;
    gr_sched *first = NULL;
    gr_sched *second = NULL;
    job_record record;

    record_init(&record, 30);
    assert_ok(db_fixture_open(fixture, 0, &second_db));
    assert_ok(gr_sched_new(&first, fixture->db, "instance-a"));
    assert_ok(gr_sched_new(&second, second_db, "instance-b"));
    assert_ok(gr_sched_add(first, "shared", 20, 0, 5000, counting_job, &record));
    assert_ok(gr_sched_add(second, "shared", 20, 0, 5000, counting_job, &record));
    assert_ok(gr_sched_start(first));
    assert_ok(gr_sched_start(second));
    assert_true(wait_for(&record.runs, 8, WAIT_MS));
    gr_sched_free(first);
    gr_sched_free(second);
    gr_db_close(second_db);

    assert_int_equal(atomic_load(&record.max_running), 1);
    for (int i = 1; i < record.start_count; i++)
        assert_true(record.starts[i] - record.starts[i - 1] >= 20 - 5);
}

static void insert_lease(gr_db *db, const char *owner, int64_t expires_in_ms,
                         int64_t next_run_in_ms)
{
    char *sql = gr_xasprintf("INSERT INTO scheduler_leases (job_id, owner, expires_at, next_run_at)"
                             " VALUES ('job', '%s', %s + %lld, %s + %lld)",
                             owner, gr_db_sql_now_ms(db), (long long)expires_in_ms,
                             gr_db_sql_now_ms(db), (long long)next_run_in_ms);

    db_fixture_exec(db, sql);
    free(sql);
}

static void sched_takes_over_expired_lease(void **state)
{
    db_fixture *fixture = *state;
    gr_sched *sched = NULL;
    job_record record;

    record_init(&record, 0);
    assert_ok(gr_sched_new(&sched, fixture->db, "instance-a"));
    insert_lease(fixture->db, "crashed-instance", -1000, 3600 * 1000);
    assert_ok(gr_sched_add(sched, "job", 3600 * 1000, 0, 5000, counting_job, &record));
    assert_ok(gr_sched_start(sched));
    assert_true(wait_for(&record.runs, 1, WAIT_MS));
    gr_sched_free(sched);

    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM scheduler_leases"
                                                   " WHERE owner IS NULL AND job_id = 'job'"),
                     1);
}

static void sched_respects_live_lease(void **state)
{
    db_fixture *fixture = *state;
    gr_sched *sched = NULL;
    job_record record;

    record_init(&record, 0);
    assert_ok(gr_sched_new(&sched, fixture->db, "instance-a"));
    insert_lease(fixture->db, "other-instance", 60000, 0);
    assert_ok(gr_sched_add(sched, "job", 20, 0, 5000, counting_job, &record));
    assert_ok(gr_sched_start(sched));
    sleep_ms(400);
    assert_int_equal(gr_sched_trigger(sched, "job"), GR_ECONFLICT);
    gr_sched_free(sched);
    assert_int_equal(atomic_load(&record.runs), 0);
}

/* A run sets next_run_at for every instance, so a second instance waits for it. */
static void sched_next_run_shared(void **state)
{
    db_fixture *fixture = *state;
    gr_sched *sched = NULL;
    job_record record;

    record_init(&record, 0);
    assert_ok(gr_sched_new(&sched, fixture->db, "instance-a"));
    assert_ok(gr_sched_add(sched, "hourly", 3600 * 1000, 0, 5000, counting_job, &record));
    assert_ok(gr_sched_start(sched));
    assert_true(wait_for(&record.runs, 1, WAIT_MS));
    gr_sched_free(sched);

    assert_ok(gr_sched_new(&sched, fixture->db, "instance-b"));
    assert_ok(gr_sched_add(sched, "hourly", 3600 * 1000, 0, 5000, counting_job, &record));
    assert_ok(gr_sched_start(sched));
    sleep_ms(300);
    gr_sched_free(sched);
    assert_int_equal(atomic_load(&record.runs), 1);
}

static int blocking_job(gr_sched_run *run, void *payload)
{
    job_record *record = payload;

    atomic_fetch_add(&record->runs, 1);
    while (!gr_sched_run_stopping(run))
        sleep_ms(5);
    sleep_ms(100); /* cleanup that stop must wait for */
    atomic_store(&record->finished, 1);
    return GR_OK;
}

static void sched_stop_waits_for_job(void **state)
{
    db_fixture *fixture = *state;
    gr_sched *sched = NULL;
    job_record record;

    record_init(&record, 0);
    assert_ok(gr_sched_new(&sched, fixture->db, "instance-a"));
    assert_ok(gr_sched_add(sched, "long", 1000, 0, 60000, blocking_job, &record));
    assert_ok(gr_sched_start(sched));
    assert_true(wait_for(&record.runs, 1, WAIT_MS));
    assert_ok(gr_sched_trigger(sched, "long"));
    gr_sched_stop(sched);
    assert_int_equal(atomic_load(&record.finished), 1);
    gr_sched_stop(sched);
    gr_sched_free(sched);
}

static void sched_timeout_asks_job_to_stop(void **state)
{
    db_fixture *fixture = *state;
    gr_sched *sched = NULL;
    job_record record;

    record_init(&record, 60000);
    assert_ok(gr_sched_new(&sched, fixture->db, "instance-a"));
    assert_ok(gr_sched_add(sched, "slow", 3600 * 1000, 0, 100, counting_job, &record));
    assert_ok(gr_sched_start(sched));
    assert_true(wait_for(&record.runs, 1, WAIT_MS));
    assert_int_equal(atomic_load(&record.saw_stop), 1);
    gr_sched_free(sched);
}

static void sched_trigger_runs_soon(void **state)
{
    db_fixture *fixture = *state;
    gr_sched *sched = NULL;
    job_record record;
    int rc = GR_ERROR;

    record_init(&record, 0);
    assert_ok(gr_sched_new(&sched, fixture->db, "instance-a"));
    assert_ok(gr_sched_add(sched, "rare", 3600 * 1000, 3600 * 1000, 5000, counting_job, &record));
    assert_ok(gr_sched_start(sched));
    assert_int_equal(gr_sched_trigger(sched, "unknown"), GR_ENOTFOUND);
    assert_ok(gr_sched_trigger(sched, "rare"));
    assert_true(wait_for(&record.runs, 1, WAIT_MS));

    /* Once the run has freed its lease, a trigger makes the job due again at once. */
    for (int64_t deadline = now_ms() + WAIT_MS; now_ms() < deadline; sleep_ms(10)) {
        rc = gr_sched_trigger(sched, "rare");
        if (rc != GR_ECONFLICT)
            break;
    }
    assert_ok(rc);
    assert_true(wait_for(&record.runs, 2, WAIT_MS));
    gr_sched_free(sched);
}

/* A trigger during a run is not lost: the job runs once more after it, though
 * its interval is an hour. */
static void sched_trigger_while_running_reruns(void **state)
{
    db_fixture *fixture = *state;
    gr_sched *sched = NULL;
    job_record record;

    record_init(&record, 300);
    assert_ok(gr_sched_new(&sched, fixture->db, "instance-a"));
    assert_ok(gr_sched_add(sched, "busy", 3600 * 1000, 0, 5000, counting_job, &record));
    assert_ok(gr_sched_start(sched));
    assert_true(wait_for(&record.running, 1, WAIT_MS));
    assert_ok(gr_sched_trigger(sched, "busy"));
    assert_true(wait_for(&record.runs, 2, WAIT_MS));
    sleep_ms(400);
    assert_int_equal(atomic_load(&record.runs), 2);
    gr_sched_free(sched);
}

static void sched_add_rejects_bad_jobs(void **state)
{
    db_fixture *fixture = *state;
    gr_sched *sched = NULL;
    job_record record;
    char long_id[GR_SCHED_JOB_ID_MAX + 2];

    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    record_init(&record, 0);
    assert_int_equal(gr_sched_new(&sched, fixture->db, ""), GR_EINVALID);
    assert_null(sched);
    assert_ok(gr_sched_new(&sched, fixture->db, "instance-a"));
    assert_ok(gr_sched_add(sched, "job", 1000, 0, 1000, counting_job, &record));
    assert_int_equal(gr_sched_add(sched, "job", 1000, 0, 1000, counting_job, &record),
                     GR_ECONFLICT);
    assert_int_equal(gr_sched_add(sched, "", 1000, 0, 1000, counting_job, &record), GR_EINVALID);
    assert_int_equal(gr_sched_add(sched, long_id, 1000, 0, 1000, counting_job, &record),
                     GR_EINVALID);
    assert_int_equal(gr_sched_add(sched, "zero", 0, 0, 1000, counting_job, &record), GR_EINVALID);
    assert_int_equal(gr_sched_add(sched, "neg", 1000, -1, 1000, counting_job, &record),
                     GR_EINVALID);
    assert_int_equal(gr_sched_add(sched, "nofn", 1000, 0, 1000, NULL, &record), GR_EINVALID);
    assert_ok(gr_sched_start(sched));
    assert_int_equal(gr_sched_start(sched), GR_EINVALID);
    gr_sched_free(sched);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(sched_runs_job_repeatedly),
        DB_TEST_BOTH(sched_two_instances_exclusive),
        DB_TEST_BOTH(sched_takes_over_expired_lease),
        DB_TEST_BOTH(sched_respects_live_lease),
        DB_TEST_BOTH(sched_next_run_shared),
        DB_TEST_BOTH(sched_stop_waits_for_job),
        DB_TEST_BOTH(sched_timeout_asks_job_to_stop),
        DB_TEST_BOTH(sched_trigger_runs_soon),
        DB_TEST_BOTH(sched_trigger_while_running_reruns),
        DB_TEST_BOTH(sched_add_rejects_bad_jobs),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
