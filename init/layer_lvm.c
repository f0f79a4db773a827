/* The lvm layer: activates the volume groups whose physical volumes appeared, with the image's lvm
 * (the lvm hook puts it there). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "log.h"
#include "spawn.h"
#include "stages.h"

/* lvm vgchange --sysinit --activate y [VG...]: the groups rd.lvm.vg= names, or every one found.
 * lvm sees every PV there is; a group whose PVs are not all there yet stays inactive until the next
 * member appears and this runs again. */
int lvm_activate(struct boot *boot, struct layer_state *state, const char *lvm)
{
	const struct boot_options *opts = &boot->opts;
	char *argv[6 + CMDLINE_LIST_MAX] = { "lvm", "vgchange", "--sysinit", "--activate", "y" };
	char groups[CMDLINE_LIST_MAX * 130] = "";
	size_t n = 5;
	for (size_t i = 0; i < opts->lvm_vg_count; i++) {
		argv[n++] = (char *)opts->lvm_vg[i];
		(void)snprintf(groups + strlen(groups), sizeof(groups) - strlen(groups), " %s",
			       opts->lvm_vg[i]);
	}
	argv[n] = NULL;
	log_info("lvm: activating volume groups:%s", groups[0] ? groups : " all");
	char *envp[] = { "PATH=" IMAGE_PATH, NULL };
	struct program_result result;
	int r = run_program(lvm, argv, envp, false, opts->hook_timeout_s * 1000, &result);
	if (r < 0) {
		(void)snprintf(state->note, sizeof(state->note), "unable to run %s: %s", lvm,
			       strerror(-r));
		return -EAGAIN;
	}
	if (result.timed_out || result.signaled || result.status != 0) {
		(void)snprintf(state->note, sizeof(state->note),
			       "lvm vgchange --activate y%.60s %s %d", groups,
			       result.timed_out		 ? "was killed on timeout, signal"
				       : result.signaled ? "was killed by signal"
							 : "failed with exit status",
			       result.timed_out ? 9 : result.status);
		return -EAGAIN;
	}
	(void)snprintf(state->note, sizeof(state->note), "activated volume groups:%.120s",
		       groups[0] ? groups : " all");
	return 0;
}
