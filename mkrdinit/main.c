/* mkrdinit: builds an initramfs image from hook manifests.
 *
 * Reads every hook's manifest, resolves the `binary` lines with each program's loader and the `module` lines with
 * libkmod (with --host-only: the modules the running machine's root needs, from sysfs), adds the firmware the
 * modules name, builds the image's own module indexes with depmod, checks the whole set of paths for conflicts,
 * gathers the CPU microcode for the kernel's early loader, then writes a reproducible newc cpio archive, after the
 * uncompressed one of the microcode (or, with --list, the image as a gen_init_cpio list), to a temporary file that
 * is renamed over the output only once complete.
 *
 * main() is that sequence, one file a step: options.c reads the command line, build.c makes the image,
 * microcode.c the early archive, output.c writes them, summary.c sums it up. Each step says what failed, once; main() turns that into the exit status. */
#include <stdlib.h>

#include "build.h"
#include "image.h"
#include "microcode.h"
#include "newc.h"
#include "options.h"
#include "output.h"
#include "summary.h"

int main(int argc, char **argv)
{
	struct options opts;
	parse_options(argc, argv, &opts);

	struct image img = { 0 }, early = { 0 };
	struct newc_stats stats = { 0 }, early_stats = { 0 };
	struct build_notes notes = { 0 };
	struct microcode_notes microcode = { 0 };
	int r = build_image(&opts, &img, &notes);
	if (r == 0)
		r = microcode_build(&opts, &early, &microcode);
	if (r == 0)
		r = write_output(&opts, &early, &img, &early_stats, &stats);
	if (r == 0)
		print_summary(&opts, &img, &stats, &notes, &early_stats, &microcode);

	image_free(&img);
	image_free(&early);
	microcode_notes_free(&microcode);
	options_free(&opts);
	return r == 0 ? EXIT_SUCCESS : EXIT_BAD_INPUT;
}
