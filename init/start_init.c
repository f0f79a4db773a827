/* Stage: choose the real init inside the new root, switch to it and exec it as PID 1. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "drivers.h"
#include "modload.h"
#include "spawn.h"
#include "log.h"
#include "stages.h"
#include "switchroot.h"
#include "sys.h"
#include "teardown.h"
#include "udevdb.h"

/* How long the image's leftover processes get to exit after SIGTERM. */
#define LEFTOVER_GRACE_MS 1000

/* The kernel's own fallbacks when init= is absent or fails (init/main.c). */
static const char *const fallback_inits[] = { "/sbin/init", "/etc/init", "/bin/init", "/bin/sh" };

static const char *choose_init(const struct boot_options *opts)
{
	if (opts->init[0]) {
		int r = root_has_executable(IMAGE_SYSROOT, opts->init);
		if (r == 0)
			return opts->init;
		log_warning(
			"init=%s is not an executable file in the new root (%s); trying %s, %s, %s, %s",
			opts->init, strerror(-r), fallback_inits[0], fallback_inits[1],
			fallback_inits[2], fallback_inits[3]);
	}
	for (size_t i = 0; i < sizeof(fallback_inits) / sizeof(fallback_inits[0]); i++)
		if (root_has_executable(IMAGE_SYSROOT, fallback_inits[i]) == 0)
			return fallback_inits[i];
	return NULL;
}

static void log_peak_memory(void)
{
	char status[4096];
	if (sys_read_file("/proc/self/status", status, sizeof(status)) < 0)
		return;
	char *hwm = strstr(status, "VmHWM:");
	if (!hwm)
		return;
	hwm += strlen("VmHWM:");
	hwm += strspn(hwm, " \t");
	hwm[strcspn(hwm, "\n")] = '\0';
	log_info("peak memory (VmHWM) %s", hwm);
}

/* PID 1's own CPU time, and its children's (hooks, layers' programs, the filesystem module's
 * loader): what of the wall time was rdinit working, not waiting for the kernel. */
static void log_cpu_time(void)
{
	struct rusage self, children;
	if (getrusage(RUSAGE_SELF, &self) < 0 || getrusage(RUSAGE_CHILDREN, &children) < 0)
		return;
	log_info("CPU time: %ld ms user, %ld ms system; children %ld ms user, %ld ms system",
		 self.ru_utime.tv_sec * 1000 + self.ru_utime.tv_usec / 1000,
		 self.ru_stime.tv_sec * 1000 + self.ru_stime.tv_usec / 1000,
		 children.ru_utime.tv_sec * 1000 + children.ru_utime.tv_usec / 1000,
		 children.ru_stime.tv_sec * 1000 + children.ru_stime.tv_usec / 1000);
}

/* Nothing the image started may live on as root in the real system, unseen (a hook's daemon, what
 * a rescue shell left running), unless it asked to with an '@' (systemd's convention). */
static void end_image_processes(void)
{
	struct leftovers left;
	int r = end_leftovers(LEFTOVER_GRACE_MS, &left);
	if (r < 0) {
		log_warning("unable to end the processes the image started: %s", strerror(-r));
		return;
	}
	if (left.ended == 0 && left.kept == 0)
		return;
	char names[LEFTOVERS_NAMED * 66] = "";
	for (unsigned i = 0; i < left.named; i++)
		(void)snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			       i ? ", " : "", left.names[i]);
	log_notice("ended %u process(es) the image started, before the switch: %s%s (%u killed "
		   "after %d ms); %u kept (argv[0] begins with '@')",
		   left.ended, names, left.ended > left.named ? ", ..." : "", left.killed,
		   LEFTOVER_GRACE_MS, left.kept);
}

/* systemd's INITRD_INTERFACE: a shutdown program in /run/initramfs, to take apart at the very end
 * what the real system cannot from inside itself (a root on LUKS, LVM or md), when rd.shutdown=1
 * asks or the root is on one of those. */
static void leave_shutdown_program(const struct boot *boot)
{
	const struct blockdev *root = &boot->root;
	bool stacked = root->dm_name[0] || strncmp(root->name, "md", 2) == 0;
	int want = boot->opts.shutdown;
	if (want == 0 || (want < 0 && !stacked))
		return;
	int r = teardown_install(IMAGE_SHUTDOWN_DIR);
	if (r < 0)
		log_warning("unable to leave the shutdown program in " IMAGE_SHUTDOWN_DIR
			    ": %s; the real system shuts down without it",
			    strerror(-r));
	else
		log_info("left the shutdown program in " IMAGE_SHUTDOWN_DIR "/shutdown (%s)",
			 want > 0 ? "rd.shutdown=1" : "the root is on device-mapper or md");
}

/* The real root's udev ignores at coldplug the dm devices it has no database entry for, and systemd
 * then waits for them in vain: the entry udev would have made, in the /run the real system gets. */
static void leave_udev_entries(void)
{
	struct udevdb_report report;
	int r = udevdb_hand_over_dm("/sys/block", "/run/udev/data", "/dev/mapper", &report);
	if (r < 0)
		log_warning(
			"unable to leave udev's database entries of the device-mapper devices in "
			"/run/udev/data (%u written, %u /dev/mapper links): %s; the real system's "
			"udev may not take them for ready",
			report.entries, report.links, strerror(-r));
	else if (report.entries || report.links)
		log_info(
			"left udev's database entries of %u device-mapper device(s) in /run/udev/data "
			"(DM_UDEV_PRIMARY_SOURCE_FLAG=1: ready for the real system's udev), %u "
			"/dev/mapper node(s) made links as udev makes them",
			report.entries, report.links);
}

int start_real_init(struct boot *boot)
{
	const struct boot_options *opts = &boot->opts;
	struct statvfs vfs;
	if (statvfs(IMAGE_SYSROOT, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC))
		return boot_fail(boot, -EACCES,
				 "the new root on " IMAGE_SYSROOT
				 " is mounted noexec (rootflags=%s): no init of it could run; "
				 "mount it without noexec",
				 opts->rootflags);
	const char *init = choose_init(opts);
	if (!init)
		return boot_fail(
			boot, -ENOENT,
			"no executable init in the new root: tried %s%s%s%s, %s, %s and %s",
			opts->init[0] ? "init=" : "", opts->init, opts->init[0] ? ", " : "",
			fallback_inits[0], fallback_inits[1], fallback_inits[2], fallback_inits[3]);
	struct switch_root_request request = { .old_root = "/",
					       .new_root = IMAGE_SYSROOT,
					       .init = init };
	struct switch_root_report report;
	drivers_wait_coldplug(boot);
	drivers_stop_others(boot);
	modload_close(boot->kmod);
	boot->kmod = NULL;
	leave_shutdown_program(boot);
	leave_udev_entries();
	end_image_processes();
	int r = switch_root(&request, &report);
	boot->image_freed = report.point_of_no_return;
	if (r < 0) {
		const char *check = report.failed_check ? report.failed_check : "?";
		if (report.point_of_no_return)
			return boot_fail_final(boot, r, "unable to switch to the new root: %s: %s",
					       check, strerror(-r));
		return boot_fail(boot, r, "unable to switch to the new root: check failed: %s: %s",
				 check, strerror(-r));
	}
	log_info("freed the initramfs: %lu entries, %llu KiB (%lu mounts kept, %lu not removable)",
		 report.files_freed, report.bytes_freed / 1024, report.kept_mounts,
		 report.not_removed);
	log_peak_memory();
	log_cpu_time();
	boot_mark(boot, "exec %s", init);

	/* The real init is PID 1 from here: it gets the kernel's arguments and environment as
	 * the kernel gave them to us, and a clean signal mask. */
	boot->argv[0] = (char *)init;
	log_close();
	sigset_t none;
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execv(init, boot->argv);
	int e = errno;
	sigset_t all;
	(void)sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, NULL);
	log_open();
	return boot_fail_final(boot, -e, "unable to execute %s in the new root: %s", init,
			       strerror(e));
}
