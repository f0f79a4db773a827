/* Module loading is libkmod's job: lookup by alias, modules.dep, softdeps, blacklists. */
#include <errno.h>
#include <libkmod.h>
#include <stddef.h>

#include "modload.h"

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

int modload_alias(struct kmod_ctx *ctx, const char *alias)
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
		int state = kmod_module_get_initstate(mod);
		if (state != KMOD_MODULE_LIVE && state != KMOD_MODULE_BUILTIN &&
		    state != KMOD_MODULE_COMING) {
			r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL,
							    NULL, NULL);
			if (r == 0)
				inserted++;
			else if (r < 0 && r != -EEXIST && !first_error)
				first_error = r;
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return inserted ? inserted : first_error;
}
