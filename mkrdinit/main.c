/* mkrdinit: builds an initramfs image from hook manifests.
 *
 * Reads every hook's manifest, resolves the `binary` lines with each program's loader and the `module` lines with
 * libkmod (with --host-only: the modules the running machine's root needs, from sysfs), adds the firmware the
 * modules name, builds the image's own module indexes with depmod, checks the whole set of paths for conflicts,
 * then writes a reproducible newc cpio archive (or, with --list, the same as a gen_init_cpio list) to a temporary
 * file that is renamed over the output only once complete.
 *
 * main() is that sequence, one file a step: options.c reads the command line, build.c makes the image, output.c
 * writes it, summary.c sums it up. Each step says what failed, once; main() turns that into the exit status. */
#include <stdlib.h>

#include "build.h"
#include "image.h"
#include "newc.h"
#include "options.h"
#include "output.h"
#include "summary.h"

int main(int argc, char **argv)
{
	struct options opts;
	parse_options(argc, argv, &opts);

	struct image img = { 0 };
	struct newc_stats stats = { 0 };
	struct build_notes notes = { 0 };
	int r = build_image(&opts, &img, &notes);
	if (r == 0)
		r = write_output(&opts, &img, &stats);
	if (r == 0)
		print_summary(&opts, &img, &stats, &notes);

	image_free(&img);
	options_free(&opts);
	return r == 0 ? EXIT_SUCCESS : EXIT_BAD_INPUT;
}
