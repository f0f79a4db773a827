/* What the shutdown program (/run/initramfs/shutdown, which systemd execs at the end of a shutdown)
 * undoes of the boot: the mounts of the old root, then the device-mapper and md devices under them. */
#pragma once
#include <stddef.h>

struct teardown_report {
	unsigned unmounted, remounted_ro, busy; /* mounts: gone, read-only, neither */
	char kept[256]; /* the mount points not unmounted, the first that fit */
	unsigned dm_removed, md_stopped, left; /* block devices: removed, stopped, still there */
};

/* Copies the running program (/proc/self/exe) to dir/shutdown (0755) and makes dir's dev, proc, sys,
 * run and oldroot, which systemd's switch back into dir needs. Returns 0 or -errno. */
int teardown_install(const char *dir);

/* Unmounts every mount at top or below it, the deepest first; one that stays busy is remounted
 * read-only, then detached. Returns 0, or -errno when /proc/self/mountinfo cannot be read. */
int teardown_unmount_below(const char *top, struct teardown_report *report);

/* Removes every device-mapper device and stops every md array that nothing holds, over and again
 * until none is left or a round changes nothing (a LUKS on an LV on md comes apart in three).
 * Returns 0, or -errno when /sys/block cannot be read. */
int teardown_block_devices(struct teardown_report *report);
