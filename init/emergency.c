/* The one way /init stops: the cause, what was asked for, what was seen, then the policy.
 * PID 1 never exits (the kernel would panic with "Attempted to kill init"). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blockdev.h"
#include "emergency.h"
#include "log.h"

static const struct boot_options *boot_options;

void emergency_set_options(const struct boot_options *opts)
{
	boot_options = opts;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void report_devices(void)
{
	size_t count;
	const struct blockdev *devs = blockdevs_seen(&count);
	if (count == 0) {
		log_error("no block devices were seen");
		return;
	}
	log_error("block devices seen:");
	for (size_t i = 0; i < count; i++)
		log_error("  /dev/%-10s %3u:%-3u %6llu MiB TYPE=%s UUID=%s LABEL=\"%s\" PARTUUID=%s PARTLABEL=\"%s\"",
			  devs[i].name, devs[i].major, devs[i].minor, devs[i].size_bytes >> 20,
			  or_dash(devs[i].type), or_dash(devs[i].uuid), devs[i].label,
			  or_dash(devs[i].partuuid), devs[i].partlabel);
}

static void sleep_seconds(int seconds)
{
	struct timespec ts = { .tv_sec = seconds };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

_Noreturn void emergency(const char *fmt, ...)
{
	char cause[768];
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(cause, sizeof cause, fmt, ap);
	va_end(ap);

	log_open();
	/* "quiet" hides kernel messages below warnings; this screen must show all the same. */
	if (boot_options && boot_options->quiet)
		log_set_console_copy(true);
	log_error("boot failed: %s", cause);
	if (boot_options) {
		int timeout = boot_options_root_timeout(boot_options);
		log_error("asked for: root=%s rootfstype=%s rootflags=%s %s, timeout %d s%s",
			  or_dash(boot_options->root), or_dash(boot_options->rootfstype),
			  or_dash(boot_options->rootflags), boot_options->read_write ? "rw" : "ro",
			  timeout, timeout < 0 ? " (none)" : "");
	}
	report_devices();

	if (boot_options && boot_options->panic_set && boot_options->panic_s != 0) {
		if (boot_options->panic_s > 0) {
			log_error("rebooting in %d s (panic=%d)", boot_options->panic_s, boot_options->panic_s);
			sleep_seconds(boot_options->panic_s);
		} else {
			log_error("rebooting now (panic=%d)", boot_options->panic_s);
		}
		sync();
		(void)reboot(RB_AUTOBOOT);
	}
	log_error("staying here: PID 1 must not exit; add panic=N to reboot after N seconds");
	for (;;) {
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			sleep_seconds(3600);
	}
}
