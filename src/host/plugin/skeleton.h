/* SPDX-License-Identifier: MIT */
/* The skeleton that `greenroom plugin new` writes: source, CMake build and a load test. */
#ifndef GR_HOST_PLUGIN_SKELETON_H
#define GR_HOST_PLUGIN_SKELETON_H

/**
 * Writes the skeleton of plugin `name` into `dir`, which must not exist
 * (its parent must). Returns 0, GR_ECONFLICT when `dir` exists, or
 * GR_EBACKEND naming the file that could not be written.
 */
int gr_plugin_skeleton_write(const char *name, const char *dir);

#endif
