/* The storage layers, as a table keyed by the TYPE libblkid gives a member: crypto_LUKS unlocks
 * (layer_luks.c), linux_raid_member assembles md arrays (layer_md.c), LVM2_member activates volume
 * groups (layer_lvm.c), btrfs registers the members of multi-device filesystems (layer_btrfs.c). A layer is C where a library
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
	/* Once half the wait for root is over, makes do with what is there; NULL for nothing. */
	int (*late)(struct boot *boot, struct layer_state *state, const char *program);
	/* Whether it wants the CPU's feature drivers first: ciphers taken when a mapping is made. */
	bool cpu_drivers;
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

static bool md_enabled(const struct boot_options *opts, const char **reason)
{
	*reason = "rd.md=0";
	return opts->md;
}

static bool always(const struct boot_options *opts, const char **reason)
{
	(void)opts, (void)reason;
	return true;
}

static const char *const lvm_modules[] = { "dm_mod", NULL };
/* The RAID levels' personalities are loaded as each member's superblock names them. */
static const char *const md_modules[] = { "md_mod", NULL };
static const char *const btrfs_modules[] = { "btrfs", NULL };
/* dm-crypt; the kernel's crypto API as libcryptsetup's kernel backend uses it (AF_ALG); and the
 * ciphers' modes and hashes LUKS uses, which the kernel would ask a modprobe the image lacks for. */
static const char *const luks_modules[] = {
	"dm_crypt", "algif_skcipher", "algif_hash", "xts",    "ecb",
	"cbc",	    "essiv",	      "sha256",	    "sha512", NULL
};

static const struct layer layers[LAYER_COUNT] = {
	[LAYER_LUKS] = { "luks", "crypto_LUKS", NULL, luks_modules, luks_enabled,
			 luks_unlock_members, NULL, true },
	[LAYER_MD] = { "md", "linux_raid_member", "mdadm", md_modules, md_enabled, md_assemble,
		       md_start_degraded },
	[LAYER_LVM] = { "lvm", "LVM2_member", "lvm", lvm_modules, lvm_enabled, lvm_activate, NULL },
	[LAYER_BTRFS] = { "btrfs", "btrfs", NULL, btrfs_modules, always, btrfs_scan, NULL },
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
	if (layer->cpu_drivers) {
		drivers_load_cpu(boot);
		log_debug("%s: the CPU's feature drivers are in (its ciphers)", layer->name);
	}
	return true;
}

/* Runs one layer's step (its settle, or its late) when it can run, logging what it says. */
static int run_layer(struct boot *boot, int i, bool late)
{
	struct layer_state *state = &boot->layers[i];
	char program[256] = "";
	if (!layer_usable(boot, i, program, sizeof(program)))
		return 0;
	state->runs++;
	uint64_t start = timeline_now_ms();
	int r = late ? layers[i].late(boot, state, program)
		     : layers[i].settle(boot, state, program);
	log_msg(r < 0 ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO, "%s: %s (%llu ms)", layers[i].name,
		state->note, (unsigned long long)(timeline_now_ms() - start));
	return r;
}

bool layers_root_complete(struct boot *boot, char *why, size_t size)
{
	if (strcmp(boot->root.type, "btrfs") != 0)
		return true;
	/* Found before the queue went quiet: register what is there now rather than wait for it. */
	if (boot->layers[LAYER_BTRFS].pending) {
		boot->layers[LAYER_BTRFS].pending = false;
		(void)run_layer(boot, LAYER_BTRFS, false);
	}
	if (btrfs_complete(&boot->root))
		return true;
	(void)snprintf(why, size, "/dev/%s holds btrfs %s, not all of whose devices are there yet",
		       boot->root.name, boot->root.uuid);
	return false;
}

void layers_late(struct boot *boot)
{
	for (int i = 0; i < LAYER_COUNT; i++)
		if (layers[i].late && boot->layers[i].members)
			(void)run_layer(boot, i, true);
}

int layers_settle(struct boot *boot)
{
	for (int i = 0; i < LAYER_COUNT; i++) {
		struct layer_state *state = &boot->layers[i];
		if (!state->pending)
			continue;
		state->pending = false;
		int r = run_layer(boot, i, false);
		/* -EAGAIN: it may do better once more devices appear, so it runs again then;
		 * anything else stops the boot, with boot->failure saying why. */
		if (r == -EAGAIN)
			state->pending = true;
		else if (r < 0)
			return r;
	}
	return 0;
}
