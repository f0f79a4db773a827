/* The storage layers between "a block device appeared" and "root is mounted": what to do with a
 * probed device, by its TYPE (crypto_LUKS: unlock it; LVM2_member: activate its volume group). What
 * a layer makes (a dm or md device) appears as a new block device and is probed and matched like any
 * other. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "luksplan.h"

struct boot;
struct blockdev;

#define LAYER_NOTE_MAX 160

/* What one layer did this boot, for the log and the screen. */
struct layer_state {
	const char *name; /* the layer's, once it has a member */
	bool pending;	  /* members appeared since it last ran */
	bool skipped; /* its program or module is not in the image, or the command line said no */
	unsigned members, runs;
	char note[LAYER_NOTE_MAX]; /* its last outcome, "" before it ran */
};

/* In the order they act when several have new members: what LUKS unlocks may be an LVM PV. */
enum {
	LAYER_LUKS,
	LAYER_MD,
	LAYER_LVM,
	LAYER_BTRFS,
	LAYER_COUNT,
};

#define MD_MEMBERS_MAX 32

/* The md layer's: the members handed to mdadm already. */
struct md_state {
	struct devnum handled[MD_MEMBERS_MAX];
	size_t handled_count;
};

/* The LUKS layer's memory across the boot. */
struct luks_state {
	struct luks_plan plan;
	bool planned;
	/* The last passphrase that unlocked a device, tried first on the next (as systemd does):
	 * several disks with one passphrase are asked for it once. */
	char passphrase[512];
	size_t passphrase_len;
	bool have_passphrase;
	struct devnum unlocked[LUKS_TARGETS_MAX]; /* devices unlocked (or found open) */
	size_t unlocked_count;
	uint64_t prompt_ms; /* time spent at prompts: the root timeout does not count it */
};

/* Whether the root found is whole: a btrfs filesystem over several devices is not until the kernel
 * knows them all. When not, why says so. */
bool layers_root_complete(struct boot *boot, char *why, size_t size);

/* Half the wait for root is over and root is not there: layers that can do with less do it (md starts
 * arrays degraded). */
void layers_late(struct boot *boot);

/* Hands a probed device to the layer its TYPE names, if any. */
void layers_add_member(struct boot *boot, const struct blockdev *dev);

/* Lets every layer with new members act on them (the uevent queue is quiet: all the members that
 * were coming are likely there). Returns 0, or -errno with boot->failure saying why when a layer
 * cannot go on (a LUKS device that was not unlocked). */
int layers_settle(struct boot *boot);

/* The layers' own work, for the table in layers.c: each returns 0; -EAGAIN when it did not succeed
 * but may once more members appear (state->note says why); or another -errno when the boot cannot go
 * on, with boot->failure saying why. */
int lvm_activate(struct boot *boot, struct layer_state *state, const char *lvm);
int luks_unlock_members(struct boot *boot, struct layer_state *state, const char *program);
int md_assemble(struct boot *boot, struct layer_state *state, const char *mdadm);
int md_start_degraded(struct boot *boot, struct layer_state *state, const char *mdadm);
int btrfs_scan(struct boot *boot, struct layer_state *state, const char *program);
/* Whether the kernel knows every device of the btrfs filesystem on root. */
bool btrfs_complete(const struct blockdev *root);
