/* Loading the kernel modules that uevents ask for, through libkmod. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "refusal.h"

struct kmod_ctx;

/* The kernel release the image's modules were built for (IMAGE_KERNEL_VERSION, which mkrdinit
 * writes)
 * and the running one's. Returns 1 when they are the same, 0 when not, -errno when the image
 * records none. */
int modload_image_kernel(char *built_for, size_t built_size, char *running, size_t running_size);

/* Opens libkmod on /lib/modules/$(uname -r) with its indexes loaded. -errno on failure. */
int modload_open(struct kmod_ctx **ctx);
void modload_close(struct kmod_ctx *ctx);

/*
 * Loads every module that matches alias (a MODALIAS, a module name or an alias such as
 * fs-ext4), with dependencies and softdeps, honouring blacklists.
 * Returns the number of modules newly inserted (0: all already loaded or built in),
 * -ENOENT when no module matches, or -errno from libkmod or the kernel; then refusal (when
 * not NULL) names the module that failed.
 */
int modload_alias(struct kmod_ctx *ctx, const char *alias, struct module_refusal *refusal);
