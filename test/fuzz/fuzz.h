/*
 * Shared by the fuzz targets in this folder: require(), which aborts with a message when an
 * invariant breaks (libFuzzer then saves the input), and, unless FUZZ_LIBFUZZER is defined, a
 * main() that runs LLVMFuzzerTestOneInput on every file named on the command line, or on every
 * file in a folder named there, as TAP. Meson builds the targets that way (musl, like /init)
 * and runs them on test/fuzz/corpus/, so the seeds and every saved crash stay regression
 * tests without clang; test/fuzz/run builds them with libFuzzer.
 */
#pragma once
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_TARGET
#error "define FUZZ_TARGET to the target's name before including fuzz.h"
#endif

__attribute__((format(printf, 2, 3))) static void require(bool condition, const char *what, ...)
{
	if (condition)
		return;
	va_list ap;
	va_start(ap, what);
	fprintf(stderr, "%s: invariant broken: ", FUZZ_TARGET);
	vfprintf(stderr, what, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

#ifndef FUZZ_LIBFUZZER
static int fuzz_count;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("not ok %d - unable to open %s\n", ++fuzz_count, path);
		return 1;
	}
	/* An exact-size copy, as libFuzzer passes it, so an overread is not hidden by slack. */
	static uint8_t buffer[1 << 20];
	size_t size = fread(buffer, 1, sizeof(buffer), f);
	(void)fclose(f);
	uint8_t *data = malloc(size ? size : 1);
	if (!data)
		return 1;
	memcpy(data, buffer, size);
	(void)LLVMFuzzerTestOneInput(data, size);
	free(data);
	printf("ok %d - %s\n", ++fuzz_count, path);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			struct dirent **names;
			int n = scandir(argv[i], &names, NULL, by_name);
			for (int j = 0; j < n; j++) {
				char path[4096];
				(void)snprintf(path, sizeof(path), "%s/%s", argv[i],
					       names[j]->d_name);
				if (names[j]->d_name[0] != '.' && stat(path, &st) == 0 &&
				    S_ISREG(st.st_mode))
					failed |= run_file(path);
				free(names[j]);
			}
			if (n < 0)
				printf("not ok %d - unable to list %s\n", ++fuzz_count, argv[i]),
					failed = 1;
			else
				free(names);
		} else
			failed |= run_file(argv[i]);
	}
	printf("1..%d\n", fuzz_count);
	return failed;
}
#endif
