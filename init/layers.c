/* The storage layers, as a table keyed by the TYPE libblkid gives a member: crypto_LUKS unlocks
 * (layer_luks.c), LVM2_member activates volume groups (layer_lvm.c). A layer is C where a library
 * does the job, or a program the image carries, run through the one spawn helper; a layer whose
 * program or module the image lacks is skipped with a debug line. What a layer makes appears as a uevent and goes through the same probe and match. */
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
	const char *const
		*modules; /* what the kernel needs for it, loaded first: the first must be there */
	/* Whether the command line lets it run (rd.lvm=0 says no); reason says why not. */
	bool (*enabled)(const struct boot_options *opts, const char **reason);
	/* Acts on the members that appeared (layers.h says what it returns). */
	int (*settle)(struct boot *boot, struct layer_state *state, const char *program);
};

static bool lvm_enabled(const struct boot_options *opts, const char **reason)
{
	*reason = "rd.lvm=0";
	return opts->lvm;
}

static bool luks_enabled(const struct boot_options *opts, const char **reason)
{
	*reason = "rd.luks=0";
	return opts->luks.enabled;
}

static const char *const lvm_modules[] = { "dm_mod", NULL };
/* dm-crypt; the kernel's crypto API as libcryptsetup's kernel backend uses it (AF_ALG); and the
 * ciphers' modes and hashes LUKS uses, which the kernel would ask a modprobe the image lacks for. */
static const char *const luks_modules[] = {
	"dm_crypt", "algif_skcipher", "algif_hash", "xts",    "ecb",
	"cbc",	    "essiv",	      "sha256",	    "sha512", NULL
};

static const struct layer layers[LAYER_COUNT] = {
	[LAYER_LUKS] = { "luks", "crypto_LUKS", NULL, luks_modules, luks_enabled,
			 luks_unlock_members },
	[LAYER_LVM] = { "lvm", "LVM2_member", "lvm", lvm_modules, lvm_enabled, lvm_activate },
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
	/* Built in or loaded is all the same; without the first module the layer is useless, the
	 * others it may do without. */
	for (size_t m = 0; layer->modules && layer->modules[m]; m++) {
		if (load_modules(boot, layer->modules[m]) == -ENOENT && m == 0) {
			log_debug("%s: the image has no module %s: layer skipped", layer->name,
				  layer->modules[m]);
			(void)snprintf(state->note, sizeof(state->note),
				       "not run: the image has no module %s", layer->modules[m]);
			state->skipped = true;
			return false;
		}
	}
	return true;
}

int layers_settle(struct boot *boot)
{
	for (int i = 0; i < LAYER_COUNT; i++) {
		struct layer_state *state = &boot->layers[i];
		char program[256] = "";
		if (!state->pending)
			continue;
		state->pending = false;
		if (!layer_usable(boot, i, program, sizeof(program)))
			continue;
		state->runs++;
		uint64_t start = timeline_now_ms();
		int r = layers[i].settle(boot, state, program);
		log_msg(r < 0 ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO, "%s: %s (%llu ms)",
			layers[i].name, state->note,
			(unsigned long long)(timeline_now_ms() - start));
		/* -EAGAIN: it may do better once more devices appear, so it runs again then;
		 * anything else stops the boot, with boot->failure saying why. */
		if (r == -EAGAIN)
			state->pending = true;
		else if (r < 0)
			return r;
	}
	return 0;
}
