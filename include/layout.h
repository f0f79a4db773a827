/* What an rdinit image holds and where: written by mkrdinit, read by /init. One place for both, so
 * that the two programs cannot disagree about a path or a stage's name. */
#pragma once
#include <stddef.h>
#include <string.h>

/* A hook for stage S is an executable IMAGE_HOOKS_DIR/S/NAME; they run in lexical order of NAME. */
#define IMAGE_HOOKS_DIR "/lib/rdinit/hooks"
/* The kernel release the image's modules are for, one line: /init compares it with uname -r. */
#define IMAGE_KERNEL_VERSION "/etc/rdinit/kernel-version"
/* The resume device, as resume= names it, for when the command line names none: mkrdinit --resume,
 * or with --host-only the machine's own (initramfs-tools' conf.d/resume). */
#define IMAGE_RESUME "/etc/rdinit/resume"
/* Who gets the rescue shell, one word (open, password, never; see shell_policy below): mkrdinit --shell.
 * An image without it (mkrdinit without --shell, or made before there was a policy) is open, as every
 * image was before. */
#define IMAGE_SHELL_POLICY "/etc/rdinit/shell"
/* With the policy password: the crypt(3) hash the password is checked against, one line, mode 0600. */
#define IMAGE_SHELL_HASH "/etc/rdinit/shell-hash"
/* The shell of rd.shell and rd.break, when the image has one (the rescue hook). */
#define IMAGE_SHELL "/bin/sh"
/* The build machine's modprobe.d, as libkmod reads it there (mkrdinit --modprobe-conf): one file per
 * name, the one that wins. */
#define IMAGE_MODPROBE_DIR "/etc/modprobe.d"
/* What /init writes for rd.driver.blacklist=, next to them: the image's root is freed at the switch,
 * so the real system never reads it (dracut's initramfsblacklist.conf). */
#define IMAGE_CMDLINE_BLACKLIST IMAGE_MODPROBE_DIR "/rd.driver.blacklist.conf"
/* Where rdinit leaves the shutdown program for systemd (INITRD_INTERFACE): DIR/shutdown, a copy of
 * /init, run as /shutdown VERB once systemd switched back into DIR. */
#define IMAGE_SHUTDOWN_DIR "/run/initramfs"
/* Where /init mounts the new root. */
#define IMAGE_SYSROOT "/sysroot"
/* PATH for everything /init runs (hooks, the shell, a storage layer's program), and where mkrdinit
 * looks for a `binary` line's bare name. */
#define IMAGE_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

/* The points of the boot where hooks run and rd.break= can stop, named as dracut names them. */
enum boot_stage {
	STAGE_PRE_UDEV,	     /* after the early mounts, before uevent handling */
	STAGE_INITQUEUE,     /* while waiting for root, each time the uevent queue goes quiet */
	STAGE_PRE_MOUNT,     /* root found, not mounted yet */
	STAGE_PRE_MOUNT_USR, /* root mounted; /usr (when the root's fstab has one) found, not mounted */
	STAGE_PRE_PIVOT,     /* root mounted on /sysroot, before the switch */
	STAGE_EMERGENCY,     /* boot failed */
	STAGE_COUNT,
	STAGE_NONE = -1,
};

static inline const char *boot_stage_name(enum boot_stage stage)
{
	static const char *const names[STAGE_COUNT] = {
		[STAGE_PRE_UDEV] = "pre-udev",	 [STAGE_INITQUEUE] = "initqueue",
		[STAGE_PRE_MOUNT] = "pre-mount", [STAGE_PRE_MOUNT_USR] = "pre-mount-usr",
		[STAGE_PRE_PIVOT] = "pre-pivot", [STAGE_EMERGENCY] = "emergency",
	};
	return stage >= 0 && stage < STAGE_COUNT ? names[stage] : "none";
}

/* The stage of that name, or STAGE_NONE. */
static inline enum boot_stage boot_stage_from_name(const char *name)
{
	for (int s = 0; s < STAGE_COUNT; s++)
		if (strcmp(name, boot_stage_name((enum boot_stage)s)) == 0)
			return (enum boot_stage)s;
	return STAGE_NONE;
}

/* Who gets the rescue shell (rd.shell, rd.break=, a failed boot), as IMAGE_SHELL_POLICY names it.
 * The command line can tighten it (rd.shell=0), never loosen it. Zero is the strictest. */
enum shell_policy {
	SHELL_NEVER,	/* no rescue shell at all */
	SHELL_PASSWORD, /* the shell once the password of IMAGE_SHELL_HASH is typed */
	SHELL_OPEN,	/* anyone at the console */
	SHELL_POLICY_COUNT,
};

static inline const char *shell_policy_name(enum shell_policy policy)
{
	static const char *const names[SHELL_POLICY_COUNT] = {
		[SHELL_NEVER] = "never",
		[SHELL_PASSWORD] = "password",
		[SHELL_OPEN] = "open",
	};
	return policy >= 0 && policy < SHELL_POLICY_COUNT ? names[policy] : "never";
}

/* The policy of that name into *policy; -1 for a name that is none. */
static inline int shell_policy_from_name(const char *name, enum shell_policy *policy)
{
	for (int p = 0; p < SHELL_POLICY_COUNT; p++)
		if (strcmp(name, shell_policy_name((enum shell_policy)p)) == 0) {
			*policy = (enum shell_policy)p;
			return 0;
		}
	return -1;
}
