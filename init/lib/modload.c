/* Module loading is libkmod's job: lookup by alias, modules.dep, softdeps, blacklists. */
#include <errno.h>
#include <libkmod.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "modload.h"
#include "sys.h"

int modload_image_kernel(char *built_for, size_t built_size, char *running, size_t running_size)
{
	struct utsname un;
	if (uname(&un) < 0)
		return -errno;
	(void)snprintf(running, running_size, "%s", un.release);
	ssize_t len = sys_read_file("/etc/rdinit/kernel-version", built_for, built_size);
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

#define UNMATCHED_MAX 8

static char unmatched[UNMATCHED_MAX][128];
static const char *unmatched_list[UNMATCHED_MAX];
static unsigned unmatched_count, unmatched_dropped;

/* Platform, ACPI, CPU and chipset aliases without a module are normal; a device that can
 * hold or reach a disk is not: PCI mass storage (class 01) and USB controllers (0c03), and
 * anything on the virtio, USB, SCSI and MMC buses. */
static bool may_hold_a_disk(const char *modalias)
{
	if (strncmp(modalias, "pci:", 4) == 0)
		return strstr(modalias, "bc01") || strstr(modalias, "bc0Csc03");
	static const char *const buses[] = { "virtio:", "usb:", "scsi:", "mmc:", "sdio:" };
	for (size_t i = 0; i < sizeof buses / sizeof buses[0]; i++)
		if (strncmp(modalias, buses[i], strlen(buses[i])) == 0)
			return true;
	return false;
}

void modload_remember_unmatched(const char *modalias)
{
	if (!may_hold_a_disk(modalias))
		return;
	for (unsigned i = 0; i < unmatched_count; i++)
		if (strncmp(unmatched[i], modalias, sizeof unmatched[i] - 1) == 0)
			return;
	if (unmatched_count == UNMATCHED_MAX) {
		unmatched_dropped++;
		return;
	}
	strncpy(unmatched[unmatched_count], modalias, sizeof unmatched[0] - 1);
	unmatched_list[unmatched_count] = unmatched[unmatched_count];
	unmatched_count++;
}

const char *const *modload_unmatched(unsigned *count, unsigned *dropped)
{
	*count = unmatched_count;
	*dropped = unmatched_dropped;
	return unmatched_list;
}
