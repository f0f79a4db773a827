/* The one way /init stops: the cause, what was asked for, what was seen, a hint, then the
 * policy. PID 1 never exits (the kernel would panic with "Attempted to kill init"). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blockdev.h"
#include "emergency.h"
#include "log.h"
#include "modload.h"
#include "spawn.h"
#include "stages.h"
#include "sys.h"

#define SHELL "/bin/sh"
/* One 80x25 screen: the rest of the devices is summed up in one line. */
#define DEVICES_SHOWN 8

static const struct boot_options *boot_options;

void emergency_set_options(const struct boot_options *opts)
{
	boot_options = opts;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void report_request(void)
{
	if (!boot_options)
		return;
	int timeout = boot_options_root_timeout(boot_options);
	char timeout_text[32];
	(void)snprintf(timeout_text, sizeof timeout_text, timeout < 0 ? "none" : "%d s", timeout);
	log_error("asked for: root=%s rootfstype=%s rootflags=%s %s, timeout %s", or_dash(boot_options->root),
		  or_dash(boot_options->rootfstype), or_dash(boot_options->rootflags),
		  boot_options->read_write ? "rw" : "ro", timeout_text);
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
	for (size_t i = 0; i < count && i < DEVICES_SHOWN; i++)
		log_error("  /dev/%-10s %3u:%-3u %6llu MiB TYPE=%s UUID=%s LABEL=\"%s\" PARTUUID=%s PARTLABEL=\"%s\"",
			  devs[i].name, devs[i].major, devs[i].minor, devs[i].size_bytes >> 20,
			  or_dash(devs[i].type), or_dash(devs[i].uuid), devs[i].label,
			  or_dash(devs[i].partuuid), devs[i].partlabel);
	if (count > DEVICES_SHOWN)
		log_error("  ... and %zu more", count - DEVICES_SHOWN);
}

static void report_missing_drivers(void)
{
	unsigned count, dropped;
	const char *const *aliases = modload_unmatched(&count, &dropped);
	if (count == 0)
		return;
	log_error("devices with no driver in the image:");
	for (unsigned i = 0; i < count; i++)
		log_error("  %s", aliases[i]);
	if (dropped)
		log_error("  ... and %u more", dropped);
}

/* A driver in the image that did not load is not a driver missing from it: name it, and why. */
static void report_refused_modules(void)
{
	unsigned count, dropped;
	const struct module_refusal *refused = modload_refused(&count, &dropped);
	if (count == 0)
		return;
	log_error("modules in the image that could not be loaded:");
	for (unsigned i = 0; i < count; i++)
		log_error("  %s for %s: %s: %s", refused[i].module, refused[i].alias, refused[i].path,
			  strerror(-refused[i].error));
	if (dropped)
		log_error("  ... and %u more", dropped);
}

/* One line on the first refused module, by what refused it. */
static void report_refusal_hint(const struct module_refusal *refusal, bool same_kernel)
{
	char compression[32];
	bool enforced;
	kernel_module_abilities(compression, sizeof compression, &enforced);
	switch (refusal_cause(refusal, compression, same_kernel)) {
	case REFUSED_SIGNATURE:
		log_error("hint: the kernel refused the signature of %s (%s): it accepts only modules signed "
			  "with a key it trusts (module.sig_enforce=1%s, or lockdown under Secure Boot); put the "
			  "kernel package's own, unmodified module files in the image", refusal->module,
			  strerror(-refusal->error), enforced ? " is set" : "");
		break;
	case REFUSED_COMPRESSION:
		log_error("hint: %s is compressed in a form that neither this kernel (it decompresses %s) nor "
			  "rdinit (xz, zstd with its size recorded, gzip) could read; build the image from the "
			  "kernel package's own module files", refusal->path, *compression ? compression : "nothing");
		break;
	case REFUSED_OTHER_KERNEL:
		log_error("hint: %s was built for another kernel: rebuild the image for the running kernel: "
			  "mkrdinit -k \"$(uname -r)\" ...", refusal->module);
		break;
	case REFUSED_OTHER:
		log_error("hint: the kernel refused %s (%s); its own messages above say why", refusal->module,
			  strerror(-refusal->error));
		break;
	}
}

/* Returns whether the running kernel is the one the image's modules were built for. */
static bool report_kernel(void)
{
	char built_for[128], running[128];
	int r = modload_image_kernel(built_for, sizeof built_for, running, sizeof running);
	if (r < 0) {
		log_error("kernel %s; the image records no kernel version", running);
		return true;
	}
	log_error("kernel %s; image built for %s%s", running, built_for, r ? "" : ": its modules cannot load");
	return r == 1;
}

static const struct blockdev *first_filesystem(void)
{
	size_t count;
	const struct blockdev *devs = blockdevs_seen(&count);
	for (size_t i = 0; i < count; i++)
		if (devs[i].type[0])
			return &devs[i];
	return NULL;
}

static const struct blockdev *matching_device(void)
{
	size_t count;
	const struct blockdev *devs = blockdevs_seen(&count);
	for (size_t i = 0; boot_options && boot_options->root_ok && i < count; i++)
		if (root_spec_matches(&boot_options->root_spec, &devs[i], devs, count))
			return &devs[i];
	return NULL;
}

/* One line saying what to try, from what was asked and what was seen. */
static void report_hint(bool same_kernel)
{
	size_t count;
	unsigned missing, refused_count, dropped;
	(void)blockdevs_seen(&count);
	(void)modload_unmatched(&missing, &dropped);
	const struct module_refusal *refused = modload_refused(&refused_count, &dropped);
	const struct blockdev *root = matching_device(), *fs = first_filesystem();

	if (!same_kernel)
		log_error("hint: rebuild the image for the running kernel: mkrdinit -k \"$(uname -r)\" ...");
	else if (refused_count)
		report_refusal_hint(&refused[0], same_kernel);
	else if (count == 0 && missing)
		log_error("hint: no disk appeared; add the drivers for the devices above to the image");
	else if (count == 0)
		log_error("hint: no disk appeared; is its driver in the image, or built into the kernel?");
	else if (!root && fs && boot_options && boot_options->root_ok)
		log_error("hint: root=%s matches no device; /dev/%s has TYPE=%s UUID=%s LABEL=\"%s\"",
			  boot_options->root, fs->name, fs->type, or_dash(fs->uuid), fs->label);
	else if (root && boot_options && boot_options->rootfstype[0] && root->type[0] &&
		 !strstr(boot_options->rootfstype, root->type))
		log_error("hint: rootfstype=%s, but /dev/%s holds %s", boot_options->rootfstype, root->name,
			  root->type);
}

static void show_screen(const char *cause)
{
	log_open();
	/* "quiet" hides kernel messages below warnings; this screen must show all the same. */
	if (boot_options && boot_options->quiet)
		log_set_console_copy(true);
	log_error("boot failed: %s", cause);
	report_request();
	report_devices();
	report_missing_drivers();
	report_refused_modules();
	report_hint(report_kernel());
	if (boot_options)
		run_hooks(STAGE_EMERGENCY, boot_options, matching_device());
}

static bool shell_allowed(void)
{
	if (access(SHELL, X_OK) < 0 || (boot_options && boot_options->shell == 0))
		return false;
	if (!boot_options || boot_options->shell == 1)
		return true;
	/* Not asked for either way: an explicit failure policy wins over the image's shell. */
	return boot_options->emergency_action == EMERGENCY_DEFAULT &&
	       !(boot_options->panic_set && boot_options->panic_s != 0);
}

bool rescue_shell(const char *reason)
{
	if (access(SHELL, X_OK) < 0 || (boot_options && boot_options->shell == 0))
		return false;
	char *argv[] = { "sh", NULL };
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", "TERM=linux", "PS1=rdinit# ", NULL };
	struct program_result result;
	log_notice("%s: starting " SHELL " on the console; exit it to go on", reason);
	int r = run_program(SHELL, argv, envp, true, -1, &result);
	if (r < 0)
		log_error("unable to start " SHELL ": %s", strerror(-r));
	else if (result.signaled)
		log_notice("the shell was killed by signal %d", result.status);
	else
		log_notice("the shell exited (status %d)", result.status);
	return r == 0;
}

/* rd.emergency= first, then panic=; with neither, stay here for good. */
_Noreturn static void apply_policy(void)
{
	enum emergency_action action = boot_options ? boot_options->emergency_action : EMERGENCY_DEFAULT;
	int delay = boot_options && boot_options->panic_set ? boot_options->panic_s : 0;
	if (action == EMERGENCY_DEFAULT && delay != 0)
		action = EMERGENCY_REBOOT;

	switch (action) {
	case EMERGENCY_POWEROFF:
		log_error("powering off (rd.emergency=poweroff)");
		sync();
		(void)reboot(RB_POWER_OFF);
		break;
	case EMERGENCY_HALT:
		log_error("halting (rd.emergency=halt)");
		sync();
		(void)reboot(RB_HALT_SYSTEM);
		break;
	case EMERGENCY_REBOOT:
		if (delay > 0) {
			log_error("rebooting in %d s (panic=%d)", delay, delay);
			sys_sleep_seconds(delay);
		} else {
			log_error("rebooting now");
		}
		sync();
		(void)reboot(RB_AUTOBOOT);
		break;
	case EMERGENCY_DEFAULT:
		log_error("staying here: PID 1 must not exit; add rd.shell (with a shell in the image), "
			  "rd.emergency= or panic=N");
		break;
	}
	for (;;) {
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			sys_sleep_seconds(3600);
	}
}

/* The screen for the cause, then the shell while it is allowed: once when the stage can try
 * again (returns true), for good when it cannot; then the policy. */
static bool fail(bool can_retry, const char *fmt, va_list ap)
{
	char cause[768];
	(void)vsnprintf(cause, sizeof cause, fmt, ap);
	show_screen(cause);
	while (shell_allowed() && rescue_shell(can_retry ? "boot failed" : "boot cannot go on from here")) {
		if (can_retry) {
			log_notice("trying again");
			return true;
		}
	}
	apply_policy();
}

void boot_failed(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)fail(true, fmt, ap);
	va_end(ap);
}

_Noreturn void emergency(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)fail(false, fmt, ap);
	va_end(ap);
	/* fail() returns only when it may try again, which emergency() never asks for. */
	apply_policy();
}
