/* Loading the kernel modules that uevents ask for, through libkmod. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "refusal.h"

struct kmod_ctx;

/* The kernel release the image's modules were built for (mkrdinit's /etc/rdinit/kernel-version)
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

/* MODALIASes of devices that can hold or reach a disk (PCI storage and USB controllers,
 * virtio, USB, SCSI, MMC) for which no module matched, for the emergency screen: a missing
 * driver shows up there. */
void modload_remember_unmatched(const char *modalias);
/* Modules that could not be loaded, once each, for the emergency screen. */
void modload_remember_refused(const char *alias, const struct module_refusal *refusal);
const struct module_refusal *modload_refused(unsigned *count, unsigned *dropped);
const char *const *modload_unmatched(unsigned *count, unsigned *dropped);
