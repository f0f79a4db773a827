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

/* The variables rdinit sets for hooks, and room for the kernel's (at most 32, MAX_INIT_ENVS). */
#define HOOK_VARS 10
#define HOOK_ENV_MAX (HOOK_VARS + 64)

extern char **environ;

struct hook_env {
	char *entries[HOOK_ENV_MAX + 1];
	char storage[HOOK_VARS][CMDLINE_VALUE_MAX + 32];
	size_t count;
};

/* What a hook must not take from the kernel's environment (words of the command line the kernel
 * did not know): our own variables, which a hook trusts to come from rdinit; the dynamic loader's,
 * which would run code in every program a hook starts; and PATH, which is the image's. */
static bool from_rdinit_only(const char *entry)
{
	return strncmp(entry, "RDINIT_", 7) == 0 || strncmp(entry, "LD_", 3) == 0 ||
		strncmp(entry, "PATH=", 5) == 0;
}

/* The kernel's environment for us, plus what a hook needs to know about the boot. */
static void build_env(struct hook_env *env, enum boot_stage stage, const struct boot *boot)
{
	env->count = 0;
	for (char **e = environ; *e; e++) {
		if (from_rdinit_only(*e))
			log_warning(
				"hooks do not get %.*s from the kernel's environment (the command "
				"line): rdinit sets it, or it is the dynamic loader's",
				(int)strcspn(*e, "="), *e);
		else if (env->count < HOOK_ENV_MAX - HOOK_VARS)
			env->entries[env->count++] = *e;
		else
			log_warning("hooks do not get %.*s: more than %d variables in the kernel's "
				    "environment",
				    (int)strcspn(*e, "="), *e, HOOK_ENV_MAX - HOOK_VARS);
	}
	const struct boot_options *opts = &boot->opts;
	const struct blockdev *root = boot->root_found ? &boot->root : NULL;
	char device[64] = "";
	if (root)
		(void)snprintf(device, sizeof(device), "/dev/%s", root->name);
	/* /usr's type as its fstab line or mount.usrfstype= gives it, or as probed ("auto"). */
	char usr_device[64] = "";
	const char *usr_fstype = "";
	if (boot->usr.wanted) {
		(void)snprintf(usr_device, sizeof(usr_device), "/dev/%s", boot->usr.dev.name);
		usr_fstype = boot->usr.fstype;
		if (!usr_fstype[0] || strcmp(usr_fstype, "auto") == 0)
			usr_fstype = boot->usr.dev.type;
	}
	const char *vars[][2] = {
		{ "PATH", IMAGE_PATH },
		{ "RDINIT_STAGE", boot_stage_name(stage) },
		{ "RDINIT_ROOT", opts->root },
		{ "RDINIT_ROOT_DEVICE", device },
		{ "RDINIT_ROOT_FSTYPE",
		  opts->rootfstype[0] ? opts->rootfstype
			  : root      ? root->type
				      : "" },
		{ "RDINIT_ROOTFLAGS", opts->rootflags },
		{ "RDINIT_USR_DEVICE", usr_device },
		{ "RDINIT_USR_FSTYPE", usr_fstype },
		{ "RDINIT_SYSROOT", IMAGE_SYSROOT },
		{ "RDINIT_READ_WRITE", opts->read_write ? "1" : "0" },
	};
	_Static_assert(sizeof(vars) / sizeof(vars[0]) == HOOK_VARS, "a slot for each variable");
	for (size_t i = 0; i < HOOK_VARS; i++) {
		(void)snprintf(env->storage[i], sizeof(env->storage[i]), "%s=%s", vars[i][0],
			       vars[i][1]);
		env->entries[env->count++] = env->storage[i];
	}
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
