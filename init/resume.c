/* Resume from hibernation: once the device resume= names appears, and it holds a hibernation image
 * (libblkid's TYPE=swsuspend) or resume_offset= points into a swap file, tell the kernel
 * (/sys/power/resume), which then restores the image and never comes back here. This runs in the
 * root search, before anything of the machine is mounted or checked: a filesystem mounted before the
 * resume (even read-only: ext4 replays its journal, XFS its log) would not be what the hibernated
 * system left. Keyed by resume=, not by TYPE as the layers are: a swap file's device is a filesystem. */
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "drivers.h"
#include "log.h"
#include "stages.h"
#include "sys.h"

static const struct blockdev *resume_device(const struct boot *boot)
{
	const struct devices *d = &boot->devices;
	for (size_t i = 0; i < d->count; i++)
		if (root_spec_matches(&boot->opts.resume_spec, &d->list[i], d->list, d->count))
			return &d->list[i];
	return NULL;
}

void resume_if_asked(struct boot *boot)
{
	const struct boot_options *opts = &boot->opts;
	if (boot->resume_done)
		return;
	if (!opts->resume_ok || opts->noresume) {
		if (opts->resume_ok)
			log_info("noresume: not resuming from resume=%s", opts->resume);
		boot->resume_done = true;
		return;
	}
	const struct blockdev *dev = resume_device(boot);
	if (!dev)
		return;
	boot->resume_done = true;
	if (strcmp(dev->type, "swsuspend") != 0 && !opts->resume_offset) {
		log_info("resume=%s: /dev/%s holds no hibernation image (TYPE=%s): booting fresh",
			 opts->resume, dev->name, dev->type[0] ? dev->type : "none");
		return;
	}
	char text[48];
	if (opts->resume_offset) {
		(void)snprintf(text, sizeof(text), "%llu\n", opts->resume_offset);
		int r = sys_write_file("/sys/power/resume_offset", text);
		if (r < 0) {
			log_warning(
				"unable to write resume_offset=%llu to /sys/power/resume_offset: %s; "
				"booting fresh",
				opts->resume_offset, strerror(-r));
			return;
		}
	}
	/* The kernel freezes every process to resume: none is to be inside a driver's probe. */
	drivers_wait_coldplug(boot);
	boot_mark(boot, "resuming from /dev/%s (%u:%u)", dev->name, dev->major, dev->minor);
	(void)snprintf(text, sizeof(text), "%u:%u\n", dev->major, dev->minor);
	int r = sys_write_file("/sys/power/resume", text);
	/* Back here: the kernel found no image it could restore, and says why in its log. */
	log_warning("resume=%s: the kernel did not resume from /dev/%s (%s); booting fresh",
		    opts->resume, dev->name, r < 0 ? strerror(-r) : "no image it could restore");
}
