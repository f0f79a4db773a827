/* newc: writes an image as the kernel's initramfs format, a "newc" cpio archive, with libarchive. */
#include "newc.h"
#include "fileio.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <lz4hc.h>
#include <lzma.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const compression_names[] = {
	[COMPRESSION_NONE] = "none", [COMPRESSION_GZIP] = "gzip", [COMPRESSION_ZSTD] = "zstd",
	[COMPRESSION_XZ] = "xz",     [COMPRESSION_LZ4] = "lz4",
};

int compression_from_name(const char *name, enum compression *out)
{
	for (size_t i = 0; i < sizeof(compression_names) / sizeof(compression_names[0]); i++)
		if (strcmp(name, compression_names[i]) == 0) {
			*out = (enum compression)i;
			return 0;
		}
	return -EINVAL;
}

const char *compression_name(enum compression compression)
{
	return compression_names[compression];
}

/* The kernel's lz4 decompressor (lib/decompress_unlz4.c) reads only the legacy format of `lz4 -l`: a magic number,
 * then blocks of at most 8 MiB of input, each a 32-bit little-endian compressed length and a raw LZ4 block. */
#define LZ4_LEGACY_MAGIC 0x184C2102u
#define LZ4_LEGACY_BLOCK (8u << 20)

/* Where libarchive's output goes. For xz and lz4 it passes through our own encoder. libarchive's xz filter always
 * writes a CRC64 check, and the kernel's xz decoder accepts only CRC32 or none (lib/xz/xz_dec_stream.c;
 * scripts/xz_wrap.sh uses --check=crc32 for that reason), so such an image would not unpack; libarchive's lz4
 * filter writes the lz4 frame format, which the kernel does not read. */
struct output {
	int fd;
	enum compression
		encoder; /* COMPRESSION_XZ, COMPRESSION_LZ4, or COMPRESSION_NONE to pass through */
	lzma_stream stream;
	char *lz4_in;  /* LZ4_LEGACY_BLOCK bytes being gathered */
	char *lz4_out; /* room for one compressed block */
	size_t lz4_fill;
	uint64_t in_bytes;
	uint64_t out_bytes;
	uint8_t buffer[65536];
};

static int xz_run(struct archive *a, struct output *out, lzma_action action)
{
	for (;;) {
		out->stream.next_out = out->buffer;
		out->stream.avail_out = sizeof(out->buffer);
		lzma_ret ret = lzma_code(&out->stream, action);
		size_t produced = sizeof(out->buffer) - out->stream.avail_out;
		int r = write_all(out->fd, out->buffer, produced);
		if (r < 0) {
			archive_set_error(a, -r, "unable to write: %s", strerror(-r));
			return -1;
		}
		out->out_bytes += produced;
		if (ret == LZMA_STREAM_END)
			return 0;
		if (ret != LZMA_OK) {
			archive_set_error(a, ret == LZMA_MEM_ERROR ? ENOMEM : EIO,
					  "xz compression failed (liblzma error %d)", (int)ret);
			return -1;
		}
		if (action == LZMA_RUN && out->stream.avail_in == 0)
			return 0;
	}
}

/* Compresses the gathered input as one legacy block, at LZ4HC's highest level, as the kernel's own
 * `lz4 -l -12` for CONFIG_INITRAMFS_COMPRESSION_LZ4. */
static int lz4_flush(struct archive *a, struct output *out)
{
	if (out->lz4_fill == 0)
		return 0;
	int bound = LZ4_compressBound((int)LZ4_LEGACY_BLOCK);
	int n = LZ4_compress_HC(out->lz4_in, out->lz4_out, (int)out->lz4_fill, bound,
				LZ4HC_CLEVEL_MAX);
	if (n <= 0) {
		archive_set_error(a, EIO, "lz4 compression failed");
		return -1;
	}
	uint8_t length[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16),
			      (uint8_t)(n >> 24) };
	int r = write_all(out->fd, length, sizeof(length));
	if (r == 0)
		r = write_all(out->fd, out->lz4_out, (size_t)n);
	if (r < 0) {
		archive_set_error(a, -r, "unable to write: %s", strerror(-r));
		return -1;
	}
	out->out_bytes += sizeof(length) + (uint64_t)n;
	out->lz4_fill = 0;
	return 0;
}

static int lz4_write(struct archive *a, struct output *out, const char *data, size_t len)
{
	while (len > 0) {
		size_t n = LZ4_LEGACY_BLOCK - out->lz4_fill;
		if (n > len)
			n = len;
		memcpy(out->lz4_in + out->lz4_fill, data, n);
		out->lz4_fill += n;
		data += n;
		len -= n;
		if (out->lz4_fill == LZ4_LEGACY_BLOCK && lz4_flush(a, out) < 0)
			return -1;
	}
	return 0;
}

static int output_open(struct archive *a, void *data)
{
	struct output *out = data;
	if (out->encoder == COMPRESSION_LZ4) {
		out->lz4_in = malloc(LZ4_LEGACY_BLOCK);
		out->lz4_out = malloc((size_t)LZ4_compressBound((int)LZ4_LEGACY_BLOCK));
		if (!out->lz4_in || !out->lz4_out) {
			archive_set_error(a, ENOMEM, "unable to start the lz4 encoder");
			return ARCHIVE_FATAL;
		}
		static const uint8_t magic[4] = { LZ4_LEGACY_MAGIC & 0xff,
						  (LZ4_LEGACY_MAGIC >> 8) & 0xff,
						  (LZ4_LEGACY_MAGIC >> 16) & 0xff,
						  LZ4_LEGACY_MAGIC >> 24 };
		int r = write_all(out->fd, magic, sizeof(magic));
		if (r < 0) {
			archive_set_error(a, -r, "unable to write: %s", strerror(-r));
			return ARCHIVE_FATAL;
		}
		out->out_bytes += sizeof(magic);
		return ARCHIVE_OK;
	}
	if (out->encoder != COMPRESSION_XZ)
		return ARCHIVE_OK;
	out->stream = (lzma_stream)LZMA_STREAM_INIT;
	if (lzma_easy_encoder(&out->stream, 6, LZMA_CHECK_CRC32) != LZMA_OK) {
		archive_set_error(a, ENOMEM, "unable to start the xz encoder");
		return ARCHIVE_FATAL;
	}
	return ARCHIVE_OK;
}

static la_ssize_t output_write(struct archive *a, void *data, const void *buffer, size_t len)
{
	struct output *out = data;
	out->in_bytes += len;
	if (out->encoder == COMPRESSION_LZ4)
		return lz4_write(a, out, buffer, len) < 0 ? -1 : (la_ssize_t)len;
	if (out->encoder == COMPRESSION_XZ) {
		out->stream.next_in = buffer;
		out->stream.avail_in = len;
		return xz_run(a, out, LZMA_RUN) < 0 ? -1 : (la_ssize_t)len;
	}
	int r = write_all(out->fd, buffer, len);
	if (r < 0) {
		archive_set_error(a, -r, "unable to write: %s", strerror(-r));
		return -1;
	}
	out->out_bytes += len;
	return (la_ssize_t)len;
}

static int output_close(struct archive *a, void *data)
{
	struct output *out = data;
	if (out->encoder == COMPRESSION_LZ4)
		return lz4_flush(a, out) < 0 ? ARCHIVE_FATAL : ARCHIVE_OK;
	if (out->encoder != COMPRESSION_XZ)
		return ARCHIVE_OK;
	out->stream.next_in = NULL;
	out->stream.avail_in = 0;
	int r = xz_run(a, out, LZMA_FINISH);
	lzma_end(&out->stream);
	return r < 0 ? ARCHIVE_FATAL : ARCHIVE_OK;
}

/* zstd's level: 9 makes the generic image (33 MB of cpio) in 0.45 s on two cores, 11% larger than
 * 19, which takes 14 s; the kernel's decompression time hardly depends on it (qemu/bench). */
#define ZSTD_LEVEL "9"

/* zstd's workers, one per CPU: its output is the same for any number of workers from 1 up (0, the
 * single-threaded mode, would give other bytes), so the image does not depend on the machine. */
static int set_zstd_threads(struct archive *a)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char threads[16];
	(void)snprintf(threads, sizeof(threads), "%ld", cpus < 1 ? 1 : cpus > 64 ? 64 : cpus);
	int r = archive_write_set_filter_option(a, "zstd", "threads", threads);
	/* An external zstd program (ARCHIVE_WARN at add) takes no such option: single-threaded. */
	return r == ARCHIVE_WARN ? ARCHIVE_OK : r;
}

static int set_filter(struct archive *a, enum compression compression)
{
	switch (compression) {
	case COMPRESSION_NONE:
	case COMPRESSION_XZ:
	case COMPRESSION_LZ4:
		return archive_write_add_filter_none(a);
	case COMPRESSION_GZIP:
		if (archive_write_add_filter_gzip(a) < ARCHIVE_WARN)
			return ARCHIVE_FATAL;
		/* gzip's header holds the time of compression unless told not to; the image must not depend on it. */
		if (archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK)
			return ARCHIVE_FATAL;
		return archive_write_set_filter_option(a, "gzip", "compression-level", "9");
	case COMPRESSION_ZSTD:
		/* ARCHIVE_WARN: libarchive runs an external zstd instead of libzstd, which is as good. */
		if (archive_write_add_filter_zstd(a) < ARCHIVE_WARN)
			return ARCHIVE_FATAL;
		if (archive_write_set_filter_option(a, "zstd", "compression-level", ZSTD_LEVEL) !=
		    ARCHIVE_OK)
			return ARCHIVE_FATAL;
		return set_zstd_threads(a);
	}
	return ARCHIVE_FATAL;
}

static unsigned int file_type(enum image_kind kind)
{
	switch (kind) {
	case IMAGE_FILE:
		return AE_IFREG;
	case IMAGE_DIR:
		return AE_IFDIR;
	case IMAGE_NOD_BLOCK:
		return AE_IFBLK;
	case IMAGE_NOD_CHAR:
		return AE_IFCHR;
	case IMAGE_SLINK:
		return AE_IFLNK;
	case IMAGE_PIPE:
		return AE_IFIFO;
	case IMAGE_SOCK:
		return AE_IFSOCK;
	}
	return 0;
}

/* Copies exactly node->size bytes of node->source: the size went into the header already, so a file that changed
 * since image_finalize() measured it must stop the build rather than corrupt the archive. */
static int copy_source(struct archive *a, const struct image_node *node, char *err, size_t err_size)
{
	int fd = open(node->source, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		(void)snprintf(err, err_size, "unable to open %s: %s", node->source, strerror(-r));
		return r;
	}

	int r = 0;
	uint64_t left = node->size;
	char buffer[65536];
	for (;;) {
		ssize_t n = read(fd, buffer, sizeof(buffer));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			(void)snprintf(err, err_size, "unable to read %s: %s", node->source,
				       strerror(-r));
			break;
		}
		if ((uint64_t)n > left) {
			r = -EAGAIN;
			(void)snprintf(err, err_size,
				       "unable to copy %s: it grew while the image was built",
				       node->source);
			break;
		}
		if (n == 0) {
			if (left) {
				r = -EAGAIN;
				(void)snprintf(
					err, err_size,
					"unable to copy %s: it shrank while the image was built",
					node->source);
			}
			break;
		}
		if (archive_write_data(a, buffer, (size_t)n) != n) {
			r = -(archive_errno(a) > 0 ? archive_errno(a) : EIO);
			(void)snprintf(err, err_size, "unable to write %s into the archive: %s",
				       node->source, archive_error_string(a));
			break;
		}
		left -= (uint64_t)n;
	}
	(void)close(fd);
	return r;
}

static int write_node(struct archive *a, struct archive_entry *entry, const struct image_node *node,
		      int64_t mtime, char *err, size_t err_size)
{
	archive_entry_clear(entry);
	archive_entry_set_pathname(entry, node->path);
	archive_entry_set_mode(entry, file_type(node->kind) | node->mode);
	archive_entry_set_uid(entry, node->uid);
	archive_entry_set_gid(entry, node->gid);
	archive_entry_set_nlink(entry, node->nlink);
	archive_entry_set_ino(entry, node->ino);
	archive_entry_set_mtime(entry, mtime, 0);
	archive_entry_set_rdevmajor(entry, node->rdev_major);
	archive_entry_set_rdevminor(entry, node->rdev_minor);
	/* libarchive wants a size on every entry; a symlink's data is its target. */
	if (node->kind == IMAGE_SLINK)
		archive_entry_set_symlink(entry, node->data);
	archive_entry_set_size(entry,
			       node->kind == IMAGE_FILE && node->carries_data
				       ? (la_int64_t)node->size
				       : node->kind == IMAGE_SLINK ? (la_int64_t)node->data_len
								   : 0);

	if (archive_write_header(a, entry) != ARCHIVE_OK) {
		(void)snprintf(err, err_size, "unable to add '/%s' to the archive: %s", node->path,
			       archive_error_string(a));
		return -(archive_errno(a) > 0 ? archive_errno(a) : EIO);
	}
	if (node->kind != IMAGE_FILE || !node->carries_data)
		return 0;
	if (node->source)
		return copy_source(a, node, err, err_size);
	if (archive_write_data(a, node->data, node->data_len) != (la_ssize_t)node->data_len) {
		(void)snprintf(err, err_size, "unable to add '/%s' to the archive: %s", node->path,
			       archive_error_string(a));
		return -(archive_errno(a) > 0 ? archive_errno(a) : EIO);
	}
	return 0;
}

int newc_write(const struct image *img, int fd, enum compression compression, int64_t mtime,
	       struct newc_stats *stats, char *err, size_t err_size)
{
	struct archive *a = archive_write_new();
	struct archive_entry *entry = archive_entry_new();
	struct output out = {
		.fd = fd,
		.encoder = compression == COMPRESSION_XZ || compression == COMPRESSION_LZ4
			? compression
			: COMPRESSION_NONE,
	};
	int r = 0;

	if (!a || !entry) {
		(void)snprintf(err, err_size, "unable to start libarchive: %s", strerror(ENOMEM));
		r = -ENOMEM;
		goto finish;
	}
	/* No padding of the last block to libarchive's default 10240 bytes: it would only make the image bigger. */
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    set_filter(a, compression) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &out, output_open, output_write, output_close) != ARCHIVE_OK) {
		(void)snprintf(err, err_size, "unable to set up a %s newc archive: %s",
			       compression_name(compression), archive_error_string(a));
		r = -(archive_errno(a) > 0 ? archive_errno(a) : EIO);
		goto finish;
	}

	for (size_t i = 0; i < img->n_nodes && r == 0; i++)
		r = write_node(a, entry, &img->nodes[i], mtime, err, err_size);

	if (r == 0) {
		if (archive_write_close(a) != ARCHIVE_OK) {
			(void)snprintf(err, err_size, "unable to finish the archive: %s",
				       archive_error_string(a));
			r = -(archive_errno(a) > 0 ? archive_errno(a) : EIO);
		}
	}
	if (r == 0) {
		/* Filter 0 is the one nearest the cpio writer: what it was given is the archive before compression. */
		stats->cpio_bytes = out.encoder != COMPRESSION_NONE
			? out.in_bytes
			: (uint64_t)archive_filter_bytes(a, 0);
		stats->output_bytes = out.out_bytes;
	}

finish:
	free(out.lz4_in);
	free(out.lz4_out);
	archive_entry_free(entry);
	if (a)
		(void)archive_write_free(a);
	return r;
}
