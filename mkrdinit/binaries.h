/* binaries: a host program with everything the dynamic loader needs to start it, as dracut's `inst` installs it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct binary_file {
	char *path;	   /* absolute host path, normalized; the same path in the image */
	char *link_target; /* a symlink: its target, verbatim; NULL for a regular file */
	unsigned int mode; /* a regular file: its permission bits, without set-id and sticky bits */
};

struct binary_set {
	struct binary_file *files;
	size_t n_files;
	size_t capacity;
};

/* Adds PROGRAM to OUT with what it needs: a bare name is looked for in the folders of IMAGE_PATH (include/layout.h,
 * the PATH /init gives hooks), in order; a symlink comes with its target (each link of a chain); a dynamically
 * linked ELF program comes with every shared library its loader (its PT_INTERP) lists with --list, as ldd does, and
 * the loader itself, each at its host path. Libraries opened later with dlopen() are not found. A file already in
 * OUT is added once. ORIGIN names the manifest line in messages. Returns 0, or -ENOENT (PROGRAM, a library or the
 * loader is missing), -ELOOP, -EINVAL (not a regular file, the loader failed) or another -errno, with ERR filled
 * in. */
int binaries_add(struct binary_set *out, const char *program, const char *origin, char *err,
		 size_t err_size);

void binary_set_free(struct binary_set *set);
