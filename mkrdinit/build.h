/* build: the image from the hooks' manifests: their own lines, the `binary` programs with their libraries, the
 * `module` lines (or with --host-only what sysfs says the root needs) with their firmware and indexes. */
#pragma once
#include <stddef.h>

#include "image.h"
#include "options.h"

/* What was left out or is missing: said once the image is written, and counted in the summary. */
struct build_notes {
	size_t firmware_missing;
	size_t hostonly_dropped; /* `module` lines that --host-only left out */
	size_t hostonly_unneeded; /* those of `hostonly if ITEM` hooks whose ITEM the root does not need */
	size_t hostonly_keyboard_lines; /* those of `hostonly keyboard` hooks, for the keyboards' drivers */
	size_t hostonly_modules; /* names --host-only found */
	size_t modules_expanded; /* compressed modules that go in decompressed */
};

/* Reads the manifests of OPTS's hooks and fills IMG with everything they ask for, finalized (sorted, checked for
 * conflicts, parents added). Says what failed, once; returns 0 or -errno. */
int build_image(const struct options *opts, struct image *img, struct build_notes *notes);
