/* Fuzz target for mkrdinit's manifest parser.
 *
 * With libFuzzer:  clang -g -O1 -fsanitize=fuzzer,address,undefined -DMANIFEST_FUZZ_LIBFUZZER -D_GNU_SOURCE \
 *                      -Iinclude -Imkrdinit test/mkrdinit/manifest_fuzz.c mkrdinit/manifest.c mkrdinit/fileio.c \
 *                      -o manifest_fuzz
 *                  ./manifest_fuzz -max_total_time=60 hooks/   (the hooks' manifests make a seed corpus)
 * Without it, this is a program that runs the same checks on each file named on its command line; meson runs
 * it on the hooks' manifests, so the target keeps building and its checks keep holding on real input.
 *
 * Beyond not crashing, it checks what the rest of mkrdinit relies on: every parsed name is normalized (no '/' at
 * either end, no empty, "." or ".." component), modes fit in 07777, device numbers in Linux's dev_t, and every
 * error names the manifest and a line that exists. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "manifest.h"

static const char *lookup(const char *name, void *userdata)
{
	(void)userdata;
	if (strcmp(name, "RDINIT_INIT") == 0)
		return "/build/init";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	return NULL;
}

static void require(int condition, const char *what, const char *detail)
{
	if (!condition) {
		fprintf(stderr, "manifest_fuzz: %s: '%s'\n", what, detail ? detail : "(null)");
		abort();
	}
}

static void check_path(const char *path)
{
	require(path && path[0] && path[0] != '/' && path[strlen(path) - 1] != '/',
		"path not normalized", path);
	require(!strstr(path, "//"), "doubled '/' in path", path);
	const char *p = path;
	while (*p) {
		size_t len = strcspn(p, "/");
		require(!(len == 1 && p[0] == '.') && !(len == 2 && p[0] == '.' && p[1] == '.'),
			"'.' or '..' in path", path);
		p += len + (p[len] == '/');
	}
}

static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t lines = 1;
	for (size_t i = 0; i + 1 < size; i++)
		lines += data[i] == '\n';
	return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct manifest_context ctx = {
		.display_name = "fuzz/manifest",
		.base_dir = "fuzz",
		.lookup = lookup,
	};
	struct manifest m = { 0 };
	char err[512] = "";
	int r = manifest_parse_text(&m, &ctx, (const char *)data, size, err, sizeof(err));

	if (r == -EINVAL) {
		unsigned long line = 0;
		require(sscanf(err, "fuzz/manifest:%lu: ", &line) == 1, "error without file:line",
			err);
		require(line >= 1 && line <= count_lines(data, size),
			"error names a line that does not exist", err);
	} else
		require(r == 0 || r == -ENOMEM, "unexpected result", err);

	for (size_t i = 0; i < m.n_entries; i++) {
		const struct manifest_entry *e = &m.entries[i];
		require(e->source && strncmp(e->source, "fuzz/manifest:", 14) == 0,
			"entry without source", e->source);
		if (e->kind == MANIFEST_MODULE) {
			require(e->name && e->name[0], "empty module name", e->name);
			continue;
		}
		if (e->kind == MANIFEST_HOSTONLY) {
			/* `hostonly`, `hostonly keyboard`, or `hostonly if ITEM` with a word for ITEM. */
			require(!e->name || (e->name[0] && !strpbrk(e->name, " \t\n")),
				"hostonly with an empty or spaced item", e->name);
			require(!(e->name && e->keyboards), "hostonly keyboard with an item",
				e->name);
			continue;
		}
		if (e->kind == MANIFEST_CRYPTTAB) {
			require(e->name && strcmp(e->name, "etc/crypttab") == 0 && e->location &&
					e->location[0],
				"crypttab without its file", e->name);
			continue;
		}
		if (e->kind == MANIFEST_BINARY) {
			/* An absolute path, normalized after its '/', or a bare name. */
			require(e->name && e->name[0], "empty program", e->name);
			if (e->name[0] == '/')
				check_path(e->name + 1);
			else
				require(!strchr(e->name, '/'), "relative program path", e->name);
			continue;
		}
		/* "lib/rdinit/hooks/": the image's paths have no leading '/'. */
		static const char hooks_dir[] = IMAGE_HOOKS_DIR "/";
		if (e->kind == MANIFEST_HOOK)
			require(strncmp(e->name, hooks_dir + 1, strlen(hooks_dir + 1)) == 0 &&
					e->mode == 0755 && e->location && e->location[0],
				"hook not under the hooks folder, or not 0755", e->name);
		check_path(e->name);
		require(e->mode <= 07777, "mode beyond 07777", e->name);
		for (size_t j = 0; j < e->n_hard_links; j++)
			check_path(e->hard_links[j]);
		if (e->kind == MANIFEST_FILE)
			require(e->location && e->location[0], "file without location", e->name);
		if (e->kind == MANIFEST_NOD)
			require((e->dev_type == 'b' || e->dev_type == 'c') && e->major <= 4095 &&
					e->minor <= 1048575,
				"bad device", e->name);
	}
	manifest_free(&m);
	return 0;
}

#ifndef MANIFEST_FUZZ_LIBFUZZER
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			fprintf(stderr, "manifest_fuzz: unable to open %s\n", argv[i]);
			return EXIT_FAILURE;
		}
		static uint8_t buffer[1 << 20];
		size_t size = fread(buffer, 1, sizeof(buffer), f);
		(void)fclose(f);
		(void)LLVMFuzzerTestOneInput(buffer, size);
		printf("ok %d - %s\n", i, argv[i]);
	}
	printf("1..%d\n", argc - 1);
	return EXIT_SUCCESS;
}
#endif
