/* Which LUKS devices to unlock, under which names, with which keys: the image's /etc/crypttab and
 * the command line (struct luks_options), each meaning what it means in its own tool. Pure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "blockdev.h"
#include "cmdline.h"
#include "crypttab.h"

#define LUKS_TARGETS_MAX 16
#define LUKS_PROBLEMS_MAX 8

struct luks_plan {
	struct crypt_target targets[LUKS_TARGETS_MAX];
	bool uuid_prefix[LUKS_TARGETS_MAX]; /* dracut's rd.luks.uuid= may give the UUID's start only */
	size_t count;
	/*
	 * Without any of the places above naming a device, every LUKS device is unlocked (named
	 * luks-UUID, with template's key and options), but only once root cannot be found otherwise;
	 * with them, only the targets are.
	 */
	bool any_device;
	struct crypt_target template;
	/* What could not be used, said at boot as warnings: "crypttab line 3: ...". */
	char problems[LUKS_PROBLEMS_MAX][192];
	size_t problem_count;
};

/*
 * Makes the plan. crypttab is the image's /etc/crypttab text, or NULL. The rules: rd.luks=0
 * unlocks nothing. rd.luks.uuid= and rd.luks.name= (systemd, dracut) name the only devices to
 * unlock, each with its crypttab line's name, key and options when the crypttab has one (by its
 * UUID=), else as luks-UUID (or the given name). Without them, the crypttab's lines (but noauto
 * ones) are the targets, unless rd.luks.crypttab=0. cryptdevice= (mkinitcpio) adds its device.
 * rd.luks.key=, rd.luks.options= and rd.luks.allow-discards then apply to the targets they name
 * (by UUID), or to all. cryptkey= gives cryptdevice='s key.
 */
void luks_plan(const struct luks_options *opts, const char *crypttab, struct luks_plan *plan);

/* Which target the LUKS device dev (TYPE=crypto_LUKS, with its UUID) is, or -1 for none. known is
 * the graph, for PARTNROFF=. */
int luks_plan_target(const struct luks_plan *plan, const struct blockdev *dev,
		     const struct devices *known);
