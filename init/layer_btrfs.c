/* The btrfs layer: every member of a btrfs filesystem is registered with the kernel
 * (BTRFS_IOC_SCAN_DEV on /dev/btrfs-control), so that a filesystem over several devices can be
 * mounted from any of them; its root counts as found only once the kernel says every device is
 * there (BTRFS_IOC_DEVICES_READY), or when the wait is over and rootflags= says degraded. */
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "sys.h"

#define BTRFS_CONTROL "/dev/btrfs-control"

static int btrfs_ioctl(unsigned long request, const char *name)
{
	int fd = sys_open(BTRFS_CONTROL, O_RDWR, 0);
	if (fd < 0)
		return fd;
	struct btrfs_ioctl_vol_args args = { .fd = 0 };
	(void)snprintf(args.name, sizeof(args.name), "%s", name);
	int r = ioctl(fd, request, &args);
	int e = errno;
	(void)close(fd);
	return r < 0 ? -e : r;
}

int btrfs_scan(struct boot *boot, struct layer_state *state, const char *program)
{
	(void)program;
	unsigned scanned = 0;
	int result = 0;
	for (size_t i = 0; i < boot->devices.count; i++) {
		const struct blockdev *dev = &boot->devices.list[i];
		if (strcmp(dev->type, "btrfs") != 0)
			continue;
		char device[64];
		(void)snprintf(device, sizeof(device), "/dev/%s", dev->name);
		/* Scanning a device again is harmless and cheap: no list of those done. */
		int r = btrfs_ioctl(BTRFS_IOC_SCAN_DEV, device);
		if (r < 0) {
			(void)snprintf(state->note, sizeof(state->note),
				       "unable to register %s: %s", device, strerror(-r));
			result = -EAGAIN;
		} else {
			scanned++;
		}
	}
	if (result == 0)
		(void)snprintf(state->note, sizeof(state->note), "%u member(s) registered",
			       scanned);
	return result;
}

bool btrfs_complete(const struct blockdev *root)
{
	char device[64];
	(void)snprintf(device, sizeof(device), "/dev/%s", root->name);
	/* 0: every device of the filesystem is known; 1: some are missing. */
	return btrfs_ioctl(BTRFS_IOC_DEVICES_READY, device) == 0;
}
