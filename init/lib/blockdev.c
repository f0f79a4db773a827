/* What is on a block device, asked of libblkid; and the table of devices seen this boot. */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blockdev.h"
#include "sys.h"

#define BLOCKDEVS_MAX 256

static struct blockdev seen[BLOCKDEVS_MAX];
static size_t seen_count;

static void copy_tag(blkid_probe probe, const char *tag, char *dst, size_t size)
{
	const char *value;
	size_t len;
	if (blkid_probe_lookup_value(probe, tag, &value, &len) != 0 || !value)
		return;
	(void)snprintf(dst, size, "%s", value);
}

static void read_sysfs_geometry(struct blockdev *dev)
{
	char path[96], buf[64];
	(void)snprintf(path, sizeof path, "/sys/dev/block/%u:%u/size", dev->major, dev->minor);
	if (sys_read_file(path, buf, sizeof buf) > 0)
		dev->size_bytes = strtoull(buf, NULL, 10) * 512u;
	(void)snprintf(path, sizeof path, "/sys/dev/block/%u:%u/partition", dev->major, dev->minor);
	dev->partno = sys_read_file(path, buf, sizeof buf) > 0 ? atoi(buf) : 0;
	dev->disk_major = dev->major;
	dev->disk_minor = dev->minor;
	(void)snprintf(path, sizeof path, "/sys/dev/block/%u:%u/dm/name", dev->major, dev->minor);
	if (sys_read_file(path, dev->dm_name, sizeof dev->dm_name) > 0)
		dev->dm_name[strcspn(dev->dm_name, "\n")] = '\0';
	if (dev->partno > 0) {
		/* A partition's sysfs folder sits inside its disk's. */
		(void)snprintf(path, sizeof path, "/sys/dev/block/%u:%u/../dev", dev->major, dev->minor);
		if (sys_read_file(path, buf, sizeof buf) > 0)
			(void)sscanf(buf, "%u:%u", &dev->disk_major, &dev->disk_minor);
	}
}

int blockdev_probe(struct blockdev *dev)
{
	char node[64];
	(void)snprintf(node, sizeof node, "/dev/%s", dev->name);
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
		blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
							 BLKID_SUBLKS_LABEL);
		blkid_probe_enable_partitions(probe, 1);
		blkid_probe_set_partitions_flags(probe, BLKID_PARTS_ENTRY_DETAILS);
		/* 1 means nothing found, -2 means two signatures disagree: both leave TYPE empty. */
		r = blkid_do_safeprobe(probe);
		if (r == 0) {
			copy_tag(probe, "TYPE", dev->type, sizeof dev->type);
			copy_tag(probe, "UUID", dev->uuid, sizeof dev->uuid);
			copy_tag(probe, "LABEL", dev->label, sizeof dev->label);
			copy_tag(probe, "PART_ENTRY_UUID", dev->partuuid, sizeof dev->partuuid);
			copy_tag(probe, "PART_ENTRY_NAME", dev->partlabel, sizeof dev->partlabel);
		}
		r = r < 0 && r != -2 ? -EIO : 0;
	} else {
		r = errno ? -errno : -EIO;
	}
	blkid_free_probe(probe);
	(void)close(fd);
	return r;
}

const struct blockdev *blockdevs_remember(const struct blockdev *dev)
{
	for (size_t i = 0; i < seen_count; i++) {
		if (seen[i].major == dev->major && seen[i].minor == dev->minor) {
			seen[i] = *dev;
			return &seen[i];
		}
	}
	if (seen_count == BLOCKDEVS_MAX)
		return NULL;
	seen[seen_count] = *dev;
	return &seen[seen_count++];
}

const struct blockdev *blockdevs_seen(size_t *count)
{
	*count = seen_count;
	return seen;
}
