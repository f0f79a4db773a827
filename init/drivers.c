/* Loading the modules an alias names (a MODALIAS, fs-ext4, dm_mod) and noting for the screen what
 * did not go: an alias of a disk device nothing matched, a module that was there but refused; and
 * the command line's rd.driver.blacklist=, rd.driver.pre= and rd.driver.post=. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
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

/* What one load of an alias came to. */
struct load_note {
	int r; /* modload_alias()'s */
	char alias[128];
	struct module_refusal refusal;
	struct module_skip skip;
};

/* What a loader's child saw that PID 1 is to note: a page or so of shared memory, not a pipe, so
 * that a child never waits for PID 1 to read. */
#define LOADER_NOTES_MAX 24
struct loader_report {
	atomic_bool stop; /* PID 1 asks the child to end after the module it is loading */
	bool stopped;	  /* the child ended so, with devices left */
	unsigned loaded;  /* modules inserted */
	unsigned count;	  /* of notes */
	unsigned dropped; /* notes there was no room for */
	struct load_note notes[LOADER_NOTES_MAX];
};

/* What the screen and the log are to say of a load (the count of modules aside). */
static void note_result(struct boot *boot, const struct load_note *n)
{
	if (n->skip.module[0])
		note_skipped(boot, n->alias, &n->skip);
	if (n->r == -ENOENT) {
		note_unmatched(&boot->drivers, n->alias);
	} else if (n->r < 0 && n->refusal.module[0]) {
		log_warning("unable to load module %s (%s) for %s: %s", n->refusal.module,
			    n->refusal.path, n->alias, strerror(-n->r));
		note_refused(&boot->drivers, n->alias, &n->refusal);
	} else if (n->r < 0) {
		log_warning("unable to load the module for %s: %s", n->alias, strerror(-n->r));
	}
}

/* In a loader's child: what note_result() would act on, kept for PID 1. An alias that nothing
 * matched only where the screen lists it: most devices have no driver to load. */
static void report_result(struct loader_report *report, const struct load_note *n)
{
	if (n->r > 0)
		report->loaded += (unsigned)n->r;
	bool unmatched = n->r == -ENOENT && screen_lists_modalias(n->alias);
	if (!n->skip.module[0] && !unmatched && (n->r >= 0 || n->r == -ENOENT))
		return;
	if (report->count == LOADER_NOTES_MAX)
		report->dropped++;
	else
		report->notes[report->count++] = *n;
}

int load_modules(struct boot *boot, const char *alias)
{
	/* Without a module index (an image with no modules, for a kernel with every driver built in)
	 * there is nothing to load, and nothing to say is missing. */
	if (!boot->kmod)
		return 0;
	uint64_t start = timeline_now_ms();
	struct load_note n = { 0 };
	const struct module_names *held = boot->drivers.post_done ? NULL : &boot->opts.driver_post;
	n.r = modload_alias(boot->kmod, alias, held, &n.refusal, &n.skip);
	(void)snprintf(n.alias, sizeof(n.alias), "%s", alias);
	if (n.r > 0)
		log_debug("loaded %d module(s) for %s in %llu ms", n.r, alias,
			  (unsigned long long)(timeline_now_ms() - start));
	if (boot->drivers.report) {
		report_result(boot->drivers.report, &n);
		return n.r;
	}
	if (n.r > 0)
		boot->drivers.loaded += (unsigned)n.r;
	note_result(boot, &n);
	return n.r;
}

/* How a loader's child shares the CPU. (A filesystem's at nice 10 cost the one-CPU bench 8 ms.) */
enum loader_share {
	LOADER_DISK, /* as PID 1: a controller's, the root's filesystem */
	LOADER_IDLE, /* SCHED_IDLE, only while nothing else runs: the other devices', the CPU's */
};

/* Runs work(boot, arg) in a child of PID 1 that loads drivers beside the boot, what it notes
 * kept for loader_wait(); in PID 1 itself when there can be no child: slower, and nothing of what
 * it notes is lost. */
static void loader_start(struct boot *boot, struct loader *l,
			 void (*work)(struct boot *boot, const void *arg), const void *arg,
			 enum loader_share share)
{
	struct loader_report *report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
					    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid = report == MAP_FAILED ? -1 : fork();
	if (pid < 0) {
		if (report != MAP_FAILED)
			(void)munmap(report, sizeof(*report));
		work(boot, arg);
		return;
	}
	if (pid == 0) {
		boot->drivers.report = report;
		struct sched_param none = { 0 };
		if (share == LOADER_IDLE)
			(void)syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &none);
		work(boot, arg);
		_exit(0);
	}
	*l = (struct loader){ .pid = pid, .report = report };
}

/* Notes what a loader's child saw, once it is gone, and frees its slot. */
static void loader_account(struct boot *boot, struct loader *l)
{
	struct loader_report *report = l->report;
	boot->drivers.loaded += report->loaded;
	boot->drivers.others_stopped |= report->stopped;
	for (unsigned i = 0; i < report->count; i++)
		note_result(boot, &report->notes[i]);
	if (report->dropped)
		log_warning("a child loading drivers saw %u more problems than it could report",
			    report->dropped);
	(void)munmap(report, sizeof(*report));
	*l = (struct loader){ 0 };
}

/* Waits for a loader's child and notes what it saw. Returns how many ms it waited, or -1 when
 * there was none. */
static long long loader_wait(struct boot *boot, struct loader *l)
{
	if (!l->pid)
		return -1;
	uint64_t start = timeline_now_ms();
	/* ECHILD: reaped already with the hooks' children; it is done either way, its report
	 * written. */
	while (waitpid(l->pid, NULL, 0) < 0 && errno == EINTR)
		;
	loader_account(boot, l);
	return (long long)(timeline_now_ms() - start);
}

/* Whether a loader's child still runs; one that is done is noted (loader_account()). */
static bool loader_running(struct boot *boot, struct loader *l)
{
	if (!l->pid)
		return false;
	pid_t r = waitpid(l->pid, NULL, WNOHANG);
	if (r == 0 || (r < 0 && errno == EINTR))
		return true;
	loader_account(boot, l);
	return false;
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
static void load_filesystems(struct boot *boot, const void *prefix)
{
	drivers_load_list(boot, boot->drivers.early_fs, prefix);
}

static void start_filesystem_load(struct boot *boot, const char *names, const char *prefix)
{
	struct drivers_seen *d = &boot->drivers;
	if (d->early_fs[0] || !names[0] || !boot->kmod)
		return;
	(void)snprintf(d->early_fs, sizeof(d->early_fs), "%s", names);
	loader_start(boot, &d->early, load_filesystems, prefix, LOADER_DISK);
}

bool drivers_before_mount(const char *modalias)
{
	return screen_lists_modalias(modalias);
}

bool drivers_bus_before_mount(const char *bus)
{
	return screen_lists_bus(bus);
}

static bool load_cpu(const char *modalias, void *ctx)
{
	struct boot *boot = ctx;
	/* Every CPU of a machine names the same features: one lookup for them all. */
	if (strcmp(modalias, boot->drivers.cpu_alias) != 0) {
		(void)snprintf(boot->drivers.cpu_alias, sizeof(boot->drivers.cpu_alias), "%s",
			       modalias);
		(void)load_modules(boot, modalias);
	}
	return true;
}

void drivers_load_cpu(struct boot *boot)
{
	if (boot->drivers.cpu_alias[0] || !boot->kmod)
		return;
	if (uevent_enumerate_modaliases(UEVENT_CPUS, NULL, load_cpu, boot) <= 0)
		log_debug("no CPU names a feature driver in /sys/bus/cpu");
}

/* In the others' child: whether PID 1, at the switch, asked it to end. */
static bool others_go_on(struct boot *boot)
{
	struct loader_report *report = boot->drivers.report;
	if (report && atomic_load(&report->stop)) {
		report->stopped = true;
		return false;
	}
	return true;
}

static bool load_other(const char *modalias, void *ctx)
{
	if (!others_go_on(ctx))
		return false;
	if (!drivers_before_mount(modalias))
		(void)load_modules(ctx, modalias);
	return true;
}

static bool load_any(const char *modalias, void *ctx)
{
	if (!others_go_on(ctx))
		return false;
	(void)load_modules(ctx, modalias);
	return true;
}

static void load_others(struct boot *boot, const void *unused)
{
	(void)unused;
	if (uevent_enumerate_modaliases(UEVENT_BUS, NULL, load_other, boot) != -ECANCELED)
		(void)uevent_enumerate_modaliases(UEVENT_CLASS, NULL, load_any, boot);
}

void drivers_start_others(struct boot *boot)
{
	if (boot->drivers.others.pid || !boot->kmod)
		return;
	/* Only when PID 1 waits (for a device, for the disk to settle, for the mount): on one CPU
	 * these drivers do not delay the root's. */
	loader_start(boot, &boot->drivers.others, load_others, NULL, LOADER_IDLE);
}

void drivers_stop_others(struct boot *boot)
{
	struct loader *l = &boot->drivers.others;
	if (!l->pid)
		return;
	atomic_store(&l->report->stop, true);
	long long ms = loader_wait(boot, l);
	if (boot->drivers.others_stopped)
		boot_mark(boot,
			  "drivers off the disk's path: stopped their child at the switch; waited "
			  "%lld ms (the real system's udev loads the rest)",
			  ms);
	else
		boot_mark(boot,
			  "drivers off the disk's path loaded beside the boot; waited %lld ms", ms);
}

static bool group_has(const struct driver_group *g, const char *modalias)
{
	for (size_t at = 0; at < g->used; at += strlen(g->modaliases + at) + 1)
		if (strcmp(g->modaliases + at, modalias) == 0)
			return true;
	return false;
}

/* Adds modalias to g, unless it is there already; load_modules() takes it at once when there is no
 * room. */
static void group_add(struct boot *boot, struct driver_group *g, const char *modalias)
{
	if (group_has(g, modalias))
		return;
	size_t len = strlen(modalias) + 1;
	if (len > sizeof(g->modaliases) - g->used) {
		(void)load_modules(boot, modalias);
		return;
	}
	memcpy(g->modaliases + g->used, modalias, len);
	g->used += len;
}

void drivers_batch_add(struct boot *boot, struct driver_batch *batch, const char *modalias)
{
	/* As many children as CPUs: loading is the kernel's work, relocating and initialising, and
	 * on one CPU a child only adds its fork and its copies of PID 1's pages (125 ms under TCG for
	 * four children, on a machine whose controllers do not sleep). */
	if (!batch->cpus) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		batch->cpus = n < 1		  ? 1
			: n > DRIVERS_LOADERS_MAX ? DRIVERS_LOADERS_MAX
						  : (unsigned)n;
	}
	/* One CPU, or nothing to insert (built in, loaded, no match): PID 1 loads or notes it at
	 * once, without grouping it first. */
	char first[MODULE_NAME_MAX];
	if (batch->cpus == 1 || !boot->kmod ||
	    modload_pending(boot->kmod, modalias, first, sizeof(first)) <= 0) {
		(void)load_modules(boot, modalias);
		return;
	}
	struct driver_group *g = NULL;
	for (unsigned i = 0; i < batch->count && !g; i++)
		if (strcmp(batch->groups[i].module, first) == 0)
			g = &batch->groups[i];
	if (!g && batch->count < batch->cpus) {
		g = &batch->groups[batch->count++];
		(void)snprintf(g->module, sizeof(g->module), "%s", first);
	}
	/* More first modules than children: with the child that has the least to load. */
	if (!g) {
		g = &batch->groups[0];
		for (unsigned i = 1; i < batch->count; i++)
			if (batch->groups[i].used < g->used)
				g = &batch->groups[i];
	}
	group_add(boot, g, modalias);
}

static void load_group(struct boot *boot, const void *group)
{
	const struct driver_group *g = group;
	for (size_t at = 0; at < g->used; at += strlen(g->modaliases + at) + 1)
		(void)load_modules(boot, g->modaliases + at);
}

void drivers_start_batch(struct boot *boot, const struct driver_batch *batch)
{
	struct drivers_seen *d = &boot->drivers;
	/* One controller's drivers, or one CPU, gain nothing from a child, and a fork costs (10 ms
	 * on the one-CPU bench, a virtio disk): PID 1 loads them. */
	if (batch->count <= 1) {
		if (batch->count)
			load_group(boot, &batch->groups[0]);
		return;
	}
	/* Several: a child each, so that PID 1 reads the events of the disks they make while the
	 * kernel holds their loads (see drivers_load_event()). */
	for (unsigned i = 0; i < batch->count; i++) {
		struct loader *l = &d->coldplug[i];
		/* Still running from a search before (a rescue shell in between): with it. */
		(void)loader_wait(boot, l);
		loader_start(boot, l, load_group, &batch->groups[i], LOADER_DISK);
		d->aside += l->pid != 0;
	}
}

static void load_one(struct boot *boot, const void *modalias)
{
	(void)load_modules(boot, modalias);
}

void drivers_load_event(struct boot *boot, const char *modalias)
{
	struct drivers_seen *d = &boot->drivers;
	bool busy = false;
	for (unsigned i = 0; i < DRIVERS_LOADERS_MAX; i++)
		busy |= loader_running(boot, &d->coldplug[i]);
	struct loader *slot = NULL;
	for (unsigned i = 0; i < DRIVERS_LOADERS_MAX && busy && !slot; i++)
		if (!loader_running(boot, &d->events[i]))
			slot = &d->events[i];
	char first[MODULE_NAME_MAX];
	if (!slot || !boot->kmod ||
	    modload_pending(boot->kmod, modalias, first, sizeof(first)) <= 0)
		(void)load_modules(boot, modalias);
	else
		loader_start(boot, slot, load_one, modalias, LOADER_DISK);
	d->aside += slot && slot->pid != 0;
}

unsigned drivers_wait_coldplug(struct boot *boot)
{
	struct drivers_seen *d = &boot->drivers;
	uint64_t start = timeline_now_ms();
	for (unsigned i = 0; i < DRIVERS_LOADERS_MAX; i++)
		(void)loader_wait(boot, &d->coldplug[i]);
	for (unsigned i = 0; i < DRIVERS_LOADERS_MAX; i++)
		(void)loader_wait(boot, &d->events[i]);
	unsigned children = d->aside;
	d->aside = 0;
	if (children)
		boot_mark(boot, "%u driver-loading children done; waited %llu ms", children,
			  (unsigned long long)(timeline_now_ms() - start));
	return children;
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
	long long ms = loader_wait(boot, &boot->drivers.early);
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
