/* Stage: the image's hooks for one point of the boot, in lexical order, each with a timeout;
 * then rd.break= for that point. A hook that fails stops the boot, naming it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emergency.h"
#include "log.h"
#include "spawn.h"
#include "stages.h"

#define HOOK_ENV_MAX 64

extern char **environ;

struct hook_env {
	char *entries[HOOK_ENV_MAX];
	char storage[8][CMDLINE_VALUE_MAX + 32];
	size_t count, stored;
};

static void env_add(struct hook_env *env, const char *name, const char *value)
{
	if (env->count == HOOK_ENV_MAX - 1 || env->stored == sizeof env->storage / sizeof env->storage[0])
		return;
	char *slot = env->storage[env->stored++];
	(void)snprintf(slot, sizeof env->storage[0], "%s=%s", name, value ? value : "");
	env->entries[env->count++] = slot;
}

/* The kernel's environment for us, plus what a hook needs to know about the boot. */
static void build_env(struct hook_env *env, enum boot_stage stage, const struct boot_options *opts,
		      const struct blockdev *root)
{
	env->count = env->stored = 0;
	for (char **e = environ; *e && env->count < HOOK_ENV_MAX - 10; e++)
		if (strncmp(*e, "PATH=", 5) != 0)
			env->entries[env->count++] = *e;
	char device[64] = "";
	if (root)
		(void)snprintf(device, sizeof device, "/dev/%s", root->name);
	env_add(env, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
	env_add(env, "RDINIT_STAGE", boot_stage_name(stage));
	env_add(env, "RDINIT_ROOT", opts->root);
	env_add(env, "RDINIT_ROOT_DEVICE", device);
	env_add(env, "RDINIT_ROOT_FSTYPE", opts->rootfstype[0] ? opts->rootfstype : root ? root->type : "");
	env_add(env, "RDINIT_ROOTFLAGS", opts->rootflags);
	env_add(env, "RDINIT_SYSROOT", SYSROOT);
	env_add(env, "RDINIT_READ_WRITE", opts->read_write ? "1" : "0");
	env->entries[env->count] = NULL;
}

static int only_visible(const struct dirent *entry)
{
	return entry->d_name[0] != '.';
}

bool hooks_present(enum boot_stage stage)
{
	char dir[128];
	(void)snprintf(dir, sizeof dir, HOOKS_DIR "/%s", boot_stage_name(stage));
	return access(dir, F_OK) == 0;
}

/* Returns true when every hook succeeded; logs the first that did not. */
static bool run_stage_hooks(enum boot_stage stage, const struct boot_options *opts,
			    const struct blockdev *root, char *failed, size_t failed_size)
{
	char dir[128], path[512];
	(void)snprintf(dir, sizeof dir, HOOKS_DIR "/%s", boot_stage_name(stage));
	struct dirent **names;
	int n = scandir(dir, &names, only_visible, alphasort);
	if (n < 0)
		return true;

	struct hook_env env;
	build_env(&env, stage, opts, root);
	bool ok = true;
	for (int i = 0; i < n; i++) {
		(void)snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		if (!ok || access(path, X_OK) < 0)
			continue;
		char *argv[] = { path, (char *)boot_stage_name(stage), NULL };
		struct program_result result;
		uint64_t start = timeline_now_ms();
		int r = run_program(path, argv, env.entries, false, opts->hook_timeout_s * 1000, &result);
		log_info("hook %s: %s %d after %llu ms", path,
			 r < 0 ? "could not start, error" : result.timed_out ? "killed on timeout, signal" :
			 result.signaled ? "killed by signal" : "exit status",
			 r < 0 ? -r : result.timed_out ? 9 : result.status,
			 (unsigned long long)(timeline_now_ms() - start));
		if (r < 0)
			(void)snprintf(failed, failed_size, "hook %s could not start: %s", path, strerror(-r));
		else if (result.timed_out)
			(void)snprintf(failed, failed_size, "hook %s took longer than rd.hook_timeout=%d s",
				       path, opts->hook_timeout_s);
		else if (result.signaled)
			(void)snprintf(failed, failed_size, "hook %s was killed by signal %d", path,
				       result.status);
		else if (result.status != 0)
			(void)snprintf(failed, failed_size, "hook %s failed with exit status %d", path,
				       result.status);
		else
			continue;
		ok = false;
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ok;
}

void run_hooks(enum boot_stage stage, const struct boot_options *opts, const struct blockdev *root)
{
	char failed[768];
	while (!run_stage_hooks(stage, opts, root, failed, sizeof failed)) {
		/* The emergency stage's own hooks failing must not start another emergency. */
		if (stage == STAGE_EMERGENCY) {
			log_error("%s", failed);
			break;
		}
		boot_failed("%s", failed);
	}
	if (opts->break_stage == stage && stage != STAGE_EMERGENCY) {
		char reason[64];
		(void)snprintf(reason, sizeof reason, "rd.break=%s", boot_stage_name(stage));
		if (!rescue_shell(reason))
			log_warning("%s, but the image has no /bin/sh (or rd.shell=0): going on", reason);
	}
}
