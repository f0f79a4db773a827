/* Stage: mount the root device on /sysroot with libmount, as rootfstype=, rootflags= and
 * ro/rw ask. */
#include <libmount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "emergency.h"
#include "log.h"
#include "stages.h"

void mount_root(const struct boot_options *opts, const struct blockdev *root)
{
	char source[64], options[CMDLINE_VALUE_MAX + 8], message[512];
	(void)snprintf(source, sizeof source, "/dev/%s", root->name);
	(void)snprintf(options, sizeof options, "%s%s%s", opts->rootflags, opts->rootflags[0] ? "," : "",
		       opts->read_write ? "rw" : "ro");
	const char *fstype = opts->rootfstype[0] ? opts->rootfstype : root->type;
	(void)mkdir(SYSROOT, 0755);

	struct libmnt_context *cxt = mnt_new_context();
	if (!cxt)
		emergency("unable to mount %s: out of memory", source);
	/* No /sbin/mount.<type> helpers in an initramfs, and no fstab to consult. */
	(void)mnt_context_disable_helpers(cxt, 1);
	(void)mnt_context_set_optsmode(cxt, MNT_OMODE_IGNORE);
	(void)mnt_context_set_source(cxt, source);
	(void)mnt_context_set_target(cxt, SYSROOT);
	(void)mnt_context_set_options(cxt, options);
	/* libmount tries a comma list of types in order, as mount -t ext4,xfs does. */
	if (*fstype)
		(void)mnt_context_set_fstype(cxt, fstype);

	int rc = mnt_context_mount(cxt);
	if (rc != 0 || mnt_context_get_status(cxt) != 1) {
		(void)mnt_context_get_excode(cxt, rc, message, sizeof message);
		emergency("unable to mount %s (type %s, options %s) on " SYSROOT ": %s", source,
			  *fstype ? fstype : "probed", options, message);
	}
	mnt_free_context(cxt);
	timeline_mark("root mounted: %s on " SYSROOT " type %s (%s)", source, *fstype ? fstype : "?",
		      options);
}
