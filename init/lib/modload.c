/* Module loading is libkmod's job: lookup by alias, modules.dep, softdeps, blacklists. */
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "layout.h"
#include "modload.h"
#include "sys.h"

int modload_image_kernel(char *built_for, size_t built_size, char *running, size_t running_size)
{
	struct utsname un;
	if (uname(&un) < 0)
		return -errno;
	(void)snprintf(running, running_size, "%s", un.release);
	ssize_t len = sys_read_file(IMAGE_KERNEL_VERSION, built_for, built_size);
	if (len <= 0)
		return len < 0 ? (int)len : -ENODATA;
	built_for[strcspn(built_for, "\n")] = '\0';
	return strcmp(built_for, running) == 0;
}

int modload_write_blacklist(const struct module_names *names)
{
	char text[64 + CMDLINE_MODULES_MAX * (MODULE_NAME_MAX + 12)] =
		"# rd.driver.blacklist= of the kernel command line, written by rdinit\n";
	for (size_t i = 0; i < names->count; i++) {
		size_t used = strlen(text);
		(void)snprintf(text + used, sizeof(text) - used, "blacklist %s\n", names->names[i]);
	}
	int r = sys_mkdir_p(IMAGE_MODPROBE_DIR, 0755);
	int fd = r < 0 ? r : sys_open(IMAGE_CMDLINE_BLACKLIST, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fd;
	(void)close(fd);
	return sys_write_file(IMAGE_CMDLINE_BLACKLIST, text);
}

int modload_only_filesystem(char *module, size_t size)
{
	struct utsname un;
	if (uname(&un) < 0)
		return -errno;
	char path[sizeof(un.release) + 32];
	(void)snprintf(path, sizeof(path), "/lib/modules/%s/modules.alias", un.release);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char line[512], alias[256], name[MODULE_NAME_MAX];
	int r = -ENOENT;
	module[0] = '\0';
	while (r != -EEXIST && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "alias %255s %55s", alias, name) != 2 ||
		    strncmp(alias, "fs-", 3) != 0)
			continue;
		if (!module[0])
			(void)snprintf(module, size, "%s", name);
		r = strcmp(module, name) == 0 ? 0 : -EEXIST;
	}
	(void)fclose(f);
	return r;
}

/* libkmod logs through syslog by default; the stage decides what is worth saying. */
static void quiet_kmod_log(void *data, int priority, const char *file, int line, const char *fn,
			   const char *format, va_list args)
{
	(void)data, (void)priority, (void)file, (void)line, (void)fn, (void)format, (void)args;
}

int modload_open(struct kmod_ctx **ctx)
{
	*ctx = kmod_new(NULL, NULL);
	if (!*ctx)
		return -ENOMEM;
	kmod_set_log_fn(*ctx, quiet_kmod_log, NULL);
	int r = kmod_load_resources(*ctx);
	if (r < 0) {
		kmod_unref(*ctx);
		*ctx = NULL;
		return r;
	}
	return 0;
}

void modload_close(struct kmod_ctx *ctx)
{
	if (ctx)
		kmod_unref(ctx);
}

static bool module_is_loaded(struct kmod_module *mod)
{
	int state = kmod_module_get_initstate(mod);
	return state == KMOD_MODULE_LIVE || state == KMOD_MODULE_BUILTIN ||
		state == KMOD_MODULE_COMING;
}

static void copy_name(char *dst, size_t size, const char *src)
{
	(void)snprintf(dst, size, "%s", src ? src : "");
}

/* libkmod loads the dependencies first and says only that something failed: the first module of
 * the probe list that is not loaded now is the one. */
static void name_refusal(struct kmod_module *mod, int error, struct module_refusal *refusal)
{
	struct kmod_module *failed = NULL;
	struct kmod_list *deps = kmod_module_get_dependencies(mod), *item;
	kmod_list_foreach(item, deps) {
		struct kmod_module *dep = kmod_module_get_module(item);
		if (!failed && !module_is_loaded(dep))
			failed = kmod_module_ref(dep);
		kmod_module_unref(dep);
	}
	kmod_module_unref_list(deps);
	if (!failed)
		failed = kmod_module_ref(mod);
	copy_name(refusal->module, sizeof(refusal->module), kmod_module_get_name(failed));
	copy_name(refusal->path, sizeof(refusal->path), kmod_module_get_path(failed));
	refusal->error = error;
	kmod_module_unref(failed);
}

static bool is_blacklisted(struct kmod_ctx *ctx, const char *name)
{
	/* As libkmod compares them when it filters a probe list. */
	struct kmod_config_iter *iter = kmod_config_get_blacklists(ctx);
	bool found = false;
	while (iter && !found && kmod_config_iter_next(iter))
		found = strcmp(kmod_config_iter_get_key(iter), name) == 0;
	kmod_config_iter_free_iter(iter);
	return found;
}

/* Whether m, not loaded yet, may not be loaded: modprobe.d or the command line blacklists it, or
 * modprobe.d gives it an install command (*install). */
static bool refused_by_config(struct kmod_ctx *ctx, struct kmod_module *m, bool *install)
{
	if (module_is_loaded(m))
		return false;
	*install = kmod_module_get_install_commands(m) != NULL;
	return *install || is_blacklisted(ctx, kmod_module_get_name(m));
}

/* Whether mod is to be left out: it, or one of the modules it needs, may not be loaded. */
static bool must_skip(struct kmod_ctx *ctx, struct kmod_module *mod, struct module_skip *skip)
{
	bool install = false;
	struct kmod_module *culprit = NULL;
	if (refused_by_config(ctx, mod, &install))
		culprit = kmod_module_ref(mod);
	struct kmod_list *deps = kmod_module_get_dependencies(mod), *item;
	kmod_list_foreach(item, deps) {
		struct kmod_module *dep = kmod_module_get_module(item);
		if (!culprit && refused_by_config(ctx, dep, &install))
			culprit = kmod_module_ref(dep);
		kmod_module_unref(dep);
	}
	kmod_module_unref_list(deps);
	if (!culprit)
		return false;
	*skip = (struct module_skip){ .install = install };
	copy_name(skip->module, sizeof(skip->module), kmod_module_get_name(mod));
	copy_name(skip->culprit, sizeof(skip->culprit), kmod_module_get_name(culprit));
	kmod_module_unref(culprit);
	return true;
}

/* A blacklisted softdep, which libkmod leaves out of the probe list: to be said. */
static void note_blacklisted_softdep(struct kmod_ctx *ctx, struct kmod_module *mod,
				     struct module_skip *skip)
{
	struct kmod_list *pre = NULL, *post = NULL, *item;
	if (kmod_module_get_softdeps(mod, &pre, &post) < 0)
		return;
	for (int i = 0; i < 2 && !skip->culprit[0]; i++) {
		kmod_list_foreach(item, i == 0 ? pre : post) {
			struct kmod_module *m = kmod_module_get_module(item);
			if (!skip->culprit[0] && is_blacklisted(ctx, kmod_module_get_name(m))) {
				*skip = (struct module_skip){ .softdep = true };
				copy_name(skip->module, sizeof(skip->module),
					  kmod_module_get_name(mod));
				copy_name(skip->culprit, sizeof(skip->culprit),
					  kmod_module_get_name(m));
			}
			kmod_module_unref(m);
		}
	}
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);
}

/* libkmod would hand an install command to system(): PID 1 runs no command lines of modprobe.d
 * (the image may have no shell, and the command is the build machine's). A softdep with one is
 * left out; must_skip() has already kept back a module or dependency with one. */
static int refuse_install(struct kmod_module *mod, const char *cmd, void *data)
{
	(void)mod, (void)cmd, (void)data;
	return -EPERM;
}

/* The modules that match alias into *list: 0, -ENOENT when none does, or -errno. */
static int lookup(struct kmod_ctx *ctx, const char *alias, struct kmod_list **list)
{
	*list = NULL;
	int r = kmod_module_new_from_lookup(ctx, alias, list);
	if (r < 0)
		return r;
	return *list ? 0 : -ENOENT;
}

int modload_pending(struct kmod_ctx *ctx, const char *alias, char *first, size_t size)
{
	struct kmod_list *list, *item;
	int r = lookup(ctx, alias, &list);
	if (r < 0)
		return r;
	kmod_list_foreach(item, list) {
		struct kmod_module *mod = kmod_module_get_module(item);
		if (!r && !module_is_loaded(mod)) {
			copy_name(first, size, kmod_module_get_name(mod));
			r = 1;
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return r;
}

int modload_alias(struct kmod_ctx *ctx, const char *alias, const struct module_names *held,
		  struct module_refusal *refusal, struct module_skip *skip)
{
	struct kmod_list *list, *item;
	int r = lookup(ctx, alias, &list);
	if (r < 0)
		return r;

	struct module_skip ignored;
	if (!skip)
		skip = &ignored;
	*skip = (struct module_skip){ 0 };
	int inserted = 0, first_error = 0;
	kmod_list_foreach(item, list) {
		struct kmod_module *mod = kmod_module_get_module(item);
		struct module_skip this = { 0 };
		if (module_is_loaded(mod)) {
			/* nothing to do */
		} else if (held && module_names_contain(held, kmod_module_get_name(mod))) {
			this.held = true;
			copy_name(this.module, sizeof(this.module), kmod_module_get_name(mod));
		} else if (!must_skip(ctx, mod, &this)) {
			note_blacklisted_softdep(ctx, mod, &this);
			/* Not with async_probe: the kernel would name the disks in the order
			 * their probes finish (vda could be the second disk), and root=/dev/vda1
			 * would name another disk from one boot to the next. */
			r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST_ALL,
							    NULL, refuse_install, NULL, NULL);
			if (r == 0) {
				inserted++;
			} else if (r < 0 && r != -EEXIST && !first_error) {
				first_error = r;
				if (refusal)
					name_refusal(mod, r, refusal);
			}
		}
		if (this.module[0] && !skip->module[0])
			*skip = this;
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return inserted ? inserted : first_error;
}
