/* summary: what went into the image, part by part (files, hooks, binaries, modules, firmware, module indexes,
 * modprobe.d), the other entries and the total, the early microcode (or why there is none), and what was
 * written: the archive's size before and after compression, or the list's. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "list.h"
#include "summary.h"

/* "microcode N files N bytes" and what they are, or why there are none. */
static void print_microcode(const struct options *opts, const struct microcode_notes *ucode)
{
	size_t files = 0;
	uint64_t bytes = 0;
	for (size_t v = 0; v < MICROCODE_VENDOR_COUNT; v++) {
		files += ucode->vendors[v].n_blobs > 0;
		bytes += ucode->vendors[v].bytes;
	}
	fprintf(stderr, "mkrdinit: %-14s %5zu files %12llu bytes", "microcode", files,
		(unsigned long long)bytes);
	if (ucode->skipped) {
		fprintf(stderr, ": none (%s)\n", ucode->skipped);
		return;
	}
	if (opts->host_only)
		fprintf(stderr, ", host-only: %s", ucode->cpu);
	const char *sep = files ? ", in the early archive: " : "";
	for (size_t v = 0; v < MICROCODE_VENDOR_COUNT; v++) {
		if (!ucode->vendors[v].n_blobs)
			continue;
		fprintf(stderr, "%s%s (%zu blobs of %s/%s)", sep, ucode->vendors[v].file,
			ucode->vendors[v].n_blobs, ucode->vendors[v].dir, ucode->vendors[v].folder);
		sep = ", ";
	}
	if (!files) {
		const char *dir = NULL;
		for (size_t v = 0; v < MICROCODE_VENDOR_COUNT && !dir; v++)
			dir = ucode->vendors[v].dir;
		if (opts->host_only && dir)
			fprintf(stderr, ": none (no such file in %s)", dir);
		else
			fprintf(stderr, ": none (no intel-ucode or amd-ucode in %s)",
				opts->firmware_dir ? opts->firmware_dir
						   : "/lib/firmware or /usr/lib/firmware");
	}
	if (ucode->compressed)
		fprintf(stderr, "; %zu compressed blobs left out (the early loader reads none)",
			ucode->compressed);
	fputc('\n', stderr);
}

void print_summary(const struct options *opts, const struct image *img,
		   const struct newc_stats *stats, const struct build_notes *notes,
		   const struct newc_stats *early_stats, const struct microcode_notes *ucode)
{
	static const char *const part_names[PART_COUNT] = {
		[PART_FILES] = "files",
		[PART_HOOKS] = "hooks",
		[PART_BINARIES] = "binaries",
		[PART_MODULES] = "modules",
		[PART_FIRMWARE] = "firmware",
		[PART_MODULE_INDEXES] = "module indexes",
		[PART_MODULE_CONFIG] = "modprobe.d",
	};
	size_t count[PART_COUNT] = { 0 }, dirs = 0, nodes = 0, links = 0, pipes = 0, sockets = 0,
	       total_count = 0;
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
		fprintf(stderr, "mkrdinit: %-14s %5zu files %12llu bytes", part_names[part],
			count[part], (unsigned long long)bytes[part]);
		if (part == PART_MODULES && notes->modules_expanded)
			fprintf(stderr, " (%zu decompressed)", notes->modules_expanded);
		if (part == PART_FIRMWARE && notes->firmware_missing)
			fprintf(stderr, " (%zu named but missing)", notes->firmware_missing);
		fputc('\n', stderr);
		total_count += count[part];
		total_bytes += bytes[part];
	}
	fprintf(stderr,
		"mkrdinit: %-14s %5zu folders, %zu device nodes, %zu symlinks, %zu pipes, %zu sockets\n",
		"other", dirs, nodes, links, pipes, sockets);
	fprintf(stderr, "mkrdinit: %-14s %5zu files %12llu bytes\n", "total", total_count,
		(unsigned long long)total_bytes);
	print_microcode(opts, ucode);

	const char *where = strcmp(opts->output, "-") == 0 ? "standard output" : opts->output;
	if (opts->list) {
		fprintf(stderr,
			"mkrdinit: wrote %s: a gen_init_cpio list of %zu entries, %llu bytes%s%s\n",
			where, img->n_nodes, (unsigned long long)stats->output_bytes,
			list_needs_data_dir(img) ? ", generated files in " : "",
			list_needs_data_dir(img) ? opts->list_dir : "");
		return;
	}
	if (opts->compression == COMPRESSION_NONE)
		fprintf(stderr, "mkrdinit: wrote %s: %zu entries, %llu bytes of cpio, uncompressed",
			where, img->n_nodes, (unsigned long long)stats->cpio_bytes);
	else
		fprintf(stderr,
			"mkrdinit: wrote %s: %zu entries, %llu bytes of cpio, %llu bytes with %s",
			where, img->n_nodes, (unsigned long long)stats->cpio_bytes,
			(unsigned long long)stats->output_bytes,
			compression_name(opts->compression));
	if (early_stats->output_bytes)
		fprintf(stderr, ", after %llu bytes of early microcode archive (%llu bytes in all)",
			(unsigned long long)early_stats->output_bytes,
			(unsigned long long)(early_stats->output_bytes + stats->output_bytes));
	fputc('\n', stderr);
}
