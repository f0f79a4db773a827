/* output: writes the finished image, or with --list its gen_init_cpio list, where -o says. */
#pragma once

#include "image.h"
#include "newc.h"
#include "options.h"

/* Writes IMG (finalized) as OPTS say: to standard output for "-", else to a temporary file next to the output that
 * is renamed over it once complete, and removed on failure. STATS gets the sizes written. Says what failed, once;
 * returns 0 or -errno. */
int write_output(const struct options *opts, const struct image *img, struct newc_stats *stats);
