/* Stage: the image's hooks for one point of the boot, in lexical order, each with a timeout. A hook
 * that fails stops the boot, naming it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	if (env->count == HOOK_ENV_MAX - 1 ||
	    env->stored == sizeof(env->storage) / sizeof(env->storage[0]))
		return;
	char *slot = env->storage[env->stored++];
	(void)snprintf(slot, sizeof(env->storage[0]), "%s=%s", name, value ? value : "");
	env->entries[env->count++] = slot;
}

/* The kernel's environment for us, plus what a hook needs to know about the boot. */
static void build_env(struct hook_env *env, enum boot_stage stage, const struct boot *boot)
{
	env->count = env->stored = 0;
	for (char **e = environ; *e && env->count < HOOK_ENV_MAX - 10; e++)
		if (strncmp(*e, "PATH=", 5) != 0)
			env->entries[env->count++] = *e;
	const struct boot_options *opts = &boot->opts;
	const struct blockdev *root = boot->root_found ? &boot->root : NULL;
	char device[64] = "";
	if (root)
		(void)snprintf(device, sizeof(device), "/dev/%s", root->name);
	env_add(env, "PATH", IMAGE_PATH);
	env_add(env, "RDINIT_STAGE", boot_stage_name(stage));
	env_add(env, "RDINIT_ROOT", opts->root);
	env_add(env, "RDINIT_ROOT_DEVICE", device);
	env_add(env, "RDINIT_ROOT_FSTYPE",
		opts->rootfstype[0] ? opts->rootfstype
			: root	    ? root->type
				    : "");
	env_add(env, "RDINIT_ROOTFLAGS", opts->rootflags);
	env_add(env, "RDINIT_SYSROOT", IMAGE_SYSROOT);
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
	(void)snprintf(dir, sizeof(dir), IMAGE_HOOKS_DIR "/%s", boot_stage_name(stage));
	return access(dir, F_OK) == 0;
}

int run_hooks(struct boot *boot, enum boot_stage stage)
{
	const struct boot_options *opts = &boot->opts;
	char dir[128], path[512];
	(void)snprintf(dir, sizeof(dir), IMAGE_HOOKS_DIR "/%s", boot_stage_name(stage));
	struct dirent **names;
	int n = scandir(dir, &names, only_visible, alphasort);
	if (n < 0)
		return 0;

	struct hook_env env;
	build_env(&env, stage, boot);
	int failed = 0;
	for (int i = 0; i < n; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (failed || access(path, X_OK) < 0)
			continue;
		char *argv[] = { path, (char *)boot_stage_name(stage), NULL };
		struct program_result result;
		uint64_t start = timeline_now_ms();
		int r = run_program(path, argv, env.entries, false, opts->hook_timeout_s * 1000,
				    &result);
		log_info("hook %s: %s %d after %llu ms", path,
			 r < 0			    ? "could not start, error"
				 : result.timed_out ? "killed on timeout, signal"
				 : result.signaled  ? "killed by signal"
						    : "exit status",
			 r < 0			    ? -r
				 : result.timed_out ? 9
						    : result.status,
			 (unsigned long long)(timeline_now_ms() - start));
		if (r < 0)
			failed = boot_fail(boot, r, "hook %s could not start: %s", path,
					   strerror(-r));
		else if (result.timed_out)
			failed = boot_fail(boot, -ETIMEDOUT,
					   "hook %s took longer than rd.hook_timeout=%d s", path,
					   opts->hook_timeout_s);
		else if (result.signaled)
			failed = boot_fail(boot, -EINTR, "hook %s was killed by signal %d", path,
					   result.status);
		else if (result.status != 0)
			failed = boot_fail(boot, -EIO, "hook %s failed with exit status %d", path,
					   result.status);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return failed;
}
