/* summary: what went into the image, part by part, and what was written, on standard error. */
#pragma once

#include "build.h"
#include "image.h"
#include "microcode.h"
#include "newc.h"
#include "options.h"

/* "mkrdinit: PART N files N bytes" for each part of IMG, the other entries and the total, the early microcode
 * (UCODE, written as EARLY_STATS say), then where the image (or its list) went and how large it is. */
void print_summary(const struct options *opts, const struct image *img,
		   const struct newc_stats *stats, const struct build_notes *notes,
		   const struct newc_stats *early_stats, const struct microcode_notes *ucode);
