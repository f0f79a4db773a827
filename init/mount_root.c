/* Stage: mount the root device on /sysroot with libmount, as rootfstype=, rootflags= and
 * ro/rw ask. */
#include <libmount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "emergency.h"
#include "log.h"
#include "stages.h"

/* Returns 0, or -1 with message saying why libmount could not mount. */
static int mount_sysroot(const struct boot_options *opts, const struct blockdev *root, char *message,
			 size_t message_size)
{
	char source[64], options[CMDLINE_VALUE_MAX + 8];
	(void)snprintf(source, sizeof source, "/dev/%s", root->name);
	(void)snprintf(options, sizeof options, "%s%s%s", opts->rootflags, opts->rootflags[0] ? "," : "",
		       opts->read_write ? "rw" : "ro");
	const char *fstype = opts->rootfstype[0] ? opts->rootfstype : root->type;
	(void)mkdir(SYSROOT, 0755);

	struct libmnt_context *cxt = mnt_new_context();
	if (!cxt) {
		(void)snprintf(message, message_size, "unable to mount %s: out of memory", source);
		return -1;
	}
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
	bool mounted = rc == 0 && mnt_context_get_status(cxt) == 1;
	if (!mounted) {
		char why[512];
		(void)mnt_context_get_excode(cxt, rc, why, sizeof why);
		(void)snprintf(message, message_size, "unable to mount %s (type %s, options %s) on " SYSROOT ": %s",
			       source, *fstype ? fstype : "probed", options, why);
	}
	mnt_free_context(cxt);
	if (mounted)
		timeline_mark("root mounted: %s on " SYSROOT " type %s (%s)", source, *fstype ? fstype : "?",
			      options);
	return mounted ? 0 : -1;
}

void mount_root(const struct boot_options *opts, const struct blockdev *root)
{
	char message[2048];
	while (mount_sysroot(opts, root, message, sizeof message) < 0)
		boot_failed("%s", message);
}
