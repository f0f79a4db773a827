/* The storage layers between "a block device appeared" and "root is mounted": what to do with a
 * probed device, by its TYPE (LVM2_member: activate its volume group). What a layer makes (a dm or
 * md device) appears as a new block device and is probed and matched like any other. */
#pragma once
#include <stdbool.h>

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

enum {
	LAYER_LVM,
	LAYER_COUNT,
};

/* Hands a probed device to the layer its TYPE names, if any. */
void layers_add_member(struct boot *boot, const struct blockdev *dev);

/* Lets every layer with new members act on them (the uevent queue is quiet: all the members that
 * were coming are likely there). Returns whether any layer ran. */
bool layers_settle(struct boot *boot);
