/* After the screen: the rescue shell when it is allowed (the failed stage is then tried again; who
 * gets it is the image's policy, as read_shell_policy() read it, then rd.shell's), or the policy:
 * rd.emergency=, panic=, or staying for good. PID 1 never exits: the kernel would panic with
 * "Attempted to kill init". */
#include <errno.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "policy.h"
#include "prompt.h"
#include "shellauth.h"
#include "spawn.h"
#include "sys.h"

/* Tries at one prompt, and the pause after each wrong password: 3 s, then 6 s, then 9 s. */
#define PASSWORD_TRIES 3
#define PASSWORD_PAUSE_S 3

/* Why the image's shell may not start at all, or NULL: the image's policy, which the command line can
 * tighten (rd.shell=0) but not loosen, and whether it has a shell. */
static const char *shell_forbidden(const struct boot *boot)
{
	if (boot->opts.shell == 0)
		return "rd.shell=0";
	if (boot->shell.problem[0])
		return boot->shell.problem;
	if (boot->shell.policy == SHELL_NEVER)
		return boot->opts.shell == 1
			? "the image's policy is never (mkrdinit --shell=never), "
			  "which rd.shell=1 cannot loosen"
			: "the image's policy is never (mkrdinit --shell=never)";
	if (access(IMAGE_SHELL, X_OK) < 0)
		return "the image has no " IMAGE_SHELL;
	return NULL;
}

const char *shell_refusal(const struct boot *boot)
{
	const char *why = shell_forbidden(boot);
	if (why || boot->opts.shell == 1)
		return why;
	/* Not asked for either way: an explicit failure policy wins over the image's shell. */
	if (boot->opts.emergency_action != EMERGENCY_DEFAULT)
		return "rd.emergency= decides, and rd.shell was not given";
	if (boot->opts.panic_set && boot->opts.panic_s != 0)
		return "panic= decides, and rd.shell was not given";
	return NULL;
}

bool shell_allowed(const struct boot *boot)
{
	return shell_refusal(boot) == NULL;
}

/* With the policy password: asks for it on the consoles, PASSWORD_TRIES times, pausing longer after
 * each wrong one. Returns whether it was given. */
static bool password_given(const struct boot *boot, const char *reason)
{
	int fds[PROMPT_CONSOLES_MAX];
	int count = prompt_open_consoles(fds, PROMPT_CONSOLES_MAX);
	if (count < 0) {
		log_error("%s: no rescue shell: no console to ask its password on: %s", reason,
			  strerror(-count));
		return false;
	}
	log_notice("%s: asking for the rescue shell's password on %d console(s)", reason, count);
	const char *prompt = "Password for the rescue shell (^D: none): ";
	char password[512];
	int r = -EPERM, tries = 0;
	while (r == -EPERM && tries < PASSWORD_TRIES) {
		tries++;
		ssize_t len = prompt_passphrase(fds, (size_t)count, prompt, password,
						sizeof(password), -1);
		r = len < 0 ? (int)len : shell_password_check(boot->shell.hash, password);
		explicit_bzero(password, sizeof(password));
		if (r == -EPERM) {
			log_warning("wrong password for the rescue shell, try %d of %d", tries,
				    PASSWORD_TRIES);
			sys_sleep_seconds(PASSWORD_PAUSE_S * tries);
			prompt = "Wrong password. Password for the rescue shell (^D: none): ";
		}
	}
	prompt_close_consoles(fds, (size_t)count);
	if (r == -EPERM)
		log_error("%s: no rescue shell: %d wrong passwords", reason, tries);
	else if (r == -ECANCELED)
		log_error("%s: no rescue shell: the password prompt was left (^C or ^D)", reason);
	else if (r < 0)
		log_error("%s: no rescue shell: unable to check its password: %s", reason,
			  strerror(-r));
	return r == 0;
}

bool rescue_shell(const struct boot *boot, const char *reason)
{
	const char *why = shell_forbidden(boot);
	if (why) {
		log_error("%s: no rescue shell: %s", reason, why);
		return false;
	}
	if (boot->shell.policy == SHELL_PASSWORD && !password_given(boot, reason))
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
