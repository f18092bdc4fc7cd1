/* SPDX-License-Identifier: MIT */
/* `greenroom serve`: runs the portal until SIGTERM or SIGINT. */
#ifndef GR_HOST_SERVE_SERVE_H
#define GR_HOST_SERVE_SERVE_H

/**
 * Loads the configuration from `--config FILE` arguments, opens the
 * database, initialises and starts every built-in plugin, serves HTTP and
 * waits for SIGTERM or SIGINT; then stops accepting, finishes in-flight
 * requests, stops the plugins, closes the database and returns.
 * Returns the exit status: 0 after a clean stop, 1 on a start-up failure,
 * 2 for an invalid configuration or usage.
 */
int gr_serve_main(int argc, char **argv);

extern const char gr_serve_usage[];

/**
 * `greenroom routes`: loads the configuration as gr_serve_main() does,
 * initialises the plugins without starting them or listening, and prints
 * every registered route, sorted, one per line: method, pattern, and
 * "public" or "signed-in". Returns the exit status: 0, 1 when the plugins
 * fail to initialise, 2 for an invalid configuration.
 */
int gr_serve_routes_main(int argc, char **argv);

extern const char gr_serve_routes_usage[];

#endif
