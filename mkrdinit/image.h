/* image: the set of paths that go into the initramfs, checked for conflicts and put in archive order. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

enum image_kind {
	IMAGE_FILE,
	IMAGE_DIR,
	IMAGE_NOD_BLOCK,
	IMAGE_NOD_CHAR,
	IMAGE_SLINK,
	IMAGE_PIPE,
	IMAGE_SOCK,
};

/* What a regular file is, for the summary mkrdinit prints. */
enum image_part {
	PART_FILES,	     /* `file` lines of the manifests */
	PART_HOOKS,	     /* `hook` lines: programs /init runs at a stage */
	PART_BINARIES,	     /* `binary` lines: host programs, their libraries and loader */
	PART_MODULES,	     /* kernel modules */
	PART_FIRMWARE,	     /* firmware the modules name */
	PART_MODULE_INDEXES, /* modules.* made by depmod, and the kernel-version note */
	PART_MODULE_CONFIG,  /* the build machine's modprobe.d */
	PART_COUNT,
};

struct image_node {
	char *path; /* without the leading '/' */
	enum image_kind kind;
	enum image_part part;
	unsigned int mode; /* permission bits only */
	uint32_t uid;
	uint32_t gid;
	unsigned int rdev_major;
	unsigned int rdev_minor;
	char *source; /* IMAGE_FILE: the file to copy, or NULL when data holds the content */
	char *data;   /* IMAGE_FILE: generated content; IMAGE_SLINK: the target */
	size_t data_len;
	size_t hardlink_group; /* IMAGE_FILE: nodes with the same non-zero group are one inode */
	char *origin;	       /* where the node was asked for, for messages */
	bool implicit;	       /* a parent folder nobody listed */
	size_t seq; /* order of addition: of identical duplicates the first listed stays */

	/* Set by image_finalize(). */
	uint64_t size; /* of the data this path would carry */
	uint32_t ino;
	uint32_t nlink;
	bool carries_data; /* the last link of a hard-linked inode carries its data, as gen_init_cpio does */
};

struct image {
	struct image_node *nodes;
	size_t n_nodes;
	size_t capacity;
	size_t n_hardlink_groups;
	bool secret; /* it holds a key file: written 0600 */
};

/* Adds the paths a manifest entry asks for (not MANIFEST_MODULE, MANIFEST_BINARY or MANIFEST_HOSTONLY, which
 * need resolving first). Returns 0, -EINVAL for those, or -ENOMEM. */
int image_add_entry(struct image *img, const struct manifest_entry *entry);

/* Adds a regular file copied from SOURCE. Returns 0 or -ENOMEM. */
int image_add_file(struct image *img, const char *path, const char *source, unsigned int mode,
		   enum image_part part, const char *origin);

/* Adds a symbolic link to TARGET. Returns 0 or -ENOMEM. */
int image_add_symlink(struct image *img, const char *path, const char *target, enum image_part part,
		      const char *origin);

/* Adds a regular file holding LEN bytes of DATA. Returns 0 or -ENOMEM. */
int image_add_data(struct image *img, const char *path, const char *data, size_t len,
		   unsigned int mode, enum image_part part, const char *origin);

/* Sorts the paths (each folder before what it holds), merges identical duplicates, adds missing parent folders
 * (0755 0 0), measures the files to copy and numbers the inodes. Returns 0, or -EINVAL (conflicting entries,
 * a parent that is not a folder), -ENOENT or another -errno (a file to copy), with ERR filled in, or -ENOMEM. */
int image_finalize(struct image *img, char *err, size_t err_size);

void image_free(struct image *img);

/* "nod 0600 0 0 c 5 1": a node as a manifest line would say it, for messages. */
void image_node_describe(const struct image_node *node, char *buf, size_t size);

/* Compares image paths so that a folder sorts right before its contents ("a" < "a/b" < "a-b"). */
int image_path_compare(const char *a, const char *b);
