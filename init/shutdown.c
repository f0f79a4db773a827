/* The shutdown program: what systemd runs last, from the tmpfs rdinit left at /run/initramfs (its
 * INITRD_INTERFACE), when the old root could not be unmounted from inside itself. It is /init again,
 * run as /shutdown: it takes the old root apart, then powers off, reboots, halts or kexecs. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "log.h"
#include "stages.h"
#include "teardown.h"

static int reboot_command(const char *verb)
{
	if (strcmp(verb, "reboot") == 0)
		return RB_AUTOBOOT;
	if (strcmp(verb, "halt") == 0)
		return RB_HALT_SYSTEM;
	if (strcmp(verb, "kexec") == 0)
		return RB_KEXEC;
	return RB_POWER_OFF;
}

void run_shutdown(const char *verb)
{
	log_open();
	/* The real system has lowered the console's log level by now (Debian: kernel.printk 4): say it
	 * on the console as well. */
	int console = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (console >= 0 && dup2(console, STDERR_FILENO) >= 0)
		log_set_console_copy(true);
	if (console > STDERR_FILENO)
		(void)close(console);
	if (strcmp(verb, "poweroff") != 0 && reboot_command(verb) == RB_POWER_OFF)
		log_warning("shutdown: unknown verb '%s': powering off", verb);
	struct teardown_report report = { 0 };
	int r = teardown_unmount_below("/oldroot", &report);
	if (r < 0)
		log_warning("shutdown: unable to read the mounts: %s", strerror(-r));
	r = teardown_block_devices(&report);
	if (r < 0)
		log_warning("shutdown: unable to read /sys/block: %s", strerror(-r));
	sync();
	log_notice("shutdown: %u mount(s) unmounted, %u left read-only, %u busy (%s); %u "
		   "device-mapper device(s) removed, %u md array(s) stopped, %u left; %s",
		   report.unmounted, report.remounted_ro, report.busy,
		   report.kept[0] ? report.kept : "none kept", report.dm_removed, report.md_stopped,
		   report.left, verb);
	int cmd = reboot_command(verb);
	(void)reboot(cmd);
	/* kexec with nothing loaded: reboot instead. Then nothing is left to try. */
	if (cmd == RB_KEXEC)
		(void)reboot(RB_AUTOBOOT);
	log_warning("shutdown: %s failed: %s", verb, strerror(errno));
	log_close();
	for (;;)
		pause();
}
