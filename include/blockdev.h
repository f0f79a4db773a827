/* Block devices: what libblkid and sysfs say about each one, and the table of those seen during this
 * boot, which is the graph the root is matched on (each device knows the devices it is made of). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define DEVICES_MAX 256
#define DEVICE_LOWER_MAX 8

struct devnum {
	unsigned major, minor;
};

struct blockdev {
	char name[32]; /* kernel name: vda1 */
	unsigned major, minor;
	unsigned long long size_bytes;
	int partno;			 /* 0 for a whole disk */
	unsigned disk_major, disk_minor; /* the whole disk a partition belongs to */
	char type[32];
	char uuid[64];
	char label[256];
	char partuuid[64];
	char partlabel[256];
	char dm_name[128]; /* device-mapper name, from sysfs dm/name */
	char md_name[64];  /* an md array's name, from its members' superblocks */
	/* What it is made of (sysfs slaves/): the members of a dm or md device. */
	struct devnum lower[DEVICE_LOWER_MAX];
	size_t n_lower;
};

struct devices {
	struct blockdev list[DEVICES_MAX];
	size_t count;
	unsigned dropped; /* devices that appeared when the table was full */
};

/* Fills dev (name, major, minor already set by the caller) from sysfs and libblkid.
 * Returns 0 or -errno (-ENOMEDIUM for an empty drive). */
int blockdev_probe(struct blockdev *dev);

/* Whether a and b are the same device with the same identity (names, size, what it holds, what
 * it is made of): a "change" uevent that changed nothing. */
bool blockdev_same(const struct blockdev *a, const struct blockdev *b);

/* Whether something is built on the block device whose sysfs folder is dir (/sys/dev/block/MAJ:MIN,
 * /sys/block/NAME): its holders/ names an md array or a device-mapper device it is part of. */
bool blockdev_held(const char *dir);
/* The entry with that number, or NULL. */
const struct blockdev *devices_find(const struct devices *devices, unsigned major, unsigned minor);
/* Adds dev, or replaces the entry with the same major:minor. Returns the stored entry, or NULL
 * (and counts it in dropped) when the table is full. */
struct blockdev *devices_add(struct devices *devices, const struct blockdev *dev);
/* Forgets the device with that number: it was removed. */
void devices_remove(struct devices *devices, unsigned major, unsigned minor);
