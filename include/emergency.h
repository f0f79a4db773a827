/* What happens when boot cannot go on: one screen saying what failed, what was asked for and
 * what was seen, then the policy (rd.shell, rd.emergency=, panic=). PID 1 never exits: the
 * kernel would panic with "Attempted to kill init". */
#pragma once
#include <stdbool.h>
#include "cmdline.h"

/* Gives the emergency screen the options it reports and whose policy it applies. */
void emergency_set_options(const struct boot_options *opts);

/*
 * A stage failed but can be tried again. Shows the screen, runs the emergency hooks, and when
 * a shell is allowed runs it and returns once it exits: the caller then tries its stage again.
 * Without a shell it applies the policy and never returns.
 */
void boot_failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A failure with no way back (no /proc, or the switch half done): like boot_failed(), but a
 * shell that exits is started again, and this never returns. */
_Noreturn void emergency(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs the image's /bin/sh on the console for the reason given (rd.break=...). Returns false,
 * having run nothing, when the image has no shell or rd.shell=0 forbids it. */
bool rescue_shell(const char *reason);
