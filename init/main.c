/* rdinit: the kernel runs this as PID 1 from the initramfs; it finds the real root, mounts it,
 * frees the initramfs and hands PID 1 to the real init. Read top to bottom, this is the boot. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "stages.h"

static const char not_pid1[] =
	"rdinit: this is an initramfs init and must be the kernel's PID 1 "
	"(as /init in the initramfs, or chosen with rdinit=); refusing to run as PID >1\n";

int main(int argc, char **argv)
{
	(void)argc;
	if (getpid() != 1) {
		(void)!write(STDERR_FILENO, not_pid1, sizeof not_pid1 - 1);
		return 1;
	}
	/* Nothing may interrupt the boot half-way; the real init gets a clean mask back. */
	sigset_t all;
	(void)sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, NULL);

	struct boot_options opts;
	struct blockdev root;
	mount_early_filesystems();
	read_boot_options(&opts);
	run_hooks(STAGE_PRE_UDEV, &opts, NULL);
	wait_for_root(&opts, &root);
	run_hooks(STAGE_PRE_MOUNT, &opts, &root);
	mount_root(&opts, &root);
	run_hooks(STAGE_PRE_PIVOT, &opts, &root);
	start_real_init(&opts, argv);
}
