/* The boot stages, in the order main() runs them. Each logs its own failures and ends in
 * emergency() when boot cannot go on: they return only on success. */
#pragma once
#include "cmdline.h"
#include "rootspec.h"

#define SYSROOT "/sysroot"

#define HOOKS_DIR "/lib/rdinit/hooks"

void mount_early_filesystems(void);
void read_boot_options(struct boot_options *opts);
void wait_for_root(const struct boot_options *opts, struct blockdev *root);
void mount_root(const struct boot_options *opts, const struct blockdev *root);
/* Runs the image's hooks for stage (every executable in HOOKS_DIR/<stage>, in lexical order), then stops for
 * rd.break= when it names this stage. root is NULL before it is found. */
void run_hooks(enum boot_stage stage, const struct boot_options *opts, const struct blockdev *root);
/* Whether the image has any hook for stage. */
bool hooks_present(enum boot_stage stage);
_Noreturn void start_real_init(const struct boot_options *opts, char **argv);
