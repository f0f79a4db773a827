/* After the screen: the rescue shell when it is allowed (the failed stage is then tried again), or
 * the policy: rd.emergency=, panic=, or staying for good. PID 1 never exits: the kernel would panic
 * with "Attempted to kill init". */
#include <errno.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "policy.h"
#include "spawn.h"
#include "sys.h"

bool shell_allowed(const struct boot *boot)
{
	const struct boot_options *opts = &boot->opts;
	if (access(IMAGE_SHELL, X_OK) < 0 || opts->shell == 0)
		return false;
	if (opts->shell == 1)
		return true;
	/* Not asked for either way: an explicit failure policy wins over the image's shell. */
	return opts->emergency_action == EMERGENCY_DEFAULT &&
		!(opts->panic_set && opts->panic_s != 0);
}

bool rescue_shell(const struct boot *boot, const char *reason)
{
	if (access(IMAGE_SHELL, X_OK) < 0 || boot->opts.shell == 0)
		return false;
	char *argv[] = { "sh", NULL };
	char *envp[] = { "PATH=" IMAGE_PATH, "HOME=/", "TERM=linux", "PS1=rdinit# ", NULL };
	struct program_result result;
	log_notice("%s: starting " IMAGE_SHELL " on the console; exit it to go on", reason);
	int r = run_program(IMAGE_SHELL, argv, envp, true, -1, &result);
	if (r < 0)
		log_error("unable to start " IMAGE_SHELL ": %s", strerror(-r));
	else if (result.signaled)
		log_notice("the shell was killed by signal %d", result.status);
	else
		log_notice("the shell exited (status %d)", result.status);
	return r == 0;
}

_Noreturn void apply_policy(const struct boot *boot)
{
	enum emergency_action action = boot->opts.emergency_action;
	int delay = boot->opts.panic_set ? boot->opts.panic_s : 0;
	if (action == EMERGENCY_DEFAULT && delay != 0)
		action = EMERGENCY_REBOOT;

	switch (action) {
	case EMERGENCY_POWEROFF:
		log_error("powering off (rd.emergency=poweroff)");
		sync();
		(void)reboot(RB_POWER_OFF);
		break;
	case EMERGENCY_HALT:
		log_error("halting (rd.emergency=halt)");
		sync();
		(void)reboot(RB_HALT_SYSTEM);
		break;
	case EMERGENCY_REBOOT:
		if (delay > 0) {
			log_error("rebooting in %d s (panic=%d)", delay, delay);
			sys_sleep_seconds(delay);
		} else {
			log_error("rebooting now");
		}
		sync();
		(void)reboot(RB_AUTOBOOT);
		break;
	case EMERGENCY_DEFAULT:
		log_error(
			"staying here: PID 1 must not exit; add rd.shell (with a shell in the image), "
			"rd.emergency= or panic=N");
		break;
	}
	for (;;) {
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			sys_sleep_seconds(3600);
	}
}
