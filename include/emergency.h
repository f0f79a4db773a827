/* The one way /init stops: say what failed, what was asked for and what was seen, then
 * apply the policy (panic=) and never exit, since the kernel panics when PID 1 exits. */
#pragma once
#include "cmdline.h"

/* Gives the emergency screen the options it reports and whose policy it applies. */
void emergency_set_options(const struct boot_options *opts);

_Noreturn void emergency(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
