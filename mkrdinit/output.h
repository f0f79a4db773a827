/* output: writes the finished image, or with --list its gen_init_cpio list, where -o says. */
#pragma once

#include "image.h"
#include "newc.h"
#include "options.h"

/* Writes EARLY (finalized; the early microcode archive, uncompressed, left out when empty) and then IMG (finalized)
 * as OPTS say: to standard output for "-", else to a new temporary file in the output's
 * folder (O_EXCL, O_NOFOLLOW), given the mode (0600 with a key; else the replaced file's mode and, for root, owner;
 * else 0644 less the umask), written, fsync'ed, renamed over the output, and the folder fsync'ed. An output that is
 * a symbolic link or not a regular file is refused. On any failure, and on SIGINT, SIGTERM or SIGHUP (which then
 * kill the process as usual), the temporary file is removed and the output left as it was. STATS gets the sizes
 * written, EARLY_STATS those of EARLY. Says what failed, once; returns 0 or -errno. */
int write_output(const struct options *opts, const struct image *early, const struct image *img,
		 struct newc_stats *early_stats, struct newc_stats *stats);
