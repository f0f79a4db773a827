/* The state of one boot, passed to every stage: what was asked for, what was seen, what the layers
 * did, and what failed. Nothing else is shared between stages. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "blockdev.h"
#include "cmdline.h"
#include "layers.h"
#include "refusal.h"
#include "shellauth.h"

struct kmod_ctx;

#define DRIVERS_NOTED_MAX 8
#define DRIVERS_LOADERS_MAX 8
#define TIMELINE_MAX 16
#define FAILURE_CAUSE_MAX 768

/* A child of PID 1 that loads drivers beside the boot; what it saw comes back in report, shared
 * memory that PID 1 reads once the child is gone (pid 0: none running). */
struct loader_report;
struct loader {
	pid_t pid;
	struct loader_report *report;
};

/* What loading drivers saw, for the screen. */
struct drivers_seen {
	char unmatched[DRIVERS_NOTED_MAX][128]; /* MODALIASes of disk devices no module matched */
	unsigned unmatched_count, unmatched_dropped;
	struct module_refusal
		refused[DRIVERS_NOTED_MAX]; /* modules the image has that did not load */
	unsigned refused_count, refused_dropped;
	unsigned loaded; /* modules inserted */
	/* Modules left out (blacklisted, or with an install command), each said once. */
	char skipped[DRIVERS_NOTED_MAX][MODULE_NAME_MAX];
	unsigned skipped_count;
	bool post_done; /* rd.driver.post= loaded: its modules are no longer held back */
	/* The root's filesystem module, loading beside the device search. */
	struct loader early;
	char early_fs[CMDLINE_VALUE_MAX]; /* what it loads: rootfstype=, the image's only one, or the type of
					   * the device root= first matched */
	/* The coldplug's drivers on the disk's path, a child per controller's module when there are
	 * several; the events' while those run. Waited for before the layers, a resume or the match
	 * of root= act on the devices. */
	struct loader coldplug[DRIVERS_LOADERS_MAX];
	struct loader events[DRIVERS_LOADERS_MAX];
	unsigned aside; /* children started for those since drivers_wait_coldplug() last waited */
	/* The drivers of the devices off the disk's path (a serial port, a mouse, the CPU's features),
	 * loading beside the search and the mount, at idle priority. */
	struct loader others;
	bool others_stopped; /* at the switch, with devices left to the real system */
	/* The CPU's modalias, once PID 1 loaded its drivers for a layer (drivers_load_cpu()). */
	char cpu_alias[1024];
	/* In a loader's child: where load_modules() puts what PID 1 is to note (NULL in PID 1). */
	struct loader_report *report;
};

/* The marks of the boot's timeline, as logged ("timeline: +N ms ..."). */
struct timeline {
	struct {
		uint64_t ms;
		char what[48];
	} marks[TIMELINE_MAX];
	size_t count;
};

/* Why a stage could not go on: filled in by the stage, shown by the screen. */
struct failure {
	char cause[FAILURE_CAUSE_MAX];
	/* Past the point of no return (the switch has begun) or with nothing a retry could change:
	 * after the shell the stage is not tried again. */
	bool final;
};

/* Who gets the rescue shell, as the image said when the boot began: the switch frees the image, and
 * what it said must hold after that too. All zero (never) until read_shell_policy() read it. */
struct shell_access {
	enum shell_policy policy;
	char hash[SHELL_HASH_MAX]; /* with SHELL_PASSWORD: IMAGE_SHELL_HASH, "" when unusable */
	char problem[160];	   /* why the files gave nobody the shell, "" when they were read */
};

struct boot {
	char **argv; /* the kernel's arguments for init: the real init gets them */
	struct boot_options opts;
	struct devices devices; /* every block device seen */
	struct blockdev root;	/* valid when root_found */
	bool root_found;
	struct blockdev other_match; /* a second device root= names, when there is one */
	/* /usr, from mount.usr= or the new root's fstab: found by find_usr(), mounted by mount_usr(). */
	struct {
		bool wanted; /* found, and not mounted yet */
		struct blockdev dev;
		char fstype[CMDLINE_VALUE_MAX];
		char options[2 * CMDLINE_VALUE_MAX];
	} usr;
	struct drivers_seen drivers;
	struct layer_state layers[LAYER_COUNT];
	struct luks_state luks; /* the LUKS layer's plan, last passphrase, unlocked devices */
	struct md_state md;	/* the md layer's members handed to mdadm */
	bool resume_done;	/* resume= was tried (or there is nothing to try) */
	struct kmod_ctx *kmod;	/* libkmod on the image's modules, open from the root search on */
	bool search_prepared;	/* rootdelay= slept, the module index opened: once per boot */
	bool image_freed;	/* the switch went past its point of no return: the image is gone */
	struct timeline timeline;
	struct failure failure;
	struct shell_access shell;
	unsigned uevents, forged_uevents;
};

/* A boot with the options' defaults, before /proc/cmdline is read; boot must be all zero. */
void boot_init(struct boot *boot, char **argv);

/* Records why the stage failed and returns error (a -errno), for `return boot_fail(...)`. */
int boot_fail(struct boot *boot, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same, for a failure that cannot be tried again. */
int boot_fail_final(struct boot *boot, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Logs "timeline: +N ms WHAT" and keeps the mark. */
void boot_mark(struct boot *boot, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
