/* SPDX-License-Identifier: MIT */
/* Unit tests for running TechDocs build jobs on threads and finishing them in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "host/common/error.h"
#include "plugins/techdocs/build/ordered.h"

#define JOBS 200

typedef struct {
    size_t squares[JOBS];    /* written by the job of each index */
    size_t finish_order[JOBS];
    size_t finished;
    size_t fail_at; /* the index whose finish returns an error, or JOBS for none */
} jobs;

static void square(size_t index, void *payload)
{
    jobs *j = payload;

    j->squares[index] = index * index + 1;
}

static int record(size_t index, void *payload)
{
    jobs *j = payload;

    if (j->squares[index] != index * index + 1)
        return gr_error_set(GR_ERROR, "job %zu finished before it ran", index);
    j->finish_order[j->finished++] = index;
    if (index == j->fail_at)
        return gr_error_set(GR_EINVALID, "stop at %zu", index);
    return GR_OK;
}

static void run_and_check_order(size_t threads)
{
    jobs j;

    memset(&j, 0, sizeof(j));
    j.fail_at = JOBS;
    assert_int_equal(gr_techdocs_run_ordered(JOBS, threads, square, record, &j), GR_OK);
    assert_int_equal(j.finished, JOBS);
    for (size_t i = 0; i < JOBS; i++)
        assert_int_equal(j.finish_order[i], i);
}

static void one_thread_in_order(void **state)
{
    (void)state;
    run_and_check_order(1);
}

static void four_threads_in_order(void **state)
{
    (void)state;
    run_and_check_order(4);
}

static void error_stops_finishing(void **state)
{
    jobs j;

    (void)state;
    memset(&j, 0, sizeof(j));
    j.fail_at = 70;
    assert_int_equal(gr_techdocs_run_ordered(JOBS, 3, square, record, &j), GR_EINVALID);
    assert_int_equal(j.finished, 71);
    assert_string_equal(gr_error_last(), "stop at 70");
}

static void no_jobs(void **state)
{
    jobs j;

    (void)state;
    memset(&j, 0, sizeof(j));
    assert_int_equal(gr_techdocs_run_ordered(0, 2, square, record, &j), GR_OK);
    assert_int_equal(j.finished, 0);
}

/* Jobs of the window test: a slow finisher, so that unbounded threads would run far ahead. */
typedef struct {
    atomic_size_t finished;
    atomic_size_t max_ahead; /* largest index - finished seen when a job started */
} window_jobs;

static void note_ahead(size_t index, void *payload)
{
    window_jobs *w = payload;
    size_t ahead = index - atomic_load(&w->finished);
    size_t seen = atomic_load(&w->max_ahead);

    while (ahead > seen && !atomic_compare_exchange_weak(&w->max_ahead, &seen, ahead))
        ;
}

static int finish_slowly(size_t index, void *payload)
{
    window_jobs *w = payload;

    (void)index;
    usleep(200);
    atomic_fetch_add(&w->finished, 1);
    return GR_OK;
}

static void jobs_stay_within_window(void **state)
{
    window_jobs w;

    (void)state;
    atomic_init(&w.finished, 0);
    atomic_init(&w.max_ahead, 0);
    assert_int_equal(gr_techdocs_run_ordered(JOBS, 4, note_ahead, finish_slowly, &w), GR_OK);
    assert_int_equal(atomic_load(&w.finished), JOBS);
    assert_true(atomic_load(&w.max_ahead) <= GR_TECHDOCS_ORDERED_WINDOW);
}

static void thread_count_bounded(void **state)
{
    size_t count = gr_techdocs_thread_count();

    (void)state;
    assert_true(count >= 1);
    assert_true(count <= GR_TECHDOCS_MAX_THREADS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_thread_in_order),
        cmocka_unit_test(jobs_stay_within_window),
        cmocka_unit_test(four_threads_in_order),
        cmocka_unit_test(error_stops_finishing),
        cmocka_unit_test(no_jobs),
        cmocka_unit_test(thread_count_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
