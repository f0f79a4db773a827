/* Stage: listen to uevents, load the drivers they ask for, probe each block device that
 * appears, until one is the device root= names or the timeout runs out. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blockdev.h"
#include "emergency.h"
#include "log.h"
#include "modload.h"
#include "stages.h"
#include "sys.h"
#include "uevent.h"

#define INITQUEUE_QUIET_MS 200

struct root_search {
	const struct boot_options *opts;
	struct kmod_ctx *kmod;
	struct blockdev *root;
	bool found;
	struct blockdev other_match;	/* a second device that root= names too */
	bool rescan_needed;		/* the kernel dropped events: ask /sys once the queue is empty */
	unsigned uevents, modules_loaded, forged;
};

static void load_modules_for(struct root_search *s, const char *alias)
{
	if (!s->kmod)
		return;
	uint64_t start = timeline_now_ms();
	struct module_refusal refusal = { 0 };
	int r = modload_alias(s->kmod, alias, &refusal);
	if (r > 0) {
		s->modules_loaded += (unsigned)r;
		log_debug("loaded %d module(s) for %s in %llu ms", r, alias,
			  (unsigned long long)(timeline_now_ms() - start));
	} else if (r == -ENOENT) {
		modload_remember_unmatched(alias);
	} else if (r < 0 && refusal.module[0]) {
		log_warning("unable to load module %s (%s) for %s: %s", refusal.module, refusal.path, alias,
			    strerror(-r));
		modload_remember_refused(alias, &refusal);
	} else if (r < 0) {
		log_warning("unable to load the module for %s: %s", alias, strerror(-r));
	}
}

static void consider_block_device(struct root_search *s, const struct uevent *ev)
{
	if (!ev->devname || !ev->major || !ev->minor ||
	    (strcmp(ev->action, "add") != 0 && strcmp(ev->action, "change") != 0))
		return;
	struct blockdev dev = { .major = (unsigned)atoi(ev->major), .minor = (unsigned)atoi(ev->minor) };
	if (strlen(ev->devname) >= sizeof dev.name || strchr(ev->devname, '/'))
		return;
	strcpy(dev.name, ev->devname);
	int r = blockdev_probe(&dev);
	if (r < 0)
		log_debug("unable to probe /dev/%s: %s", dev.name, strerror(-r));
	if (!blockdevs_remember(&dev))
		log_warning("too many block devices: /dev/%s not listed", dev.name);
	log_debug("block device /dev/%s %u:%u TYPE=%s UUID=%s LABEL=%s PARTUUID=%s PARTLABEL=%s",
		  dev.name, dev.major, dev.minor, dev.type, dev.uuid, dev.label, dev.partuuid,
		  dev.partlabel);

	size_t count;
	const struct blockdev *known = blockdevs_seen(&count);
	if (!root_spec_matches(&s->opts->root_spec, &dev, known, count))
		return;
	if (!s->found) {
		*s->root = dev;
		s->found = true;
	} else if (dev.major != s->root->major || dev.minor != s->root->minor) {
		s->other_match = dev;
	}
}

static void handle_uevent(struct root_search *s, const struct uevent *ev)
{
	s->uevents++;
	log_debug("uevent %s %s", ev->action, ev->devpath);
	if (ev->modalias && strcmp(ev->action, "add") == 0)
		load_modules_for(s, ev->modalias);
	if (strcmp(ev->subsystem, "block") == 0)
		consider_block_device(s, ev);
}

static void enumerated_block_device(const struct uevent *ev, void *ctx)
{
	consider_block_device(ctx, ev);
}

static void enumerated_modalias(const char *modalias, void *ctx)
{
	load_modules_for(ctx, modalias);
}

/* The kernel dropped events, and asking for them again could overflow the same way: read /sys
 * instead. Every device's modalias until no new driver loads (a driver brings new devices),
 * then every block device. */
static void rescan(struct root_search *s)
{
	log_warning("uevent queue overflowed; rescanning /sys");
	for (int round = 0; round < 8; round++) {
		unsigned loaded = s->modules_loaded;
		(void)uevent_enumerate_modaliases(enumerated_modalias, s);
		if (s->modules_loaded == loaded)
			break;
	}
	(void)uevent_enumerate_block(enumerated_block_device, s);
}

/* Reads everything queued, also past a match: a later event may name a second device with
 * the same identifier (a cloned disk), and then the match is not to be trusted. */
static void drain_uevents(struct root_search *s, int fd)
{
	char buf[UEVENT_BUFFER_SIZE + 1];
	struct uevent ev;
	for (;;) {
		int r = uevent_monitor_receive(fd, buf, &ev);
		/* One rescan once the queue is empty, however often it overflowed meanwhile. */
		if (r == -EAGAIN && s->rescan_needed) {
			s->rescan_needed = false;
			rescan(s);
			continue;
		}
		if (r == -EAGAIN)
			return;
		if (r == 0)
			handle_uevent(s, &ev);
		else if (r == -ENOBUFS)
			s->rescan_needed = true;
		else if (r == -EPERM)
			log_warning("ignored a uevent that the kernel did not send (%u so far)", ++s->forged);
		else if (r == -EBADMSG)
			log_debug("ignored a malformed uevent");
		else
			log_warning("unable to read uevents: %s", strerror(-r));
	}
}

static void load_filesystem_modules(struct root_search *s)
{
	char types[CMDLINE_VALUE_MAX], alias[CMDLINE_VALUE_MAX + 8];
	(void)snprintf(types, sizeof types, "%s",
		       s->opts->rootfstype[0] ? s->opts->rootfstype : s->root->type);
	for (char *save = NULL, *type = strtok_r(types, ",", &save); type;
	     type = strtok_r(NULL, ",", &save)) {
		(void)snprintf(alias, sizeof alias, "fs-%s", type);
		load_modules_for(s, alias);
	}
}

/* Handles uevents until root is found (true) or timeout_s runs out (false). With initqueue
 * hooks in the image, each time the queue has been quiet for INITQUEUE_QUIET_MS after new
 * block devices appeared, the hooks run: they may make the root (LVM, LUKS) out of those. */
static bool wait_until(struct root_search *s, int fd, int timeout_s)
{
	bool initqueue = hooks_present(STAGE_INITQUEUE);
	size_t devices_at_initqueue = SIZE_MAX;
	if (timeout_s < 0)
		log_info("waiting for root=%s (no timeout)", s->opts->root);
	else
		log_info("waiting up to %d s for root=%s", timeout_s, s->opts->root);
	uint64_t deadline = timeout_s < 0 ? UINT64_MAX : timeline_now_ms() + (uint64_t)timeout_s * 1000;
	for (;;) {
		drain_uevents(s, fd);
		if (s->found)
			return true;
		uint64_t now = timeline_now_ms();
		if (now >= deadline)
			return false;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int wait_ms = deadline == UINT64_MAX ? -1 : (int)(deadline - now);
		if (initqueue && (wait_ms < 0 || wait_ms > INITQUEUE_QUIET_MS))
			wait_ms = INITQUEUE_QUIET_MS;
		int ready = poll(&pfd, 1, wait_ms);
		if (ready < 0 && errno != EINTR)
			emergency("unable to wait for uevents: %s", strerror(errno));
		size_t devices;
		(void)blockdevs_seen(&devices);
		if (ready == 0 && initqueue && devices != devices_at_initqueue) {
			devices_at_initqueue = devices;
			run_hooks(STAGE_INITQUEUE, s->opts, NULL);
		}
	}
}

void wait_for_root(const struct boot_options *opts, struct blockdev *root)
{
	struct root_search s = { .opts = opts, .root = root };
	int timeout_s = boot_options_root_timeout(opts);

	if (opts->rootdelay_s > 0) {
		log_info("rootdelay=%d: waiting %d s before looking for root", opts->rootdelay_s,
			 opts->rootdelay_s);
		sys_sleep_seconds(opts->rootdelay_s);
	}
	char built_for[128], running[128];
	if (modload_image_kernel(built_for, sizeof built_for, running, sizeof running) == 0)
		log_warning("this image was built for kernel %s, but %s is running: its modules will not load "
			    "(rebuild it with mkrdinit -k %s)", built_for, running, running);
	int r = modload_open(&s.kmod);
	if (r < 0)
		log_warning("unable to open the module index for this kernel: %s; loading no drivers",
			    strerror(-r));
	/* Listen before asking devices to announce themselves, or the answers are lost. */
	int fd = uevent_monitor_open(opts->uevent_buffer);
	if (fd < 0)
		emergency("unable to listen for uevents: %s", strerror(-fd));
	r = uevent_coldplug();
	if (r < 0)
		emergency("unable to trigger coldplug through /sys: %s", strerror(-r));
	timeline_mark("coldplug triggered for %d devices", r);

	while (!wait_until(&s, fd, timeout_s))
		boot_failed("root=%s did not appear within %d s (%u uevents, %u modules loaded)",
			    opts->root, timeout_s, s.uevents, s.modules_loaded);
	(void)close(fd);
	if (s.other_match.name[0])
		emergency("root=%s is ambiguous: /dev/%s and /dev/%s both match; refusing to guess "
			  "which one to boot (name one of them by PARTUUID= or /dev/)",
			  opts->root, root->name, s.other_match.name);
	timeline_mark("root device /dev/%s found (%s; %u uevents, %u modules loaded)", root->name,
		      root->type[0] ? root->type : "unknown type", s.uevents, s.modules_loaded);
	load_filesystem_modules(&s);
	modload_close(s.kmod);
}
