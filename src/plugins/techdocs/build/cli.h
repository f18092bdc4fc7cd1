/* SPDX-License-Identifier: MIT */
/* The `greenroom techdocs build` command: builds a docs site like techdocs-cli generate. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_CLI_H
#define GR_PLUGINS_TECHDOCS_BUILD_CLI_H

/** Help text of `greenroom techdocs build`. */
extern const char gr_techdocs_build_usage[];

/**
 * Runs `greenroom techdocs build`; argv[0] is "build". Returns the exit
 * status: 0 built, 1 build failed or strict warnings, 2 usage error.
 */
int gr_techdocs_build_main(int argc, char **argv);

#endif
