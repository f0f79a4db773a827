/* newc: writes an image as the kernel's initramfs format, a "newc" cpio archive, with libarchive. */
#pragma once

#include <stdint.h>

#include "image.h"

enum compression {
	COMPRESSION_NONE,
	COMPRESSION_GZIP,
	COMPRESSION_ZSTD,
	COMPRESSION_XZ,
	COMPRESSION_LZ4,
};

/* "none", "gzip", "zstd", "xz", "lz4". Returns 0 or -EINVAL. */
int compression_from_name(const char *name, enum compression *out);
const char *compression_name(enum compression compression);

struct newc_stats {
	uint64_t cpio_bytes;   /* the archive before compression */
	uint64_t output_bytes; /* what was written to the file */
};

/* Writes IMG (finalized) to FD as a newc cpio archive, compressed as asked, every entry with modification time
 * MTIME. The same image and MTIME give the same bytes. Returns 0 or -errno with ERR filled in. */
int newc_write(const struct image *img, int fd, enum compression compression, int64_t mtime,
	       struct newc_stats *stats, char *err, size_t err_size);
