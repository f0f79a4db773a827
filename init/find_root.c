/* Stage: listen to uevents, load the drivers they ask for, probe each block device once as it
 * appears and hand it to its storage layer, and match root= on the whole graph of devices, until
 * one is the root or the timeout runs out. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers.h"
#include "layers.h"
#include "log.h"
#include "modload.h"
#include "stages.h"
#include "sys.h"
#include "uevent.h"

/* How long the uevent queue stays quiet before the layers and the initqueue hooks act on the
 * devices that appeared: the members of an array or a volume group come in a burst. */
#define QUIET_MS 200
/* A driver that loads makes new devices, whose drivers load in turn: a rescan follows that chain
 * this many steps at most. */
#define RESCAN_ROUNDS 8
/* Reading all of /sys again costs more than the events it replaces: at most once a second, however
 * often the queue overflows. */
#define RESCAN_INTERVAL_MS 1000

struct search {
	struct boot *boot;
	uint64_t deadline;	 /* when the wait ends (timeline ms), UINT64_MAX for never */
	bool rescan_needed;	 /* the kernel dropped events: ask /sys */
	uint64_t overflow_ms;	 /* when it first did, since the last rescan */
	uint64_t next_rescan_ms; /* no rescan before this */
	unsigned new_devices;	 /* block devices that appeared since the layers last settled */
	uint64_t changed_ms;	 /* when a block device last appeared, changed or went */
	bool recheck;		 /* reading /sys again before the mount: the layers are done */
	/* With recheck: the graph as the search left it. A device still there under the same name keeps
	 * its probe (probing them all again costs 100 ms under TCG); new ones and the root are probed. */
	const struct devices *previous;
	struct driver_batch *batch; /* while the coldplug reads the modaliases */
};

/* An md array's name is in its members' superblocks (libblkid's LABEL of a linux_raid_member):
 * /dev/md/NAME is matched on it, whatever the array's kernel name. */
static void name_md_array(const struct boot *boot, struct blockdev *dev)
{
	if (dev->md_name[0] || !dev->n_lower)
		return;
	char path[64];
	(void)snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/md", dev->major, dev->minor);
	if (access(path, F_OK) < 0)
		return;
	for (size_t i = 0; i < dev->n_lower && !dev->md_name[0]; i++)
		for (size_t j = 0; j < boot->devices.count; j++) {
			const struct blockdev *m = &boot->devices.list[j];
			if (m->major == dev->lower[i].major && m->minor == dev->lower[i].minor &&
			    strcmp(m->type, "linux_raid_member") == 0 && m->label[0])
				(void)snprintf(dev->md_name, sizeof(dev->md_name), "%s", m->label);
		}
}

/* Whether something is built on the device (sysfs holders/): a member of an md array or of a
 * device-mapper device (LUKS, LVM, multipath, a snapshot's -real): not itself a root. */
static bool has_holders(const struct blockdev *dev)
{
	char dir[64];
	(void)snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", dev->major, dev->minor);
	return blockdev_held(dir);
}

static void consider_block_device(struct search *s, const struct uevent *ev)
{
	struct boot *boot = s->boot;
	if (!ev->devname || !ev->major || !ev->minor)
		return;
	struct blockdev dev = { .major = (unsigned)atoi(ev->major),
				.minor = (unsigned)atoi(ev->minor) };
	if (strcmp(ev->action, "remove") == 0) {
		if (devices_find(&boot->devices, dev.major, dev.minor))
			s->changed_ms = timeline_now_ms();
		devices_remove(&boot->devices, dev.major, dev.minor);
		return;
	}
	if (strcmp(ev->action, "add") != 0 && strcmp(ev->action, "change") != 0)
		return;
	if (strlen(ev->devname) >= sizeof(dev.name) || strchr(ev->devname, '/'))
		return;
	strcpy(dev.name, ev->devname);
	const struct blockdev *seen = s->previous ? devices_find(s->previous, dev.major, dev.minor)
						  : NULL;
	bool is_root = dev.major == boot->root.major && dev.minor == boot->root.minor;
	int r = 0;
	if (seen && !is_root && strcmp(seen->name, dev.name) == 0)
		dev = *seen;
	else
		r = blockdev_probe(&dev);
	if (r < 0)
		log_debug("unable to probe /dev/%s: %s", dev.name, strerror(-r));
	name_md_array(boot, &dev);
	/* A "change" that changed nothing (a storm of them, a rescan) is not news: the device is
	 * already in the graph and in its layer. */
	const struct blockdev *known = devices_find(&boot->devices, dev.major, dev.minor);
	if (known && blockdev_same(known, &dev))
		return;
	bool new_member = !known || strcmp(known->type, dev.type) != 0;
	s->changed_ms = timeline_now_ms();
	if (!devices_add(&boot->devices, &dev))
		log_warning("the table of block devices is full (%d): /dev/%s %u:%u not listed, "
			    "and root= cannot match it",
			    DEVICES_MAX, dev.name, dev.major, dev.minor);
	log_debug("block device /dev/%s %u:%u TYPE=%s UUID=%s LABEL=%s PARTUUID=%s PARTLABEL=%s",
		  dev.name, dev.major, dev.minor, dev.type, dev.uuid, dev.label, dev.partuuid,
		  dev.partlabel);
	if (s->recheck || !new_member)
		return;
	s->new_devices++;
	layers_add_member(boot, &dev);
}

static void handle_uevent(struct search *s, const struct uevent *ev)
{
	s->boot->uevents++;
	log_debug("uevent %s %s", ev->action, ev->devpath);
	if (ev->modalias && strcmp(ev->action, "add") == 0)
		drivers_load_event(s->boot, ev->modalias);
	if (strcmp(ev->subsystem, "block") == 0)
		consider_block_device(s, ev);
}

static void enumerated_block_device(const struct uevent *ev, void *ctx)
{
	consider_block_device(ctx, ev);
}

static bool enumerated_modalias(const char *modalias, void *ctx)
{
	struct search *s = ctx;
	(void)load_modules(s->boot, modalias);
	return true;
}

static bool enumerated_disk_modalias(const char *modalias, void *ctx)
{
	struct search *s = ctx;
	if (drivers_before_mount(modalias))
		drivers_batch_add(s->boot, s->batch, modalias);
	return true;
}

/* The devices the kernel found before the monitor listened, read from /sys rather than asked to
 * announce themselves again ("add" written to every uevent file, as udevadm trigger does): 200
 * synthetic events cost more under TCG than the two drivers of a virtio disk. The drivers on the
 * disk's path (storage controllers, virtio, USB, SCSI, MMC; a child per controller's module when
 * there are several, waited for before anything acts on the devices) load first, read from the
 * buses that can hold a disk alone (see drivers_before_mount()); the rest, the CPU's among them,
 * in a child that runs when PID 1 waits; what those drivers make comes as events. */
static int coldplug(struct search *s)
{
	struct driver_batch batch = { 0 };
	s->batch = &batch;
	int drivers = uevent_enumerate_modaliases(UEVENT_BUS, drivers_bus_before_mount,
						  enumerated_disk_modalias, s);
	s->batch = NULL;
	if (drivers < 0)
		return drivers;
	drivers_start_batch(s->boot, &batch);
	drivers_start_others(s->boot);
	int disks = uevent_enumerate_block(enumerated_block_device, s);
	if (disks < 0)
		return disks;
	boot_mark(
		s->boot,
		"coldplug from /sys: %d devices with a driver alias on the disk's buses, %d block "
		"devices",
		drivers, disks);
	return 0;
}

/* The kernel dropped events, and asking for them again could overflow the same way: read /sys
 * instead. Every device's modalias until no new driver loads (a driver brings new devices),
 * then every block device. */
static void rescan(struct search *s)
{
	log_warning("uevent queue overflowed; rescanning /sys");
	int round = 0;
	for (bool loading = true; loading && round < RESCAN_ROUNDS; round++) {
		unsigned loaded = s->boot->drivers.loaded;
		(void)uevent_enumerate_modaliases(UEVENT_BUS, NULL, enumerated_modalias, s);
		loading = s->boot->drivers.loaded != loaded;
		if (loading && round == RESCAN_ROUNDS - 1)
			log_warning(
				"rescanning /sys: drivers still loading after %d rounds; going on "
				"with the devices there now",
				RESCAN_ROUNDS);
	}
	(void)uevent_enumerate_block(enumerated_block_device, s);
	s->rescan_needed = false;
	s->next_rescan_ms = timeline_now_ms() + RESCAN_INTERVAL_MS;
}

/* Reads everything queued, also past a match: a later event may name a second device with the
 * same identifier (a cloned disk), and then the match is not to be trusted. Returns at the
 * deadline all the same: a steady stream of events must not keep PID 1 here past the timeout. */
static void drain_uevents(struct search *s, int fd)
{
	char buf[UEVENT_BUFFER_SIZE + 1];
	struct uevent ev;
	for (;;) {
		uint64_t now = timeline_now_ms();
		if (now >= s->deadline)
			return;
		/* One rescan for many overflows: once the queue is empty, or when it has not been for
		 * a while, and never sooner than RESCAN_INTERVAL_MS after the last. */
		bool rescan_due = s->rescan_needed && now >= s->next_rescan_ms;
		if (rescan_due && now >= s->overflow_ms + RESCAN_INTERVAL_MS) {
			rescan(s);
			continue;
		}
		int r = uevent_monitor_receive(fd, buf, &ev);
		if (r == -EAGAIN && rescan_due) {
			rescan(s);
			continue;
		}
		if (r == -EAGAIN)
			return;
		if (r == 0)
			handle_uevent(s, &ev);
		else if (r == -ENOBUFS) {
			if (!s->rescan_needed)
				s->overflow_ms = now;
			s->rescan_needed = true;
		} else if (r == -EPERM)
			log_warning("ignored a uevent that the kernel did not send (%u so far)",
				    ++s->boot->forged_uevents);
		else if (r == -EBADMSG)
			log_debug("ignored a malformed uevent");
		else
			log_warning("unable to read uevents: %s", strerror(-r));
	}
}

static bool same_btrfs(const struct blockdev *a, const struct blockdev *b)
{
	return strcmp(a->type, "btrfs") == 0 && strcmp(b->type, "btrfs") == 0 &&
		strcmp(a->uuid, b->uuid) == 0;
}

static bool is_candidate(const struct devices *d, const struct root_spec *spec,
			 const struct blockdev *dev)
{
	return root_spec_matches(spec, dev, d->list, d->count) && !has_holders(dev);
}

static bool is_root_candidate(const struct boot *boot, const struct blockdev *dev)
{
	return is_candidate(&boot->devices, &boot->opts.root_spec, dev);
}

/* The first device of the graph that spec names into *first, and into *second (name "" if none)
 * another one: a second makes it ambiguous, unless it is the same filesystem (another member of one
 * btrfs filesystem) or something is built on it (the members of an array, the paths of a multipath
 * device, a snapshot's hidden devices). Returns whether there was a first. */
static bool match_spec(struct boot *boot, const struct root_spec *spec, struct blockdev *first,
		       struct blockdev *second)
{
	struct devices *d = &boot->devices;
	/* An array's name comes from its members' superblocks: name it only once all of them are in
	 * the table, whatever order they came in (a read of /sys lists md127 before vda1). */
	for (size_t i = 0; i < d->count; i++)
		name_md_array(boot, &d->list[i]);
	bool found = false;
	second->name[0] = '\0';
	for (size_t i = 0; i < d->count; i++) {
		const struct blockdev *dev = &d->list[i];
		if (!is_candidate(d, spec, dev))
			continue;
		if (!found) {
			*first = *dev;
			found = true;
		} else if (!second->name[0] && !same_btrfs(dev, first)) {
			*second = *dev;
		}
	}
	return found;
}

static void match_root(struct boot *boot)
{
	const struct blockdev before = boot->root;
	const bool had_root = boot->root_found;
	boot->root_found = match_spec(boot, &boot->opts.root_spec, &boot->root, &boot->other_match);
	/* Every member of one btrfs filesystem matches its UUID: keep the one found before, so that a
	 * table in another order does not look like another root. */
	if (had_root && boot->root_found && same_btrfs(&before, &boot->root)) {
		const struct blockdev *kept = devices_find(&boot->devices, before.major,
							   before.minor);
		if (kept && is_root_candidate(boot, kept))
			boot->root = *kept;
	}
}

/* How long poll() may wait from now until when (timeline ms; UINT64_MAX: no limit), at most cap_ms
 * when cap_ms >= 0: -1 for ever. */
static int wait_ms(uint64_t now, uint64_t when, int cap_ms)
{
	if (when == UINT64_MAX)
		return cap_ms;
	uint64_t ms = when > now ? when - now : 0;
	return cap_ms >= 0 && ms > (uint64_t)cap_ms ? cap_ms : (int)ms;
}

/* Handles uevents until root is found (0) or timeout_s runs out (-ETIMEDOUT). Each time the queue
 * has been quiet for QUIET_MS after new block devices appeared, the layers act on them, then the
 * initqueue hooks (the escape hatch for what no layer knows) run. Once root= matched, the block
 * devices must stay as they are for rd.settle_ms: a second device that root= names, appearing
 * in that window, makes the match ambiguous as if it had come first. */
static int wait_for_root(struct search *s, int fd, int timeout_s)
{
	struct boot *boot = s->boot;
	bool initqueue = hooks_present(STAGE_INITQUEUE);
	uint64_t start = timeline_now_ms();
	s->deadline = timeout_s < 0 ? UINT64_MAX : start + (uint64_t)timeout_s * 1000;
	/* Half the wait (or 30 s of a wait without end): arrays short of members start degraded. */
	uint64_t half = start + (timeout_s < 0 ? 30000 : (uint64_t)timeout_s * 500);
	bool late_done = false;
	char incomplete[192] = "";
	for (;;) {
		drain_uevents(s, fd);
		/* The coldplug's events handled: dracut's settled initqueue, where rd.driver.post= loads;
		 * once its children are done too, and the events of what their drivers made. */
		if (!boot->drivers.post_done) {
			if (boot->opts.driver_post.count && drivers_wait_coldplug(boot))
				continue;
			drivers_load_post(boot);
			continue;
		}
		resume_if_asked(boot);
		match_root(boot);
		if (boot->root_found)
			drivers_load_filesystem(boot, boot->root.type);
		bool complete = boot->root_found &&
			layers_root_complete(boot, incomplete, sizeof(incomplete));
		uint64_t now = timeline_now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (complete && boot->resume_done) {
			uint64_t settled = s->changed_ms + (uint64_t)boot->opts.settle_ms;
			if (boot->other_match.name[0] || now >= settled || now >= s->deadline) {
				/* The match counts, and the pre-mount hooks see the devices, once
				 * every controller the coldplug found has shown its disks: a second
				 * one that root= names may be behind one still probing. */
				if (drivers_wait_coldplug(boot))
					continue;
				return 0;
			}
			if (poll(&pfd, 1, wait_ms(now, settled, -1)) < 0 && errno != EINTR)
				return boot_fail(boot, -errno, "unable to wait for uevents: %s",
						 strerror(errno));
			continue;
		}
		if (now >= s->deadline) {
			if (complete) {
				log_warning(
					"resume=%s did not appear within %d s: booting without resuming",
					boot->opts.resume, timeout_s);
				return 0;
			}
			if (boot->root_found && strstr(boot->opts.rootflags, "degraded")) {
				log_warning("%s; rootflags=%s: mounting it degraded", incomplete,
					    boot->opts.rootflags);
				return 0;
			}
			return boot->root_found
				? boot_fail(boot, -ENODEV,
					    "root=%s: %s after %d s (rootflags=degraded "
					    "mounts it with those there)",
					    boot->opts.root, incomplete, timeout_s)
				: -ETIMEDOUT;
		}
		if (!late_done && now >= half && !boot->root_found) {
			late_done = true;
			drivers_wait_coldplug(boot);
			layers_late(boot);
			continue;
		}
		uint64_t until = s->deadline;
		if (!late_done && !boot->root_found && half < until)
			until = half;
		if (s->rescan_needed && s->next_rescan_ms < until)
			until = s->next_rescan_ms;
		int ready = poll(&pfd, 1, wait_ms(now, until, s->new_devices ? QUIET_MS : -1));
		if (ready < 0 && errno != EINTR)
			return boot_fail(boot, -errno, "unable to wait for uevents: %s",
					 strerror(errno));
		if (ready != 0 || !s->new_devices || timeline_now_ms() < now + QUIET_MS)
			continue;
		s->new_devices = 0;
		/* Time at a passphrase prompt is the user's, not the devices': it extends the wait. */
		uint64_t prompted = boot->luks.prompt_ms;
		drivers_wait_coldplug(boot);
		int r = layers_settle(boot);
		if (s->deadline != UINT64_MAX)
			s->deadline += boot->luks.prompt_ms - prompted;
		if (r < 0 && r != -EAGAIN)
			return r;
		if (initqueue && (r = run_hooks(boot, STAGE_INITQUEUE)) < 0)
			return r;
	}
}

/* first and second both match root=; how joins them (" and", ", found first, and"). */
static int fail_ambiguous(struct boot *boot, const char *first, const char *how, const char *second)
{
	return boot_fail(boot, -EEXIST,
			 "root=%s is ambiguous: /dev/%s%s /dev/%s both match; refusing to guess "
			 "which one to boot (name one of them by PARTUUID= or /dev/)",
			 boot->opts.root, first, how, second);
}

/* Once per boot, before the first search: what the command line and the image ask to say and
 * load. */
static void prepare_search(struct boot *boot)
{
	if (boot->opts.rootdelay_s > 0) {
		log_info("rootdelay=%d: waiting %d s before looking for root",
			 boot->opts.rootdelay_s, boot->opts.rootdelay_s);
		sys_sleep_seconds(boot->opts.rootdelay_s);
	}
	char built_for[128], running[128];
	if (modload_image_kernel(built_for, sizeof(built_for), running, sizeof(running)) == 0)
		log_warning(
			"this image was built for kernel %s, but %s is running: its modules will "
			"not load (rebuild it with mkrdinit -k %s)",
			built_for, running, running);
	drivers_prepare(boot);
}

int find_root(struct boot *boot)
{
	struct search s = { .boot = boot };
	const struct boot_options *opts = &boot->opts;
	int timeout_s = boot_options_root_timeout(opts);

	if (!boot->search_prepared)
		prepare_search(boot);
	boot->search_prepared = true;
	/* Each search starts from what is there now: coldplug announces every device again, also
	 * those a layer made, and nothing unplugged meanwhile stays in the graph. */
	boot->devices.count = 0;
	for (int i = 0; i < LAYER_COUNT; i++)
		boot->layers[i].pending = false;
	/* Listen before asking devices to announce themselves, or the answers are lost. */
	int fd = uevent_monitor_open(opts->uevent_buffer);
	if (fd < 0)
		return boot_fail(boot, fd, "unable to listen for uevents: %s", strerror(-fd));
	int r = coldplug(&s);
	if (r < 0) {
		(void)close(fd);
		return boot_fail(boot, r, "unable to read the devices in /sys: %s", strerror(-r));
	}

	if (timeout_s < 0)
		log_info("waiting for root=%s (no timeout)", opts->root);
	else
		log_info("waiting up to %d s for root=%s", timeout_s, opts->root);
	r = wait_for_root(&s, fd, timeout_s);
	(void)close(fd);
	/* The screen says what every driver did. */
	if (r < 0)
		drivers_wait_coldplug(boot);
	if (r == -ETIMEDOUT)
		return boot_fail(
			boot, r,
			"root=%s did not appear within %d s (%u uevents, %u modules loaded)",
			opts->root, timeout_s, boot->uevents, boot->drivers.loaded);
	if (r < 0)
		return r;
	if (boot->other_match.name[0])
		return fail_ambiguous(boot, boot->root.name, " and", boot->other_match.name);
	boot_mark(boot, "root device /dev/%s found (%s; %u uevents, %u modules loaded)",
		  boot->root.name, boot->root.type[0] ? boot->root.type : "unknown type",
		  boot->uevents, boot->drivers.loaded);
	return 0;
}

/* The graph again from what /sys has now, not from what the events said: devices gone meanwhile
 * leave it. Those still there under the same name keep their probe (s->previous). */
static int reread_block_devices(struct search *s)
{
	static struct devices previous; /* as large as the graph: not on the stack */
	struct devices *d = &s->boot->devices;
	/* Only the entries in use: copying the whole table would touch 256 KB of memory. */
	previous.count = d->count;
	memcpy(previous.list, d->list, d->count * sizeof(d->list[0]));
	s->previous = &previous;
	d->count = 0;
	int r = uevent_enumerate_block(enumerated_block_device, s);
	s->previous = NULL; /* an event after this is news: probe its device */
	return r;
}

int confirm_root(struct boot *boot)
{
	struct search s = { .boot = boot, .recheck = true };
	struct blockdev found = boot->root;
	int r = reread_block_devices(&s);
	if (r < 0)
		return boot_fail(boot, r, "unable to read /sys/class/block: %s", strerror(-r));
	match_root(boot);
	if (!boot->root_found)
		return boot_fail(boot, -ENODEV, "root=%s: /dev/%s (%u:%u) is gone", boot->opts.root,
				 found.name, found.major, found.minor);
	if (boot->other_match.name[0]) {
		bool first_is_found = boot->root.major == found.major &&
			boot->root.minor == found.minor;
		return fail_ambiguous(boot, found.name, ", found first, and",
				      first_is_found ? boot->other_match.name : boot->root.name);
	}
	if (boot->root.major != found.major || boot->root.minor != found.minor)
		return boot_fail(
			boot, -EAGAIN,
			"root=%s now names /dev/%s (%u:%u), not /dev/%s (%u:%u) found before",
			boot->opts.root, boot->root.name, boot->root.major, boot->root.minor,
			found.name, found.major, found.minor);
	return 0;
}

int find_device(struct boot *boot, const struct root_spec *spec, int timeout_s,
		struct blockdev *found, struct blockdev *other)
{
	/* Listen first, then read /sys: a device that appears in between is in one or the other. */
	int fd = uevent_monitor_open(boot->opts.uevent_buffer);
	if (fd < 0)
		return fd;
	uint64_t start = timeline_now_ms();
	struct search s = { .boot = boot,
			    .recheck = true,
			    .deadline = timeout_s < 0 ? UINT64_MAX
						      : start + (uint64_t)timeout_s * 1000,
			    .changed_ms = start };
	int r = reread_block_devices(&s);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	for (; r >= 0; drain_uevents(&s, fd)) {
		uint64_t now = timeline_now_ms();
		uint64_t until = s.deadline;
		if (match_spec(boot, spec, found, other)) {
			/* As for the root: a second one just after the first makes it ambiguous. */
			until = s.changed_ms + (uint64_t)boot->opts.settle_ms;
			if (other->name[0] || now >= until)
				break;
		} else if (now >= s.deadline) {
			r = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, wait_ms(now, until, -1)) < 0 && errno != EINTR)
			r = -errno;
	}
	(void)close(fd);
	if (r < 0)
		return r;
	return other->name[0] ? -EEXIST : 0;
}
