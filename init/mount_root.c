/* Stage: load the root filesystem's module and mount the root device on IMAGE_SYSROOT with
 * libmount, by its device number, as rootfstype=, rootflags= and ro/rw ask; or take the root that
 * the rescue shell's user mounted there by hand. Then /usr, when the new root's fstab or mount.usr=
 * names it: a merged-/usr system's init is there. */
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

/* Whether something is mounted on path already (its device differs from that of parent): the root,
 * or /usr, mounted by hand in the rescue shell. */
static bool mounted_by_hand(const char *path, const char *parent, dev_t *dev)
{
	struct stat above, st;
	if (stat(parent, &above) < 0 || stat(path, &st) < 0 || above.st_dev == st.st_dev)
		return false;
	*dev = st.st_dev;
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

/* Mounts dev on target with libmount, as fstype (a comma list, or "" for what was probed) and
 * options say; what ("root", "/usr") names it in the log. */
static int mount_device(struct boot *boot, const struct blockdev *dev, const char *target,
			const char *fstype, const char *options, const char *what)
{
	char name[160], source[64];
	if (dev->dm_name[0])
		(void)snprintf(name, sizeof(name), "/dev/mapper/%s", dev->dm_name);
	else
		(void)snprintf(name, sizeof(name), "/dev/%s", dev->name);
	int r = make_node(dev, source, sizeof(source));
	if (r < 0)
		return boot_fail(boot, r, "unable to make %s for %s: %s", source, name,
				 strerror(-r));
	if (!*fstype)
		fstype = dev->type;
	/* fs-TYPE for each type rootfstype= lists, or for the probed one; loaded already, most often,
	 * by the child that drivers_wait_filesystem() waits for. */
	drivers_wait_filesystem(boot);
	drivers_load_list(boot, fstype, "fs-");
	(void)mkdir(target, 0755);

	struct libmnt_context *cxt = mnt_new_context();
	if (!cxt)
		return boot_fail(boot, -ENOMEM, "unable to mount %s: out of memory", name);
	/* No /sbin/mount.<type> helpers in an initramfs, and no fstab to consult. */
	(void)mnt_context_disable_helpers(cxt, 1);
	(void)mnt_context_set_optsmode(cxt, MNT_OMODE_IGNORE);
	(void)mnt_context_set_source(cxt, source);
	(void)mnt_context_set_target(cxt, target);
	(void)mnt_context_set_options(cxt, options);
	/* libmount tries a comma list of types in order, as mount -t ext4,xfs does. */
	if (*fstype)
		(void)mnt_context_set_fstype(cxt, fstype);

	int rc = mnt_context_mount(cxt);
	if (rc != 0 || mnt_context_get_status(cxt) != 1) {
		char why[512];
		(void)mnt_context_get_excode(cxt, rc, why, sizeof(why));
		r = boot_fail(boot, -EIO,
			      "unable to mount %s (%u:%u, type %s, options %s) on %s: %s", name,
			      dev->major, dev->minor, *fstype ? fstype : "probed", options, target,
			      why);
	}
	mnt_free_context(cxt);
	node_to_link(source, dev);
	if (r == 0)
		boot_mark(boot, "%s mounted: %s (%s) on %s type %s (%s)", what, source, name,
			  target, *fstype ? fstype : "?", options);
	return r;
}

int mount_root(struct boot *boot)
{
	const struct boot_options *opts = &boot->opts;
	dev_t by_hand;
	if (mounted_by_hand(IMAGE_SYSROOT, "/", &by_hand)) {
		boot_mark(boot,
			  "root mounted by hand: %u:%u on " IMAGE_SYSROOT ", booting it as it is",
			  major(by_hand), minor(by_hand));
		return 0;
	}
	char options[CMDLINE_VALUE_MAX + 8];
	(void)snprintf(options, sizeof(options), "%s%s%s", opts->rootflags,
		       opts->rootflags[0] ? "," : "", opts->read_write ? "rw" : "ro");
	return mount_device(boot, &boot->root, IMAGE_SYSROOT, opts->rootfstype, options, "root");
}

/* What /usr is mounted from, as which type with which options, and who said so. */
struct usr_mount {
	char source[CMDLINE_VALUE_MAX];
	char fstype[CMDLINE_VALUE_MAX];
	char options[CMDLINE_VALUE_MAX];
	const char *from;
};

/* The new root's fstab entry for /usr: 0, -ENOENT when it has none (or no fstab), -ENODATA for
 * a noauto one, or -errno of the read. */
static int fstab_usr(const char *fstab, struct usr_mount *usr)
{
	if (access(fstab, F_OK) < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	struct libmnt_table *tb = mnt_new_table();
	if (!tb)
		return -ENOMEM;
	int r = mnt_table_parse_fstab(tb, fstab);
	struct libmnt_fs *fs = r == 0 ? mnt_table_find_target(tb, "/usr", MNT_ITER_BACKWARD) : NULL;
	if (r == 0 && !fs)
		r = -ENOENT;
	if (fs && mnt_fs_get_source(fs)) {
		const char *type = mnt_fs_get_fstype(fs), *options = mnt_fs_get_options(fs);
		(void)snprintf(usr->source, sizeof(usr->source), "%s", mnt_fs_get_source(fs));
		(void)snprintf(usr->fstype, sizeof(usr->fstype), "%s",
			       type && strcmp(type, "auto") != 0 ? type : "");
		(void)snprintf(usr->options, sizeof(usr->options), "%s", options ? options : "");
		if (options && mnt_optstr_get_option(options, "noauto", NULL, NULL) == 0)
			r = -ENODATA;
	} else if (fs) {
		r = -EINVAL;
	}
	mnt_unref_table(tb);
	return r;
}

int find_usr(struct boot *boot)
{
	const struct boot_options *opts = &boot->opts;
	boot->usr.wanted = false;
	struct usr_mount usr = { .from = "mount.usr=" };
	if (opts->usr[0]) {
		if (!opts->usr_ok) /* read_options said why */
			return 0;
		(void)snprintf(usr.source, sizeof(usr.source), "%s", opts->usr);
	} else {
		usr.from = IMAGE_SYSROOT "/etc/fstab";
		int r = fstab_usr(usr.from, &usr);
		if (r == -ENOENT)
			return 0;
		if (r == -ENODATA) {
			log_info("%s has /usr as noauto: not mounting it", usr.from);
			return 0;
		}
		if (r < 0)
			return boot_fail(boot, r, "unable to read the /usr entry of %s: %s",
					 usr.from, strerror(-r));
	}
	/* mount.usrfstype= and mount.usrflags= win over the fstab, as in systemd. */
	if (opts->usrfstype[0])
		(void)snprintf(usr.fstype, sizeof(usr.fstype), "%s", opts->usrfstype);
	if (opts->usrflags[0])
		(void)snprintf(usr.options, sizeof(usr.options), "%s", opts->usrflags);

	dev_t by_hand;
	if (mounted_by_hand(IMAGE_SYSROOT "/usr", IMAGE_SYSROOT, &by_hand)) {
		boot_mark(boot, "/usr already mounted: %u:%u on " IMAGE_SYSROOT "/usr",
			  major(by_hand), minor(by_hand));
		return 0;
	}
	struct root_spec spec;
	const char *reason = "";
	int r = root_spec_parse(usr.source, &spec, &reason);
	if (r < 0)
		return boot_fail_final(boot, r, "/usr is on %s (%s), which rdinit cannot find: %s",
				       usr.source, usr.from, reason);
	int timeout_s = boot_options_root_timeout(opts);
	struct blockdev dev, other;
	r = find_device(boot, &spec, timeout_s, &dev, &other);
	if (r == -ETIMEDOUT)
		return boot_fail(boot, r, "/usr on %s (%s) did not appear within %d s", usr.source,
				 usr.from, timeout_s);
	if (r == -EEXIST)
		return boot_fail(boot, r,
				 "/usr on %s (%s) is ambiguous: /dev/%s and /dev/%s both match; "
				 "refusing to guess",
				 usr.source, usr.from, dev.name, other.name);
	if (r < 0)
		return boot_fail(boot, r, "unable to look for /usr on %s: %s", usr.source,
				 strerror(-r));
	/* Read-only or read-write as the root is, as initramfs-tools does; the real system remounts it
	 * as its fstab says (systemd-remount-fs). */
	(void)snprintf(boot->usr.options, sizeof(boot->usr.options), "%s%s%s", usr.options,
		       usr.options[0] ? "," : "", opts->read_write ? "rw" : "ro");
	(void)snprintf(boot->usr.fstype, sizeof(boot->usr.fstype), "%s", usr.fstype);
	boot->usr.dev = dev;
	boot->usr.wanted = true;
	return 0;
}

int mount_usr(struct boot *boot)
{
	if (!boot->usr.wanted)
		return 0;
	int r = mount_device(boot, &boot->usr.dev, IMAGE_SYSROOT "/usr", boot->usr.fstype,
			     boot->usr.options, "/usr");
	if (r == 0)
		boot->usr.wanted = false;
	return r;
}
