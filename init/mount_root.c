/* Stage: load the root filesystem's module and mount the root device on IMAGE_SYSROOT with
 * libmount, as rootfstype=, rootflags= and ro/rw ask. */
#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

int mount_root(struct boot *boot)
{
	const struct boot_options *opts = &boot->opts;
	const struct blockdev *root = &boot->root;
	char source[64], options[CMDLINE_VALUE_MAX + 8];
	(void)snprintf(source, sizeof(source), "/dev/%s", root->name);
	(void)snprintf(options, sizeof(options), "%s%s%s", opts->rootflags,
		       opts->rootflags[0] ? "," : "", opts->read_write ? "rw" : "ro");
	const char *fstype = opts->rootfstype[0] ? opts->rootfstype : root->type;
	load_filesystem_modules(boot, fstype);
	(void)mkdir(IMAGE_SYSROOT, 0755);

	struct libmnt_context *cxt = mnt_new_context();
	if (!cxt)
		return boot_fail(boot, -ENOMEM, "unable to mount %s: out of memory", source);
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
	int r = 0;
	if (rc != 0 || mnt_context_get_status(cxt) != 1) {
		char why[512];
		(void)mnt_context_get_excode(cxt, rc, why, sizeof(why));
		r = boot_fail(boot, -EIO,
			      "unable to mount %s (type %s, options %s) on " IMAGE_SYSROOT ": %s",
			      source, *fstype ? fstype : "probed", options, why);
	}
	mnt_free_context(cxt);
	if (r == 0)
		boot_mark(boot, "root mounted: %s on " IMAGE_SYSROOT " type %s (%s)", source,
			  *fstype ? fstype : "?", options);
	return r;
}
