/* The udev database entries a udev-less initramfs owes the real system for the device-mapper devices
 * it made: without them the real root's udev ignores them at coldplug, and systemd waits in vain for
 * their device units (a swap LV beside the root, say). */
#pragma once

struct udevdb_report {
	unsigned entries; /* database entries written */
	unsigned links;	  /* /dev/mapper nodes turned into links */
};

/* For each dm-N in sys_block (/sys/block):
 *  - writes data_dir/bMAJ:MIN (data_dir: /run/udev/data, made when missing) holding
 *    "E:DM_UDEV_PRIMARY_SOURCE_FLAG=1", as udev's database would after libdevmapper's own uevent:
 *    lvm2's 55-dm.rules (10-dm.rules) then treat the coldplug "add" as a device ready for use, not as
 *    one still being set up; an entry already there is left as it is;
 *  - replaces mapper_dir/NAME (NAME from dm/name), when it is the device node libdevmapper made
 *    without udev, by the link udev makes, "../dm-N": udev does not replace a node with its link
 *    ("File exists"). A link, or a node of another device, is left alone.
 * Returns 0 or -errno (sys_block unreadable, data_dir or mapper_dir not writable). */
int udevdb_hand_over_dm(const char *sys_block, const char *data_dir, const char *mapper_dir,
			struct udevdb_report *report);
