/* The boot stages, in the order main() runs them. Each returns 0, or -errno with boot->failure
 * saying why; main() decides what happens then. None of them calls another. */
#pragma once
#include <stdbool.h>

#include "boot.h"
#include "layout.h"

/* Reads who gets the rescue shell (IMAGE_SHELL_POLICY, IMAGE_SHELL_HASH) into boot->shell, first of
 * all, before any stage can fail; a policy that cannot be read is never. Does not fail. */
int read_shell_policy(struct boot *boot);
int mount_early_filesystems(struct boot *boot);
int read_boot_options(struct boot *boot);
/* Listens to uevents, loads the drivers they ask for, probes each block device once and hands it
 * to its storage layer, until a device of the graph is the one root= names, or the timeout. */
int find_root(struct boot *boot);
/* Within find_root(): resumes from hibernation once the device resume= names appears with an image
 * (and never returns then); boot->resume_done once tried, or when there is nothing to try. */
void resume_if_asked(struct boot *boot);
/* Just before the mount (after the pre-mount hooks, which may take long): reads /sys/class/block
 * again; root= must still name one device, the one found. */
int confirm_root(struct boot *boot);
/* Loads the filesystem's module and mounts the root on IMAGE_SYSROOT with libmount. */
int mount_root(struct boot *boot);
/* When mount.usr= or the new root's /etc/fstab names /usr (a merged-/usr system has its init
 * there), waits for its device into boot->usr; the pre-mount-usr hooks (fsck) run next. */
int find_usr(struct boot *boot);
/* Mounts the /usr that find_usr() found inside the new root, before the switch. */
int mount_usr(struct boot *boot);
/* For mount_usr(): the device spec names, looked for in /sys now, then in uevents for timeout_s (-1:
 * for ever), and settled as the root is. 0 with *found; -ETIMEDOUT; -EEXIST with *found and *other
 * both matching; or -errno. Uses boot->devices, and loads the drivers that uevents ask for. */
int find_device(struct boot *boot, const struct root_spec *spec, int timeout_s,
		struct blockdev *found, struct blockdev *other);
/* The image's hooks for stage (every executable in IMAGE_HOOKS_DIR/<stage>, in lexical order). */
int run_hooks(struct boot *boot, enum boot_stage stage);
/* Whether the image has any hook for stage. */
bool hooks_present(enum boot_stage stage);
/* /run/initramfs/shutdown, as systemd execs it at the end of a shutdown (argv[1]: poweroff, reboot,
 * halt or kexec), back in the tmpfs that rdinit left there: unmounts what is left of the old root,
 * removes the device-mapper and md devices, then does verb. Never returns. */
void run_shutdown(const char *verb) __attribute__((noreturn));
/* Chooses the real init, switches to the new root and execs it: returns only when that failed. */
int start_real_init(struct boot *boot);
