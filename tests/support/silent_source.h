/* SPDX-License-Identifier: MIT */
/* A source on 127.0.0.1 that accepts connections and never responds, for tests of slow reads. */
#ifndef GR_TEST_SILENT_SOURCE_H
#define GR_TEST_SILENT_SOURCE_H

/** Connections a silent source keeps open. It closes the ones beyond at once. */
#define GR_TEST_SILENT_MAX 32

typedef struct gr_test_silent gr_test_silent;

/**
 * Starts listening on an ephemeral port of 127.0.0.1, with a thread that
 * accepts every connection and never reads or writes, so every read of the
 * source waits until gr_test_silent_close(). Returns NULL when a socket or
 * the thread cannot be made.
 */
gr_test_silent *gr_test_silent_start(void);

/** Returns the port the source listens on. */
int gr_test_silent_port(const gr_test_silent *source);

/**
 * Waits up to `timeout_ms` until `count` connections were accepted, and
 * returns how many were. Thread-safe.
 */
int gr_test_silent_wait(gr_test_silent *source, int count, int timeout_ms);

/**
 * Stops accepting and closes every connection, so the reads in progress fail
 * at once. Later calls do nothing.
 */
void gr_test_silent_close(gr_test_silent *source);

/** Closes the source as gr_test_silent_close() does and frees it. NULL-safe. */
void gr_test_silent_free(gr_test_silent *source);

#endif
