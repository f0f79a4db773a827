/* Probing block devices with libblkid, and the list of those seen during this boot. */
#pragma once
#include <stddef.h>
#include "rootspec.h"

/* Fills dev (name, major, minor already set by the caller) from sysfs and libblkid.
 * Returns 0 or -errno (-ENOMEDIUM for an empty drive). */
int blockdev_probe(struct blockdev *dev);

/* The devices seen, for root matching and for the emergency screen. Adding a device
 * already present (same major:minor) replaces it. Returns the stored entry, or NULL when
 * the table is full. */
const struct blockdev *blockdevs_remember(const struct blockdev *dev);
const struct blockdev *blockdevs_seen(size_t *count);
