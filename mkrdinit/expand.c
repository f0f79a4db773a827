/* expand: a compressed kernel module file read back as the module it holds, with libarchive's decoders (the
 * same that write the image), so that the image carries the module as the kernel loads it. Why: the kernel
 * or /init would otherwise decompress it at every boot, while the boot waits for it (Debian 13's base,
 * virtio and ext4 modules: 230 ms under TCG), and the image is compressed as a whole anyway. */
#include "expand.h"
#include "refusal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t expand_suffix_len(const char *relpath)
{
	/* /init's table of module file names: "" a plain .ko, NULL no module at all. */
	const char *compression = module_file_compression(relpath);
	return compression && *compression ? strlen(strrchr(relpath, '.')) : 0;
}

/* The module's bytes, whatever their length: doubling the buffer as it fills. */
static int read_all(struct archive *a, char **data, size_t *len)
{
	size_t capacity = 1 << 20, used = 0;
	char *buf = malloc(capacity);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (used == capacity) {
			char *bigger = realloc(buf, capacity * 2);
			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
			capacity *= 2;
		}
		la_ssize_t n = archive_read_data(a, buf + used, capacity - used);
		if (n < 0) {
			free(buf);
			return -EIO;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	*data = buf;
	*len = used;
	return 0;
}

int expand_module(const char *path, char **data, size_t *len, char *err, size_t err_size)
{
	struct archive *a = archive_read_new();
	if (!a)
		return -ENOMEM;
	int r = 0;
	struct archive_entry *entry;
	/* ARCHIVE_WARN: a decoder through an outside program (a libarchive built without the library). */
	if (archive_read_support_filter_xz(a) < ARCHIVE_WARN ||
	    archive_read_support_filter_zstd(a) < ARCHIVE_WARN ||
	    archive_read_support_filter_gzip(a) < ARCHIVE_WARN ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK ||
	    archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(a, &entry) != ARCHIVE_OK) {
		r = archive_errno(a) > 0 ? -archive_errno(a) : -EIO;
		(void)snprintf(err, err_size, "unable to decompress module %s: %s", path,
			       archive_error_string(a) ? archive_error_string(a) : strerror(-r));
	} else if (archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE) {
		/* The raw reader takes any file: one named .ko.xz that is no xz is bad input, said. */
		r = -EINVAL;
		(void)snprintf(err, err_size,
			       "unable to decompress module %s: it is not xz, zstd or gzip data",
			       path);
	} else if ((r = read_all(a, data, len)) < 0) {
		(void)snprintf(err, err_size, "unable to decompress module %s: %s", path,
			       r == -EIO && archive_error_string(a) ? archive_error_string(a)
								    : strerror(-r));
	}
	archive_read_free(a);
	return r;
}
