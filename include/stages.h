/* The boot stages, in the order main() runs them. Each logs its own failures and ends in
 * emergency() when boot cannot go on: they return only on success. */
#pragma once
#include "cmdline.h"
#include "rootspec.h"

#define SYSROOT "/sysroot"

void mount_early_filesystems(void);
void read_boot_options(struct boot_options *opts);
void wait_for_root(const struct boot_options *opts, struct blockdev *root);
void mount_root(const struct boot_options *opts, const struct blockdev *root);
_Noreturn void start_real_init(const struct boot_options *opts, char **argv);
