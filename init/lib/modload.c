/* Module loading is libkmod's job: lookup by alias, modules.dep, softdeps, blacklists. */
#include <errno.h>
#include <libkmod.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

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

int modload_alias(struct kmod_ctx *ctx, const char *alias, struct module_refusal *refusal)
{
	struct kmod_list *list = NULL, *item;
	int r = kmod_module_new_from_lookup(ctx, alias, &list);
	if (r < 0)
		return r;
	if (!list)
		return -ENOENT;

	int inserted = 0, first_error = 0;
	kmod_list_foreach(item, list) {
		struct kmod_module *mod = kmod_module_get_module(item);
		if (!module_is_loaded(mod)) {
			r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL,
							    NULL, NULL, NULL);
			if (r == 0) {
				inserted++;
			} else if (r < 0 && r != -EEXIST && !first_error) {
				first_error = r;
				if (refusal)
					name_refusal(mod, r, refusal);
			}
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return inserted ? inserted : first_error;
}
