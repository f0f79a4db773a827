/* Loading drivers for the boot, with what went wrong noted in boot->drivers for the screen. */
#pragma once
#include "boot.h"

/* Loads every module alias names, with dependencies and softdeps. Returns the number inserted
 * (0 also when the image has no module index: then all is taken to be built in), -ENOENT when
 * nothing matched, or -errno; logs a refusal. */
int load_modules(struct boot *boot, const char *alias);
