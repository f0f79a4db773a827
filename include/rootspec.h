/* root=: what the user asked for, and whether a probed block device is it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "blockdev.h"

#define ROOT_SPEC_VALUE_MAX 256

enum root_kind {
	ROOT_BY_DEVNAME,   /* /dev/vda1: value is "vda1" */
	ROOT_BY_UUID,	   /* UUID=, /dev/disk/by-uuid/ */
	ROOT_BY_LABEL,	   /* LABEL=, /dev/disk/by-label/ */
	ROOT_BY_PARTUUID,  /* PARTUUID=[/PARTNROFF=N], /dev/disk/by-partuuid/ */
	ROOT_BY_PARTLABEL, /* PARTLABEL=, /dev/disk/by-partlabel/ */
	ROOT_BY_DEVNUM,	   /* MAJ:MIN or the kernel's hex form */
	ROOT_BY_DM_NAME, /* /dev/mapper/NAME, /dev/VG/LV (as VG-LV): a device-mapper device by its name */
	ROOT_BY_MD_NAME, /* /dev/md/NAME: an md array by the name in its members' superblocks */
};

struct root_spec {
	enum root_kind kind;
	char value[ROOT_SPEC_VALUE_MAX]; /* UUIDs lowercased, by-label escapes decoded */
	unsigned major, minor;		 /* ROOT_BY_DEVNUM */
	int partnroff;			 /* ROOT_BY_PARTUUID's /PARTNROFF=N, else 0 */
};

/* Copies the len bytes of a UUID (hexadecimal and '-') at src to dst (size bytes), lowercased and
 * NUL-terminated. Returns 0, or -EINVAL / -ENAMETOOLONG with *reason. */
int copy_lower_hex(char *dst, size_t size, const char *src, size_t len, const char **reason);

/* Returns 0, or -EINVAL with *reason set to a static explanation. */
int root_spec_parse(const char *text, struct root_spec *spec, const char **reason);

/* Whether dev is the device spec names. PARTNROFF needs the devices seen so far (to find the
 * partition the offset counts from): pass them as known/known_count. */
bool root_spec_matches(const struct root_spec *spec, const struct blockdev *dev,
		       const struct blockdev *known, size_t known_count);

/* Renders spec back as the user would write it, for messages. */
const char *root_spec_kind_name(enum root_kind kind);
