/* Stage: load the root filesystem's module and mount the root device on IMAGE_SYSROOT with
 * libmount, by its device number, as rootfstype=, rootflags= and ro/rw ask; or take the root that
 * the rescue shell's user mounted there by hand. */
#include <errno.h>
#include <stdbool.h>
#include <libmount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "drivers.h"
#include "log.h"
#include "stages.h"

/* fs-TYPE for each type rootfstype= lists, or for the probed one. */
static void load_filesystem_modules(struct boot *boot, const char *fstypes)
{
	char types[CMDLINE_VALUE_MAX], alias[CMDLINE_VALUE_MAX + 8];
	(void)snprintf(types, sizeof(types), "%s", fstypes);
	for (char *save = NULL, *type = strtok_r(types, ",", &save); type;
	     type = strtok_r(NULL, ",", &save)) {
		(void)snprintf(alias, sizeof(alias), "fs-%s", type);
		(void)load_modules(boot, alias);
	}
}

/* Whether something is mounted on IMAGE_SYSROOT already (its device differs from the initramfs'):
 * the root, mounted by hand in the rescue shell. */
static bool mounted_by_hand(dev_t *dev)
{
	struct stat top, sysroot;
	if (stat("/", &top) < 0 || stat(IMAGE_SYSROOT, &sysroot) < 0 ||
	    top.st_dev == sysroot.st_dev)
		return false;
	*dev = sysroot.st_dev;
	return true;
}

/* /dev/block/MAJ:MIN as a node of our own for the device: the mount takes the device that was
 * matched by its number, whatever names in /dev point at by now. */
static int make_node(const struct blockdev *root, char *path, size_t size)
{
	(void)snprintf(path, size, "/dev/block/%u:%u", root->major, root->minor);
	if (mkdir("/dev/block", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	if (mknod(path, S_IFBLK | 0600, makedev(root->major, root->minor)) < 0)
		return -errno;
	return 0;
}

/* Once mounted, the node becomes what udev makes of that name, a link to the kernel's node: the
 * mount's source then names the device in the real system too, and udev finds its own kind of
 * entry there. */
static void node_to_link(const char *path, const struct blockdev *root)
{
	char target[64];
	(void)snprintf(target, sizeof(target), "../%s", root->name);
	if (unlink(path) == 0)
		(void)symlink(target, path);
}

int mount_root(struct boot *boot)
{
	const struct boot_options *opts = &boot->opts;
	const struct blockdev *root = &boot->root;
	dev_t by_hand;
	if (mounted_by_hand(&by_hand)) {
		boot_mark(boot,
			  "root mounted by hand: %u:%u on " IMAGE_SYSROOT ", booting it as it is",
			  major(by_hand), minor(by_hand));
		return 0;
	}
	char name[160], source[64], options[CMDLINE_VALUE_MAX + 8];
	if (root->dm_name[0])
		(void)snprintf(name, sizeof(name), "/dev/mapper/%s", root->dm_name);
	else
		(void)snprintf(name, sizeof(name), "/dev/%s", root->name);
	int r = make_node(root, source, sizeof(source));
	if (r < 0)
		return boot_fail(boot, r, "unable to make %s for %s: %s", source, name,
				 strerror(-r));
	(void)snprintf(options, sizeof(options), "%s%s%s", opts->rootflags,
		       opts->rootflags[0] ? "," : "", opts->read_write ? "rw" : "ro");
	const char *fstype = opts->rootfstype[0] ? opts->rootfstype : root->type;
	load_filesystem_modules(boot, fstype);
	(void)mkdir(IMAGE_SYSROOT, 0755);

	struct libmnt_context *cxt = mnt_new_context();
	if (!cxt)
		return boot_fail(boot, -ENOMEM, "unable to mount %s: out of memory", name);
	/* No /sbin/mount.<type> helpers in an initramfs, and no fstab to consult. */
	(void)mnt_context_disable_helpers(cxt, 1);
	(void)mnt_context_set_optsmode(cxt, MNT_OMODE_IGNORE);
	(void)mnt_context_set_source(cxt, source);
	(void)mnt_context_set_target(cxt, IMAGE_SYSROOT);
	(void)mnt_context_set_options(cxt, options);
	/* libmount tries a comma list of types in order, as mount -t ext4,xfs does. */
	if (*fstype)
		(void)mnt_context_set_fstype(cxt, fstype);

	int rc = mnt_context_mount(cxt);
	if (rc != 0 || mnt_context_get_status(cxt) != 1) {
		char why[512];
		(void)mnt_context_get_excode(cxt, rc, why, sizeof(why));
		r = boot_fail(
			boot, -EIO,
			"unable to mount %s (%u:%u, type %s, options %s) on " IMAGE_SYSROOT ": %s",
			name, root->major, root->minor, *fstype ? fstype : "probed", options, why);
	}
	mnt_free_context(cxt);
	node_to_link(source, root);
	if (r == 0)
		boot_mark(boot, "root mounted: %s (%s) on " IMAGE_SYSROOT " type %s (%s)", source,
			  name, *fstype ? fstype : "?", options);
	return r;
}
