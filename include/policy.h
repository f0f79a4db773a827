/* What happens after a stage failed and the screen has said why: the rescue shell, after which the
 * stage is tried again, or the policy (rd.shell, rd.emergency=, panic=), which ends the boot. */
#pragma once
#include <stdbool.h>

struct boot;

enum emergency_action {
	EMERGENCY_DEFAULT, /* panic= decides; without it, stay */
	EMERGENCY_REBOOT,
	EMERGENCY_POWEROFF,
	EMERGENCY_HALT,
};

/* Whether a failure may start the image's shell: rd.shell, or by default when the image has one and
 * no explicit policy (rd.emergency=, panic=) says otherwise; never with rd.shell=0. */
bool shell_allowed(const struct boot *boot);

/* Runs the image's shell on the console, saying reason, until it exits. Returns false, having run
 * nothing, when the image has no shell or rd.shell=0 forbids it. */
bool rescue_shell(const struct boot *boot, const char *reason);

/* rd.emergency= first, then panic=; with neither, PID 1 stays, reaping children, for good. */
_Noreturn void apply_policy(const struct boot *boot);
