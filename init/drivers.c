/* Loading the modules an alias names (a MODALIAS, fs-ext4, dm_mod) and noting for the screen what
 * did not go: an alias of a disk device nothing matched, a module that was there but refused; and
 * the command line's rd.driver.blacklist=, rd.driver.pre= and rd.driver.post=. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers.h"
#include "log.h"
#include "modload.h"
#include "screen.h"
#include "uevent.h"

static void note_unmatched(struct drivers_seen *d, const char *modalias)
{
	if (!screen_lists_modalias(modalias))
		return;
	for (unsigned i = 0; i < d->unmatched_count; i++)
		if (strncmp(d->unmatched[i], modalias, sizeof(d->unmatched[i]) - 1) == 0)
			return;
	if (d->unmatched_count == DRIVERS_NOTED_MAX) {
		d->unmatched_dropped++;
		return;
	}
	(void)snprintf(d->unmatched[d->unmatched_count++], sizeof(d->unmatched[0]), "%s", modalias);
}

static void note_refused(struct drivers_seen *d, const char *alias,
			 const struct module_refusal *refusal)
{
	for (unsigned i = 0; i < d->refused_count; i++)
		if (strcmp(d->refused[i].module, refusal->module) == 0)
			return;
	if (d->refused_count == DRIVERS_NOTED_MAX) {
		d->refused_dropped++;
		return;
	}
	struct module_refusal *r = &d->refused[d->refused_count++];
	*r = *refusal;
	(void)snprintf(r->alias, sizeof(r->alias), "%s", alias);
}

/* Says once per module what modprobe.d or the command line kept out. */
static void note_skipped(struct boot *boot, const char *alias, const struct module_skip *skip)
{
	struct drivers_seen *d = &boot->drivers;
	if (skip->held) {
		log_debug(
			"not loading %s for %s yet: rd.driver.post= loads it once the uevents settled",
			skip->module, alias);
		return;
	}
	const char *key = skip->softdep ? skip->culprit : skip->module;
	for (unsigned i = 0; i < d->skipped_count; i++)
		if (strcmp(d->skipped[i], key) == 0)
			return;
	if (d->skipped_count < DRIVERS_NOTED_MAX)
		(void)snprintf(d->skipped[d->skipped_count++], sizeof(d->skipped[0]), "%s", key);
	const char *by = module_names_contain(&boot->opts.driver_blacklist, skip->culprit)
		? "rd.driver.blacklist="
		: "modprobe.d or modprobe.blacklist=";
	if (skip->install)
		log_warning(
			"not loading %s for %s: modprobe.d gives %s an install command, and rdinit "
			"runs none",
			skip->module, alias, skip->culprit);
	else if (skip->softdep)
		log_notice("loading %s for %s without its softdep %s: blacklisted (%s)",
			   skip->module, alias, skip->culprit, by);
	else if (strcmp(skip->module, skip->culprit) == 0)
		log_warning("not loading %s for %s: blacklisted (%s)", skip->module, alias, by);
	else
		log_warning("not loading %s for %s: it needs %s, which is blacklisted (%s)",
			    skip->module, alias, skip->culprit, by);
}

int load_modules(struct boot *boot, const char *alias)
{
	/* Without a module index (an image with no modules, for a kernel with every driver built in)
	 * there is nothing to load, and nothing to say is missing. */
	if (!boot->kmod)
		return 0;
	uint64_t start = timeline_now_ms();
	struct module_refusal refusal = { 0 };
	struct module_skip skip = { 0 };
	const struct module_names *held = boot->drivers.post_done ? NULL : &boot->opts.driver_post;
	int r = modload_alias(boot->kmod, alias, held, &refusal, &skip);
	if (skip.module[0])
		note_skipped(boot, alias, &skip);
	if (r > 0) {
		boot->drivers.loaded += (unsigned)r;
		log_debug("loaded %d module(s) for %s in %llu ms", r, alias,
			  (unsigned long long)(timeline_now_ms() - start));
	} else if (r == -ENOENT) {
		note_unmatched(&boot->drivers, alias);
	} else if (r < 0 && refusal.module[0]) {
		log_warning("unable to load module %s (%s) for %s: %s", refusal.module,
			    refusal.path, alias, strerror(-r));
		note_refused(&boot->drivers, alias, &refusal);
	} else if (r < 0) {
		log_warning("unable to load the module for %s: %s", alias, strerror(-r));
	}
	return r;
}

/* option's modules by name, as dracut's `modprobe NAME` loads them. */
static void load_listed(struct boot *boot, const char *option, const struct module_names *list)
{
	for (size_t i = 0; i < list->count && boot->kmod; i++) {
		int r = load_modules(boot, list->names[i]);
		if (r == -ENOENT)
			log_warning("%s%s: the image has no module of that name", option,
				    list->names[i]);
		else if (r > 0)
			log_info("%s%s: loaded %d module(s)", option, list->names[i], r);
	}
}

void drivers_load_list(struct boot *boot, const char *names, const char *prefix)
{
	char list[CMDLINE_VALUE_MAX], alias[CMDLINE_VALUE_MAX + 8];
	(void)snprintf(list, sizeof(list), "%s", names);
	for (char *save = NULL, *name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		(void)snprintf(alias, sizeof(alias), "%s%s", prefix, name);
		(void)load_modules(boot, alias);
	}
}

/* Loading ext4 takes longer than finding the disk (430 ms under TCG): once the root's type is known,
 * a child loads its module while PID 1 goes on (looking for the device, letting the devices settle,
 * running the pre-mount hooks). The kernel serialises two loads of one module, and the mount waits
 * for the child. names: a comma list, each prefixed with prefix ("fs-" for a type). */
static void start_filesystem_load(struct boot *boot, const char *names, const char *prefix)
{
	struct drivers_seen *d = &boot->drivers;
	if (d->early_fs[0] || !names[0] || !boot->kmod)
		return;
	(void)snprintf(d->early_fs, sizeof(d->early_fs), "%s", names);
	d->early_pid = fork();
	if (d->early_pid != 0) {
		if (d->early_pid < 0)
			d->early_pid = 0;
		return;
	}
	drivers_load_list(boot, names, prefix);
	_exit(0);
}

bool drivers_before_mount(const char *modalias)
{
	return screen_lists_modalias(modalias) || strncmp(modalias, "cpu:", 4) == 0;
}

static void load_other(const char *modalias, void *ctx)
{
	if (!drivers_before_mount(modalias))
		(void)load_modules(ctx, modalias);
}

static void load_any(const char *modalias, void *ctx)
{
	(void)load_modules(ctx, modalias);
}

void drivers_start_others(struct boot *boot)
{
	struct drivers_seen *d = &boot->drivers;
	if (d->others_pid || !boot->kmod)
		return;
	d->others_pid = fork();
	if (d->others_pid != 0) {
		if (d->others_pid < 0)
			d->others_pid = 0;
		return;
	}
	/* Only when PID 1 waits (for a device, for the disk to settle, for the mount): on one CPU
	 * these drivers do not delay the root's. */
	struct sched_param idle = { 0 };
	(void)syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &idle);
	(void)uevent_enumerate_modaliases(UEVENT_BUS, load_other, boot);
	(void)uevent_enumerate_modaliases(UEVENT_CLASS, load_any, boot);
	_exit(0);
}

/* Waits for a loading child (*pid, then 0). Returns how many ms it waited, or -1 when there was
 * none. */
static long long wait_loader(pid_t *pid)
{
	if (!*pid)
		return -1;
	uint64_t start = timeline_now_ms();
	/* ECHILD: reaped already with the hooks' children; it is done either way. */
	while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
		;
	*pid = 0;
	return (long long)(timeline_now_ms() - start);
}

void drivers_wait_others(struct boot *boot)
{
	long long ms = wait_loader(&boot->drivers.others_pid);
	if (ms >= 0)
		boot_mark(boot,
			  "drivers off the disk's path loaded beside the boot; waited %lld ms", ms);
}

/* Before the search: rootfstype= names the types, or the image has one filesystem module. */
static void load_filesystem_early(struct boot *boot)
{
	char only[MODULE_NAME_MAX];
	if (boot->opts.rootfstype[0])
		start_filesystem_load(boot, boot->opts.rootfstype, "fs-");
	else if (modload_only_filesystem(only, sizeof(only)) == 0)
		start_filesystem_load(boot, only, "");
}

void drivers_load_filesystem(struct boot *boot, const char *type)
{
	start_filesystem_load(boot, type, "fs-");
}

void drivers_wait_filesystem(struct boot *boot)
{
	long long ms = wait_loader(&boot->drivers.early_pid);
	if (ms >= 0)
		boot_mark(boot,
			  "filesystem module (%s) loaded beside the device search; waited %lld ms "
			  "for it",
			  boot->drivers.early_fs, ms);
}

void drivers_prepare(struct boot *boot)
{
	const struct module_names *blacklist = &boot->opts.driver_blacklist;
	int r = blacklist->count ? modload_write_blacklist(blacklist) : 0;
	if (r < 0)
		log_warning("unable to write rd.driver.blacklist= to " IMAGE_CMDLINE_BLACKLIST
			    ": %s; those modules are not kept out",
			    strerror(-r));
	r = modload_open(&boot->kmod);
	if (r < 0)
		log_warning(
			"unable to open the module index for this kernel: %s; loading no drivers",
			strerror(-r));
	load_listed(boot, "rd.driver.pre=", &boot->opts.driver_pre);
	load_filesystem_early(boot);
}

void drivers_load_post(struct boot *boot)
{
	if (boot->drivers.post_done)
		return;
	boot->drivers.post_done = true;
	load_listed(boot, "rd.driver.post=", &boot->opts.driver_post);
}
