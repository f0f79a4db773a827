/* list: writes an image as the kernel's usr/gen_init_cpio list, for CONFIG_INITRAMFS_SOURCE. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image.h"

/* Writes one gen_init_cpio line per node of IMG (finalized), in archive order, to FD: a hard-linked file once,
 * with its other names as <hard links>; every file's location an absolute path. Files that mkrdinit generated
 * (module indexes, the kernel-version note) are first written under DATA_DIR (created as needed) at their path
 * in the image, and the list names them there; each is created anew (O_EXCL, O_NOFOLLOW: a file of an earlier
 * run is replaced), and a symbolic link at it or on its way below DATA_DIR is refused (-ELOOP). DATA_DIR may be
 * NULL when there are none. *BYTES gets the length of the list. Returns 0, or -EINVAL (a name with a blank, a
 * newline or "${", which the format cannot carry; DATA_DIR needed but NULL) or another -errno, with ERR filled in. */
int list_write(const struct image *img, const char *data_dir, int fd, uint64_t *bytes, char *err,
	       size_t err_size);

/* Whether IMG has files that list_write() must write out, and so needs a DATA_DIR. */
bool list_needs_data_dir(const struct image *img);
