/* Loading the modules an alias names (a MODALIAS, fs-ext4, dm_mod) and noting for the screen what
 * did not go: an alias of a disk device nothing matched, a module that was there but refused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers.h"
#include "log.h"
#include "modload.h"
#include "screen.h"

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

int load_modules(struct boot *boot, const char *alias)
{
	/* Without a module index (an image with no modules, for a kernel with every driver built in)
	 * there is nothing to load, and nothing to say is missing. */
	if (!boot->kmod)
		return 0;
	uint64_t start = timeline_now_ms();
	struct module_refusal refusal = { 0 };
	int r = modload_alias(boot->kmod, alias, &refusal);
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
