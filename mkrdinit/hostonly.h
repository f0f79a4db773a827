/* hostonly: which modules the running machine needs to reach its root filesystem, read from sysfs. */
#pragma once

#include <stddef.h>

struct hostonly_item {
	char *name; /* a module name (a bound driver's module) or an alias (a modalias, "fs-ext4", "md-raid1") */
	char *origin; /* where it was read, e.g. "/sys/devices/pci0000:00/0000:00:1f.2/driver/module" */
};

struct hostonly_set {
	struct hostonly_item *items;
	size_t n_items;
	size_t capacity;
	char *root_device; /* "/sys/devices/.../block/sda/sda2", the device holding '/' */
	char *fstype;	   /* "ext4" */
	char **crypt_names; /* the dm names of the dm-crypt devices under '/': its crypttab's lines */
	size_t n_crypt_names, crypt_capacity;
	char **md_names; /* the kernel names of the md arrays under '/' (md127): its mdadm.conf's lines */
	size_t n_md_names, md_capacity;
	char **keyboards; /* hostonly_add_keyboards(): each keyboard's input device in SYSFS/devices */
	size_t n_keyboards, keyboard_capacity;
};

/* Finds the filesystem mounted on '/' in MOUNTINFO (a file in /proc/PID/mountinfo's format; the last '/' line
 * wins, as it hides the others), its block device by MAJ:MIN (for a filesystem with an anonymous device number,
 * such as btrfs, the device named as its source), and from SYSFS (where sysfs is mounted, normally /sys):
 *   - the device and each folder above it up to SYSFS/devices: its driver's module (driver/module) and its
 *     modalias (what udev would load for it), so partition, disk, controller and bus are covered;
 *   - a device-mapper device (dm/): "dm-mod", "dm-crypt" for a CRYPT- uuid (whose dm/name goes in crypt_names),
 *     then each of its slaves/, in turn;
 *   - an md array (md/level): "md-LEVEL" (the personality's alias, e.g. md-raid1; its kernel name goes in
 *     md_names), then each of its slaves/;
 *   - "fs-TYPE" for the filesystem.
 * Each name once, in the order found. Returns 0, or -ENODEV ('/' is on no block device: tmpfs, overlay, NFS),
 * -ENOENT or another -errno, with ERR filled in. */
int hostonly_detect(const char *sysfs, const char *mountinfo, struct hostonly_set *out, char *err,
		    size_t err_size);

/* Adds what the device MAJOR:MINOR needs, as for '/' (its drivers, dm and md layers, crypt and md names): the
 * resume swap. Returns 0 or -errno with ERR filled in. */
int hostonly_add_device(const char *sysfs, unsigned major, unsigned minor, struct hostonly_set *out,
			char *err, size_t err_size);

/* Adds what each keyboard of the machine needs: SYSFS/class/input's devices whose keys include a keyboard's
 * first row (KEY_ESC to KEY_D, as udev's input_id tells a keyboard from a power button), each folder above the
 * input device up to SYSFS/devices as for '/' (the HID driver, usbhid, the USB host controller; atkbd and i8042
 * for PS/2). The input device goes in KEYBOARDS. No SYSFS/class/input is no keyboard. Returns 0 or -errno with
 * ERR filled in. */
int hostonly_add_keyboards(const char *sysfs, struct hostonly_set *out, char *err, size_t err_size);

void hostonly_set_free(struct hostonly_set *set);
