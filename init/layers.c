/* The storage layers, as a table keyed by the TYPE libblkid gives a member: LVM2_member activates
 * volume groups. A layer is C where a library does the job, or a program the image carries, run
 * through the one spawn helper; a layer whose program or module the image lacks is skipped with a
 * debug line. What a layer makes appears as a uevent and goes through the same probe and match. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers.h"
#include "layers.h"
#include "log.h"
#include "spawn.h"
#include "stages.h"

struct layer {
	const char *name;    /* in messages: "rdinit: lvm: ..." */
	const char *type;    /* the libblkid TYPE of its members */
	const char *program; /* what it runs, looked for in IMAGE_PATH; NULL for a C layer */
	const char *module;  /* what the kernel needs for it, loaded first; NULL for none */
	/* Whether the command line lets it run (rd.lvm=0 says no); reason says why not. */
	bool (*enabled)(const struct boot_options *opts, const char **reason);
	/* Acts on the members that appeared: returns 0, or -errno with state->note saying why. */
	int (*settle)(struct boot *boot, struct layer_state *state, const char *program);
};

static bool lvm_enabled(const struct boot_options *opts, const char **reason)
{
	*reason = "rd.lvm=0";
	return opts->lvm;
}

/* lvm vgchange --sysinit --activate y [VG...]: the groups rd.lvm.vg= names, or every one found.
 * lvm sees every PV there is; a group whose PVs are not all there yet stays inactive until the next
 * member appears and this runs again. */
static int lvm_activate(struct boot *boot, struct layer_state *state, const char *lvm)
{
	const struct boot_options *opts = &boot->opts;
	char *argv[6 + CMDLINE_LIST_MAX] = { "lvm", "vgchange", "--sysinit", "--activate", "y" };
	char groups[CMDLINE_LIST_MAX * 130] = "";
	size_t n = 5;
	for (size_t i = 0; i < opts->lvm_vg_count; i++) {
		argv[n++] = (char *)opts->lvm_vg[i];
		(void)snprintf(groups + strlen(groups), sizeof(groups) - strlen(groups), " %s",
			       opts->lvm_vg[i]);
	}
	argv[n] = NULL;
	log_info("lvm: activating volume groups:%s", groups[0] ? groups : " all");
	char *envp[] = { "PATH=" IMAGE_PATH, NULL };
	struct program_result result;
	int r = run_program(lvm, argv, envp, false, opts->hook_timeout_s * 1000, &result);
	if (r < 0) {
		(void)snprintf(state->note, sizeof(state->note), "unable to run %s: %s", lvm,
			       strerror(-r));
		return r;
	}
	if (result.timed_out || result.signaled || result.status != 0) {
		(void)snprintf(state->note, sizeof(state->note),
			       "lvm vgchange --activate y%.60s %s %d", groups,
			       result.timed_out		 ? "was killed on timeout, signal"
				       : result.signaled ? "was killed by signal"
							 : "failed with exit status",
			       result.timed_out ? 9 : result.status);
		return -EIO;
	}
	(void)snprintf(state->note, sizeof(state->note), "activated volume groups:%.120s",
		       groups[0] ? groups : " all");
	return 0;
}

static const struct layer layers[LAYER_COUNT] = {
	[LAYER_LVM] = { "lvm", "LVM2_member", "lvm", "dm_mod", lvm_enabled, lvm_activate },
};

void layers_add_member(struct boot *boot, const struct blockdev *dev)
{
	for (int i = 0; i < LAYER_COUNT; i++) {
		if (strcmp(dev->type, layers[i].type) != 0)
			continue;
		log_debug("%s: /dev/%s is a member (%s)", layers[i].name, dev->name, dev->type);
		boot->layers[i].name = layers[i].name;
		boot->layers[i].members++;
		boot->layers[i].pending = true;
	}
}

/* Whether layer can run in this image and on this command line; says once why not. */
static bool layer_usable(struct boot *boot, int i, char *program, size_t size)
{
	const struct layer *layer = &layers[i];
	struct layer_state *state = &boot->layers[i];
	const char *reason;
	if (!layer->enabled(&boot->opts, &reason)) {
		if (!state->skipped)
			log_info("%s: %s: not acting on its %u member(s)", layer->name, reason,
				 state->members);
		(void)snprintf(state->note, sizeof(state->note), "not run: %s", reason);
		state->skipped = true;
		return false;
	}
	if (layer->program && find_program(layer->program, program, size) < 0) {
		log_debug("%s: the image has no %s: layer skipped", layer->name, layer->program);
		(void)snprintf(state->note, sizeof(state->note), "not run: the image has no %s",
			       layer->program);
		state->skipped = true;
		return false;
	}
	/* Built in or loaded is all the same; a module the image lacks makes the layer useless. */
	if (layer->module && load_modules(boot, layer->module) == -ENOENT) {
		log_debug("%s: the image has no module %s: layer skipped", layer->name,
			  layer->module);
		(void)snprintf(state->note, sizeof(state->note),
			       "not run: the image has no module %s", layer->module);
		state->skipped = true;
		return false;
	}
	return true;
}

bool layers_settle(struct boot *boot)
{
	bool ran = false;
	for (int i = 0; i < LAYER_COUNT; i++) {
		struct layer_state *state = &boot->layers[i];
		char program[256] = "";
		if (!state->pending)
			continue;
		state->pending = false;
		if (!layer_usable(boot, i, program, sizeof(program)))
			continue;
		state->runs++;
		ran = true;
		uint64_t start = timeline_now_ms();
		int r = layers[i].settle(boot, state, program);
		log_msg(r < 0 ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO, "%s: %s (%llu ms)",
			layers[i].name, state->note,
			(unsigned long long)(timeline_now_ms() - start));
	}
	return ran;
}
