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

struct search {
	struct boot *boot;
	bool rescan_needed;   /* the kernel dropped events: ask /sys once the queue is empty */
	unsigned new_devices; /* block devices that appeared since the layers last settled */
};

/* An md array's name is in its members' superblocks (libblkid's LABEL of a linux_raid_member):
 * /dev/md/NAME is matched on it, whatever the array's kernel name. */
static void name_md_array(const struct boot *boot, struct blockdev *dev)
{
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
	char path[64];
	(void)snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders", dev->major, dev->minor);
	DIR *dir = opendir(path);
	if (!dir)
		return false;
	struct dirent *entry;
	bool held = false;
	while (!held && (entry = readdir(dir)))
		held = entry->d_name[0] != '.';
	(void)closedir(dir);
	return held;
}

static void consider_block_device(struct search *s, const struct uevent *ev)
{
	struct boot *boot = s->boot;
	if (!ev->devname || !ev->major || !ev->minor)
		return;
	struct blockdev dev = { .major = (unsigned)atoi(ev->major),
				.minor = (unsigned)atoi(ev->minor) };
	if (strcmp(ev->action, "remove") == 0) {
		devices_remove(&boot->devices, dev.major, dev.minor);
		return;
	}
	if (strcmp(ev->action, "add") != 0 && strcmp(ev->action, "change") != 0)
		return;
	if (strlen(ev->devname) >= sizeof(dev.name) || strchr(ev->devname, '/'))
		return;
	strcpy(dev.name, ev->devname);
	int r = blockdev_probe(&dev);
	if (r < 0)
		log_debug("unable to probe /dev/%s: %s", dev.name, strerror(-r));
	name_md_array(boot, &dev);
	if (!devices_add(&boot->devices, &dev))
		log_warning("more than %d block devices: /dev/%s not listed", DEVICES_MAX,
			    dev.name);
	log_debug("block device /dev/%s %u:%u TYPE=%s UUID=%s LABEL=%s PARTUUID=%s PARTLABEL=%s",
		  dev.name, dev.major, dev.minor, dev.type, dev.uuid, dev.label, dev.partuuid,
		  dev.partlabel);
	s->new_devices++;
	layers_add_member(boot, &dev);
}

static void handle_uevent(struct search *s, const struct uevent *ev)
{
	s->boot->uevents++;
	log_debug("uevent %s %s", ev->action, ev->devpath);
	if (ev->modalias && strcmp(ev->action, "add") == 0)
		(void)load_modules(s->boot, ev->modalias);
	if (strcmp(ev->subsystem, "block") == 0)
		consider_block_device(s, ev);
}

static void enumerated_block_device(const struct uevent *ev, void *ctx)
{
	consider_block_device(ctx, ev);
}

static void enumerated_modalias(const char *modalias, void *ctx)
{
	struct search *s = ctx;
	(void)load_modules(s->boot, modalias);
}

/* The kernel dropped events, and asking for them again could overflow the same way: read /sys
 * instead. Every device's modalias until no new driver loads (a driver brings new devices),
 * then every block device. */
static void rescan(struct search *s)
{
	log_warning("uevent queue overflowed; rescanning /sys");
	for (int round = 0; round < RESCAN_ROUNDS; round++) {
		unsigned loaded = s->boot->drivers.loaded;
		(void)uevent_enumerate_modaliases(enumerated_modalias, s);
		if (s->boot->drivers.loaded == loaded)
			break;
	}
	(void)uevent_enumerate_block(enumerated_block_device, s);
}

/* Reads everything queued, also past a match: a later event may name a second device with the
 * same identifier (a cloned disk), and then the match is not to be trusted. */
static void drain_uevents(struct search *s, int fd)
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
			log_warning("ignored a uevent that the kernel did not send (%u so far)",
				    ++s->boot->forged_uevents);
		else if (r == -EBADMSG)
			log_debug("ignored a malformed uevent");
		else
			log_warning("unable to read uevents: %s", strerror(-r));
	}
}

/* The root is the device of the graph that root= names; a second one makes it ambiguous. */
/* The root is the device of the graph that root= names. A second one makes it ambiguous, unless it is
 * the same filesystem (another member of one btrfs filesystem) or something is built on it (the
 * members of an array, the paths of a multipath device, a snapshot's hidden devices). */
static void match_root(struct boot *boot)
{
	const struct devices *d = &boot->devices;
	boot->root_found = false;
	boot->other_match.name[0] = '\0';
	for (size_t i = 0; i < d->count; i++) {
		const struct blockdev *dev = &d->list[i];
		if (!root_spec_matches(&boot->opts.root_spec, dev, d->list, d->count) ||
		    has_holders(dev))
			continue;
		if (!boot->root_found) {
			boot->root = *dev;
			boot->root_found = true;
		} else if (!boot->other_match.name[0] &&
			   !(strcmp(dev->type, "btrfs") == 0 &&
			     strcmp(boot->root.type, "btrfs") == 0 &&
			     strcmp(dev->uuid, boot->root.uuid) == 0)) {
			boot->other_match = *dev;
		}
	}
}

/* Handles uevents until root is found (0) or timeout_s runs out (-ETIMEDOUT). Each time the queue
 * has been quiet for QUIET_MS after new block devices appeared, the layers act on them, then the
 * initqueue hooks (the escape hatch for what no layer knows) run. */
static int wait_for_root(struct search *s, int fd, int timeout_s)
{
	struct boot *boot = s->boot;
	bool initqueue = hooks_present(STAGE_INITQUEUE);
	uint64_t start = timeline_now_ms();
	uint64_t deadline = timeout_s < 0 ? UINT64_MAX : start + (uint64_t)timeout_s * 1000;
	/* Half the wait (or 30 s of a wait without end): arrays short of members start degraded. */
	uint64_t half = start + (timeout_s < 0 ? 30000 : (uint64_t)timeout_s * 500);
	bool late_done = false;
	char incomplete[192] = "";
	for (;;) {
		drain_uevents(s, fd);
		resume_if_asked(boot);
		match_root(boot);
		bool complete = boot->root_found &&
			layers_root_complete(boot, incomplete, sizeof(incomplete));
		if (complete && boot->resume_done)
			return 0;
		uint64_t now = timeline_now_ms();
		if (now >= deadline) {
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
			layers_late(boot);
			continue;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t until = deadline;
		if (!late_done && !boot->root_found && half < until)
			until = half;
		int wait_ms = until == UINT64_MAX ? -1 : (int)(until - now);
		if (s->new_devices && (wait_ms < 0 || wait_ms > QUIET_MS))
			wait_ms = QUIET_MS;
		int ready = poll(&pfd, 1, wait_ms);
		if (ready < 0 && errno != EINTR)
			return boot_fail(boot, -errno, "unable to wait for uevents: %s",
					 strerror(errno));
		if (ready != 0 || !s->new_devices)
			continue;
		s->new_devices = 0;
		/* Time at a passphrase prompt is the user's, not the devices': it extends the wait. */
		uint64_t prompted = boot->luks.prompt_ms;
		int r = layers_settle(boot);
		if (deadline != UINT64_MAX)
			deadline += boot->luks.prompt_ms - prompted;
		if (r < 0 && r != -EAGAIN)
			return r;
		if (initqueue && (r = run_hooks(boot, STAGE_INITQUEUE)) < 0)
			return r;
	}
}

/* Once per boot, before the first search: what the command line and the image ask to say. */
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
	int r = modload_open(&boot->kmod);
	if (r < 0)
		log_warning(
			"unable to open the module index for this kernel: %s; loading no drivers",
			strerror(-r));
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
	int r = uevent_coldplug();
	if (r < 0) {
		(void)close(fd);
		return boot_fail(boot, r, "unable to trigger coldplug through /sys: %s",
				 strerror(-r));
	}
	boot_mark(boot, "coldplug triggered for %d devices", r);

	if (timeout_s < 0)
		log_info("waiting for root=%s (no timeout)", opts->root);
	else
		log_info("waiting up to %d s for root=%s", timeout_s, opts->root);
	r = wait_for_root(&s, fd, timeout_s);
	(void)close(fd);
	if (r == -ETIMEDOUT)
		return boot_fail(
			boot, r,
			"root=%s did not appear within %d s (%u uevents, %u modules loaded)",
			opts->root, timeout_s, boot->uevents, boot->drivers.loaded);
	if (r < 0)
		return r;
	if (boot->other_match.name[0])
		return boot_fail(
			boot, -EEXIST,
			"root=%s is ambiguous: /dev/%s and /dev/%s both match; refusing to guess "
			"which one to boot (name one of them by PARTUUID= or /dev/)",
			opts->root, boot->root.name, boot->other_match.name);
	boot_mark(boot, "root device /dev/%s found (%s; %u uevents, %u modules loaded)",
		  boot->root.name, boot->root.type[0] ? boot->root.type : "unknown type",
		  boot->uevents, boot->drivers.loaded);
	return 0;
}
