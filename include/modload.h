/* Loading the kernel modules that uevents ask for, through libkmod. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "cmdline.h"
#include "refusal.h"

struct kmod_ctx;

/* The kernel release the image's modules were built for (IMAGE_KERNEL_VERSION, which mkrdinit
 * writes)
 * and the running one's. Returns 1 when they are the same, 0 when not, -errno when the image
 * records none. */
int modload_image_kernel(char *built_for, size_t built_size, char *running, size_t running_size);

/* Writes IMAGE_CMDLINE_BLACKLIST, a modprobe.d file that blacklists each of names, for libkmod to
 * read with the image's own configuration. Returns 0 or -errno. */
int modload_write_blacklist(const struct module_names *names);

/* The one filesystem module the image has (the module of every "alias fs-TYPE" of its
 * modules.alias: ext4 also stands for ext2 and ext3) into module (size bytes). Returns 0, -ENOENT
 * when it has none, -EEXIST when it has several, or -errno. */
int modload_only_filesystem(char *module, size_t size);

/* Opens libkmod on /lib/modules/$(uname -r) with its indexes loaded. -errno on failure. */
int modload_open(struct kmod_ctx **ctx);
void modload_close(struct kmod_ctx *ctx);

/* Whether modload_alias() would have anything to insert for alias: the name of the first module
 * that matches and is not in the kernel yet (loaded or built in) goes into first (size bytes).
 * Returns 1 when there is one, 0 when all that match are there, -ENOENT when nothing matches, or
 * -errno. Only a lookup in the index, and /sys/module. */
int modload_pending(struct kmod_ctx *ctx, const char *alias, char *first, size_t size);

/* A module that modload_alias() left out, or loaded without a softdep, and why. */
struct module_skip {
	char module[MODULE_NAME_MAX];  /* what the alias named */
	char culprit[MODULE_NAME_MAX]; /* the module itself, a dependency of it, or a softdep */
	bool install; /* culprit has an install command, which rdinit does not run; else it is blacklisted */
	bool softdep; /* culprit is a softdep: the module loaded without it */
	bool held;    /* module is one of held: not loaded this time */
};

/*
 * Loads every module that matches alias (a MODALIAS, a module name or an alias such as
 * fs-ext4), with dependencies and softdeps, except those of held (NULL: none) and those that
 * modprobe.d or the command line (modprobe.blacklist=, read by libkmod) blacklists: not as the
 * match, not as a dependency or softdep. A module that needs a blacklisted one, or one that has an
 * install command (rdinit runs no commands of modprobe.d), is not loaded.
 * Returns the number of modules newly inserted (0: all already loaded, built in, or left out,
 * then skip (when not NULL) names the first left out), -ENOENT when no module matches, or
 * -errno from libkmod or the kernel; then refusal (when not NULL) names the module that failed.
 */
int modload_alias(struct kmod_ctx *ctx, const char *alias, const struct module_names *held,
		  struct module_refusal *refusal, struct module_skip *skip);
