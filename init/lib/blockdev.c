/* What is on a block device, asked of libblkid and sysfs; and the table of the devices seen. */
#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blockdev.h"
#include "sys.h"

static void copy_tag(blkid_probe probe, const char *tag, char *dst, size_t size)
{
	const char *value;
	size_t len;
	if (blkid_probe_lookup_value(probe, tag, &value, &len) != 0 || !value)
		return;
	(void)snprintf(dst, size, "%s", value);
}

/* What the device is made of: each entry of its slaves/ folder is a block device's name. */
static void read_lower_devices(struct blockdev *dev)
{
	char path[96], buf[32];
	(void)snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/slaves", dev->major, dev->minor);
	DIR *dir = opendir(path);
	if (!dir)
		return;
	struct dirent *entry;
	while ((entry = readdir(dir)) && dev->n_lower < DEVICE_LOWER_MAX) {
		char dev_path[128 + 256];
		if (entry->d_name[0] == '.')
			continue;
		(void)snprintf(dev_path, sizeof(dev_path), "/sys/class/block/%s/dev",
			       entry->d_name);
		struct devnum *lower = &dev->lower[dev->n_lower];
		if (sys_read_file(dev_path, buf, sizeof(buf)) > 0 &&
		    sscanf(buf, "%u:%u", &lower->major, &lower->minor) == 2)
			dev->n_lower++;
	}
	(void)closedir(dir);
}

static void read_sysfs_geometry(struct blockdev *dev)
{
	char path[96], buf[64];
	(void)snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/size", dev->major, dev->minor);
	if (sys_read_file(path, buf, sizeof(buf)) > 0)
		dev->size_bytes = strtoull(buf, NULL, 10) * 512u;
	(void)snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", dev->major,
		       dev->minor);
	dev->partno = sys_read_file(path, buf, sizeof(buf)) > 0 ? atoi(buf) : 0;
	dev->disk_major = dev->major;
	dev->disk_minor = dev->minor;
	(void)snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/dm/name", dev->major, dev->minor);
	if (sys_read_file(path, dev->dm_name, sizeof(dev->dm_name)) > 0)
		dev->dm_name[strcspn(dev->dm_name, "\n")] = '\0';
	read_lower_devices(dev);
	if (dev->partno > 0) {
		/* A partition's sysfs folder sits inside its disk's. */
		(void)snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev", dev->major,
			       dev->minor);
		if (sys_read_file(path, buf, sizeof(buf)) > 0)
			(void)sscanf(buf, "%u:%u", &dev->disk_major, &dev->disk_minor);
	}
}

int blockdev_probe(struct blockdev *dev)
{
	char node[64];
	(void)snprintf(node, sizeof(node), "/dev/%s", dev->name);
	read_sysfs_geometry(dev);

	int fd = sys_open(node, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	blkid_probe probe = blkid_new_probe();
	if (!probe) {
		(void)close(fd);
		return -ENOMEM;
	}
	int r = blkid_probe_set_device(probe, fd, 0, 0);
	if (r == 0) {
		blkid_probe_enable_superblocks(probe, 1);
		blkid_probe_set_superblocks_flags(
			probe, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL);
		blkid_probe_enable_partitions(probe, 1);
		blkid_probe_set_partitions_flags(probe, BLKID_PARTS_ENTRY_DETAILS);
		/* 1 means nothing found, -2 means two signatures disagree: both leave TYPE empty. */
		r = blkid_do_safeprobe(probe);
		if (r == 0) {
			copy_tag(probe, "TYPE", dev->type, sizeof(dev->type));
			copy_tag(probe, "UUID", dev->uuid, sizeof(dev->uuid));
			copy_tag(probe, "LABEL", dev->label, sizeof(dev->label));
			copy_tag(probe, "PART_ENTRY_UUID", dev->partuuid, sizeof(dev->partuuid));
			copy_tag(probe, "PART_ENTRY_NAME", dev->partlabel, sizeof(dev->partlabel));
		}
		r = r < 0 && r != -2 ? -EIO : 0;
	} else {
		r = errno ? -errno : -EIO;
	}
	blkid_free_probe(probe);
	(void)close(fd);
	return r;
}

bool blockdev_same(const struct blockdev *a, const struct blockdev *b)
{
	return a->major == b->major && a->minor == b->minor && strcmp(a->name, b->name) == 0 &&
		a->size_bytes == b->size_bytes && a->partno == b->partno &&
		strcmp(a->type, b->type) == 0 && strcmp(a->uuid, b->uuid) == 0 &&
		strcmp(a->label, b->label) == 0 && strcmp(a->partuuid, b->partuuid) == 0 &&
		strcmp(a->partlabel, b->partlabel) == 0 && strcmp(a->dm_name, b->dm_name) == 0 &&
		strcmp(a->md_name, b->md_name) == 0 && a->n_lower == b->n_lower &&
		memcmp(a->lower, b->lower, a->n_lower * sizeof(a->lower[0])) == 0;
}

const struct blockdev *devices_find(const struct devices *devices, unsigned major, unsigned minor)
{
	for (size_t i = 0; i < devices->count; i++)
		if (devices->list[i].major == major && devices->list[i].minor == minor)
			return &devices->list[i];
	return NULL;
}

struct blockdev *devices_add(struct devices *devices, const struct blockdev *dev)
{
	for (size_t i = 0; i < devices->count; i++) {
		if (devices->list[i].major == dev->major && devices->list[i].minor == dev->minor) {
			devices->list[i] = *dev;
			return &devices->list[i];
		}
	}
	if (devices->count == DEVICES_MAX) {
		devices->dropped++;
		return NULL;
	}
	devices->list[devices->count] = *dev;
	return &devices->list[devices->count++];
}

void devices_remove(struct devices *devices, unsigned major, unsigned minor)
{
	for (size_t i = 0; i < devices->count; i++) {
		if (devices->list[i].major == major && devices->list[i].minor == minor) {
			memmove(&devices->list[i], &devices->list[i + 1],
				(devices->count - i - 1) * sizeof(devices->list[0]));
			devices->count--;
			return;
		}
	}
}

bool blockdev_held(const char *dir)
{
	char path[320];
	(void)snprintf(path, sizeof(path), "%s/holders", dir);
	DIR *holders = opendir(path);
	if (!holders)
		return false;
	struct dirent *entry;
	bool held = false;
	while (!held && (entry = readdir(holders)))
		held = entry->d_name[0] != '.';
	(void)closedir(holders);
	return held;
}
