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

/* Why a failure does not start the image's shell, or NULL when it does: never with rd.shell=0, the
 * image's policy never (mkrdinit --shell), a locked password, or no shell in the image; otherwise with
 * rd.shell, or by default when no explicit policy (rd.emergency=, panic=) says otherwise. */
const char *shell_refusal(const struct boot *boot);
bool shell_allowed(const struct boot *boot);

/* Runs the image's shell on the console, saying reason, until it exits; with the policy password once
 * the password was typed. Returns false, having run nothing and said why, when the image has no shell,
 * rd.shell=0 or the image's policy forbids it, or the password was not given. */
bool rescue_shell(const struct boot *boot, const char *reason);

/* rd.emergency= first, then panic=; with neither, PID 1 stays, reaping children, for good. */
_Noreturn void apply_policy(const struct boot *boot);
