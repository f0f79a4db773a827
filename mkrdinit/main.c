/* mkrdinit: builds an initramfs image from hook manifests.
 *
 * Reads every hook's manifest, resolves the `binary` lines with each program's loader and the `module` lines with
 * libkmod (with --host-only: the modules the running machine's root needs, from sysfs), adds the firmware the
 * modules name, builds the image's own module indexes with depmod, checks the whole set of paths for conflicts,
 * then writes a reproducible newc cpio archive (or, with --list, the same as a gen_init_cpio list) to a temporary
 * file that is renamed over the output only once complete. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "image.h"
#include "list.h"
#include "newc.h"
#include "options.h"
#include "output.h"

static void print_summary(const struct options *opts, const struct image *img, const struct newc_stats *stats,
                          const struct build_notes *notes)
{
	static const char *const part_names[PART_COUNT] = {
		[PART_FILES] = "files",
		[PART_HOOKS] = "hooks",
		[PART_BINARIES] = "binaries",
		[PART_MODULES] = "modules",
		[PART_FIRMWARE] = "firmware",
		[PART_MODULE_INDEXES] = "module indexes",
	};
	size_t count[PART_COUNT] = { 0 }, dirs = 0, nodes = 0, links = 0, pipes = 0, sockets = 0, total_count = 0;
	uint64_t bytes[PART_COUNT] = { 0 }, total_bytes = 0;

	for (size_t i = 0; i < img->n_nodes; i++) {
		const struct image_node *node = &img->nodes[i];
		switch (node->kind) {
		case IMAGE_FILE:
			count[node->part]++;
			/* A hard-linked file's data is in the archive once. */
			if (node->carries_data)
				bytes[node->part] += node->size;
			break;
		case IMAGE_DIR:
			dirs++;
			break;
		case IMAGE_NOD_BLOCK:
		case IMAGE_NOD_CHAR:
			nodes++;
			break;
		case IMAGE_SLINK:
			links++;
			break;
		case IMAGE_PIPE:
			pipes++;
			break;
		case IMAGE_SOCK:
			sockets++;
			break;
		}
	}
	for (int part = 0; part < PART_COUNT; part++) {
		fprintf(stderr, "mkrdinit: %-14s %5zu files %12llu bytes", part_names[part], count[part],
		        (unsigned long long)bytes[part]);
		if (part == PART_FIRMWARE && notes->firmware_missing)
			fprintf(stderr, " (%zu named but missing)", notes->firmware_missing);
		fputc('\n', stderr);
		total_count += count[part];
		total_bytes += bytes[part];
	}
	fprintf(stderr, "mkrdinit: %-14s %5zu folders, %zu device nodes, %zu symlinks, %zu pipes, %zu sockets\n",
	        "other", dirs, nodes, links, pipes, sockets);
	fprintf(stderr, "mkrdinit: %-14s %5zu files %12llu bytes\n", "total", total_count,
	        (unsigned long long)total_bytes);

	const char *where = strcmp(opts->output, "-") == 0 ? "standard output" : opts->output;
	if (opts->list) {
		fprintf(stderr, "mkrdinit: wrote %s: a gen_init_cpio list of %zu entries, %llu bytes%s%s\n", where,
		        img->n_nodes, (unsigned long long)stats->output_bytes,
		        list_needs_data_dir(img) ? ", generated files in " : "",
		        list_needs_data_dir(img) ? opts->list_dir : "");
		return;
	}
	if (opts->compression == COMPRESSION_NONE)
		fprintf(stderr, "mkrdinit: wrote %s: %zu entries, %llu bytes of cpio, uncompressed\n", where, img->n_nodes,
		        (unsigned long long)stats->cpio_bytes);
	else
		fprintf(stderr, "mkrdinit: wrote %s: %zu entries, %llu bytes of cpio, %llu bytes with %s\n", where,
		        img->n_nodes, (unsigned long long)stats->cpio_bytes, (unsigned long long)stats->output_bytes,
		        compression_name(opts->compression));
}

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
