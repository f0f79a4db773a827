/* rdinit: the kernel runs this as PID 1 from the initramfs; it finds the real root, mounts it,
 * frees the initramfs and hands PID 1 to the real init. Read top to bottom, main() is the boot;
 * the two functions above it are the one place that decides what a failed stage leads to. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "policy.h"
#include "screen.h"
#include "stages.h"
#include "sys.h"

static const char not_pid1[] =
	"rdinit: this is an initramfs init and must be the kernel's PID 1 "
	"(as /init in the initramfs, or chosen with rdinit=); refusing to run as PID >1\n";

/* A stage failed: the screen, the emergency hooks, then the shell when it is allowed, and the stage
 * is tried again once the shell exits; otherwise, or when it cannot be tried again, the policy. */
static void recover(struct boot *boot)
{
	screen_show(boot);
	/* The emergency hooks' own failure is said, and changes nothing of the stage's. */
	struct failure failed = boot->failure;
	if (run_hooks(boot, STAGE_EMERGENCY) < 0)
		log_error("%s", boot->failure.cause);
	boot->failure = failed;
	if (failed.final) {
		/* A shell that dies at once (no console to read) would be started again in a hot loop:
		 * wait longer each time, up to a minute. */
		int pause_s = 1;
		while (shell_allowed(boot)) {
			uint64_t start = timeline_now_ms();
			if (!rescue_shell(boot, "boot cannot go on from here"))
				break;
			if (timeline_now_ms() - start > 10000) {
				pause_s = 1;
				continue;
			}
			sys_sleep_seconds(pause_s);
			pause_s = pause_s < 60 ? pause_s * 2 : 60;
		}
		apply_policy(boot);
	}
	if (!shell_allowed(boot) || !rescue_shell(boot, "boot failed"))
		apply_policy(boot);
	log_notice("trying again");
}

static void run(struct boot *boot, int (*stage)(struct boot *boot))
{
	while (stage(boot) < 0)
		recover(boot);
}

/* A hook point: its hooks (tried again after a rescue shell, as any stage), then rd.break=. */
static void hooks(struct boot *boot, enum boot_stage stage)
{
	while (run_hooks(boot, stage) < 0)
		recover(boot);
	if (boot->opts.break_stage != stage)
		return;
	char reason[64];
	(void)snprintf(reason, sizeof(reason), "rd.break=%s", boot_stage_name(stage));
	if (!rescue_shell(boot, reason))
		log_warning("%s, but no shell (said above): going on", reason);
}

int main(int argc, char **argv)
{
	if (getpid() != 1) {
		(void)!write(STDERR_FILENO, not_pid1, sizeof(not_pid1) - 1);
		return 1;
	}
	/* systemd runs the copy rdinit left in /run/initramfs as /shutdown VERB, to end the machine. */
	const char *slash = strrchr(argv[0], '/');
	if (strcmp(slash ? slash + 1 : argv[0], "shutdown") == 0)
		run_shutdown(argc > 1 ? argv[1] : "poweroff");
	/* Nothing may interrupt the boot half-way; the real init gets a clean mask back. */
	sigset_t all;
	(void)sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, NULL);

	static struct boot boot; /* a table of 256 devices: too big for a stack */
	boot_init(&boot, argv);
	run(&boot, read_shell_policy);
	run(&boot, mount_early_filesystems);
	run(&boot, read_boot_options);
	hooks(&boot, STAGE_PRE_UDEV);
	run(&boot, find_root);
	hooks(&boot, STAGE_PRE_MOUNT);
	run(&boot, confirm_root);
	run(&boot, mount_root);
	run(&boot, find_usr);
	hooks(&boot, STAGE_PRE_MOUNT_USR);
	run(&boot, mount_usr);
	hooks(&boot, STAGE_PRE_PIVOT);
	run(&boot, start_real_init);
	/* start_real_init() returns only to fail, and run() only once a stage succeeded. */
	apply_policy(&boot);
}
