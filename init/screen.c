/* The emergency screen: the cause, what was asked for, what was seen, one hint. What happens then is
 * the policy's (policy.c). */
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "log.h"
#include "modload.h"
#include "policy.h"
#include "screen.h"

/* One 80x25 screen: the rest of the devices is summed up in one line. */
#define DEVICES_SHOWN 8

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

bool screen_lists_bus(const char *bus)
{
	static const char *const buses[] = { "pci", "virtio", "usb", "scsi", "mmc", "sdio" };
	for (size_t i = 0; i < sizeof(buses) / sizeof(buses[0]); i++)
		if (strcmp(bus, buses[i]) == 0)
			return true;
	return false;
}

bool screen_lists_modalias(const char *modalias)
{
	if (strncmp(modalias, "pci:", 4) == 0)
		return strstr(modalias, "bc01") || strstr(modalias, "bc0Csc03");
	/* A modalias begins with its bus's name. */
	char bus[16];
	size_t len = strcspn(modalias, ":");
	if (!modalias[len] || len >= sizeof(bus))
		return false;
	memcpy(bus, modalias, len);
	bus[len] = '\0';
	return screen_lists_bus(bus);
}

static void report_request(const struct boot_options *opts)
{
	int timeout = boot_options_root_timeout(opts);
	char timeout_text[32];
	(void)snprintf(timeout_text, sizeof(timeout_text), timeout < 0 ? "none" : "%d s", timeout);
	log_error("asked for: root=%s rootfstype=%s rootflags=%s %s, timeout %s",
		  or_dash(opts->root), or_dash(opts->rootfstype), or_dash(opts->rootflags),
		  opts->read_write ? "rw" : "ro", timeout_text);
}

static void report_devices(const struct devices *devices)
{
	if (devices->count == 0) {
		log_error("no block devices were seen");
		return;
	}
	log_error("block devices seen:");
	for (size_t i = 0; i < devices->count && i < DEVICES_SHOWN; i++) {
		const struct blockdev *d = &devices->list[i];
		log_error(
			"  /dev/%-10s %3u:%-3u %6llu MiB TYPE=%s UUID=%s LABEL=\"%s\" PARTUUID=%s "
			"PARTLABEL=\"%s\"",
			d->name, d->major, d->minor, d->size_bytes >> 20, or_dash(d->type),
			or_dash(d->uuid), d->label, or_dash(d->partuuid), d->partlabel);
	}
	if (devices->count > DEVICES_SHOWN || devices->dropped)
		log_error("  ... and %zu more", devices->count - DEVICES_SHOWN + devices->dropped);
}

static void report_drivers(const struct drivers_seen *d)
{
	if (d->unmatched_count)
		log_error("devices with no driver in the image:");
	for (unsigned i = 0; i < d->unmatched_count; i++)
		log_error("  %s", d->unmatched[i]);
	if (d->unmatched_dropped)
		log_error("  ... and %u more", d->unmatched_dropped);
	/* A driver in the image that did not load is not a driver missing from it: name it. */
	if (d->refused_count)
		log_error("modules in the image that could not be loaded:");
	for (unsigned i = 0; i < d->refused_count; i++)
		log_error("  %s for %s: %s: %s", d->refused[i].module, d->refused[i].alias,
			  d->refused[i].path, strerror(-d->refused[i].error));
	if (d->refused_dropped)
		log_error("  ... and %u more", d->refused_dropped);
}

/* What each storage layer did with the members it was given. */
static void report_layers(const struct boot *boot)
{
	for (int i = 0; i < LAYER_COUNT; i++)
		if (boot->layers[i].members)
			log_error("layer %s: %u member(s), run %u time(s)%s%s",
				  boot->layers[i].name, boot->layers[i].members,
				  boot->layers[i].runs, boot->layers[i].note[0] ? ": " : "",
				  boot->layers[i].note);
}

/* Returns whether the running kernel is the one the image's modules were built for. */
static bool report_kernel(void)
{
	char built_for[128], running[128];
	int r = modload_image_kernel(built_for, sizeof(built_for), running, sizeof(running));
	if (r < 0) {
		log_error("kernel %s; the image records no kernel version", running);
		return true;
	}
	log_error("kernel %s; image built for %s%s", running, built_for,
		  r ? "" : ": its modules cannot load");
	return r == 1;
}

/* One line on a refused module, by what refused it. */
static void report_refusal_hint(const struct module_refusal *refusal, bool same_kernel)
{
	char compression[32];
	bool enforced;
	kernel_module_abilities(compression, sizeof(compression), &enforced);
	switch (refusal_cause(refusal, compression, same_kernel)) {
	case REFUSED_SIGNATURE:
		log_error(
			"hint: the kernel refused the signature of %s (%s): it accepts only modules "
			"signed with a key it trusts (module.sig_enforce=1%s, or lockdown under Secure "
			"Boot); put the kernel package's own, unmodified module files in the image",
			refusal->module, strerror(-refusal->error), enforced ? " is set" : "");
		break;
	case REFUSED_COMPRESSION:
		log_error(
			"hint: %s is compressed in a form that neither this kernel (it decompresses "
			"%s) nor rdinit (xz, zstd with its size recorded, gzip) could read; build the "
			"image from the kernel package's own module files",
			refusal->path, *compression ? compression : "nothing");
		break;
	case REFUSED_OTHER_KERNEL:
		log_error(
			"hint: %s was built for another kernel: rebuild the image for the running "
			"kernel: mkrdinit -k \"$(uname -r)\" ...",
			refusal->module);
		break;
	case REFUSED_OTHER:
		log_error("hint: the kernel refused %s (%s); its own messages above say why",
			  refusal->module, strerror(-refusal->error));
		break;
	}
}

static const struct blockdev *first_filesystem(const struct devices *devices)
{
	for (size_t i = 0; i < devices->count; i++)
		if (devices->list[i].type[0])
			return &devices->list[i];
	return NULL;
}

/* One line saying what to try, from what was asked and what was seen. */
static void report_hint(const struct boot *boot, bool same_kernel)
{
	const struct boot_options *opts = &boot->opts;
	const struct devices *devices = &boot->devices;
	const struct drivers_seen *drivers = &boot->drivers;
	const struct blockdev *root = boot->root_found ? &boot->root : NULL;
	const struct blockdev *fs = first_filesystem(devices);

	if (!same_kernel)
		log_error(
			"hint: rebuild the image for the running kernel: mkrdinit -k \"$(uname -r)\" ...");
	else if (drivers->refused_count)
		report_refusal_hint(&drivers->refused[0], same_kernel);
	else if (devices->count == 0 && drivers->unmatched_count)
		log_error(
			"hint: no disk appeared; add the drivers for the devices above to the image");
	else if (devices->count == 0)
		log_error(
			"hint: no disk appeared; is its driver in the image, or built into the kernel?");
	else if (!root && fs && opts->root_ok)
		log_error(
			"hint: root=%s matches no device; /dev/%s has TYPE=%s UUID=%s LABEL=\"%s\"",
			opts->root, fs->name, fs->type, or_dash(fs->uuid), fs->label);
	else if (root && opts->rootfstype[0] && root->type[0] &&
		 !strstr(opts->rootfstype, root->type))
		log_error("hint: rootfstype=%s, but /dev/%s holds %s", opts->rootfstype, root->name,
			  root->type);
}

/* What comes after the screen: the rescue shell, or why not. */
static void report_shell(const struct boot *boot)
{
	const char *refusal = shell_refusal(boot);
	if (refusal)
		log_error("no rescue shell: %s", refusal);
	else if (boot->shell.policy == SHELL_PASSWORD)
		log_error("the rescue shell asks for its password (mkrdinit --shell=password)");
}

void screen_show(const struct boot *boot)
{
	log_open();
	/* "quiet" hides kernel messages below warnings; this screen must show all the same. */
	if (boot->opts.quiet)
		log_set_console_copy(true);
	log_error("boot failed: %s", boot->failure.cause);
	if (boot->timeline.count) {
		const struct timeline *t = &boot->timeline;
		log_error("got as far as: %s (+%llu ms)", t->marks[t->count - 1].what,
			  (unsigned long long)t->marks[t->count - 1].ms);
	}
	if (boot->image_freed)
		log_error(
			"the initramfs is gone (freed for the switch): the emergency hooks and the "
			"rescue shell now are the new root's (" IMAGE_HOOKS_DIR ", " IMAGE_SHELL
			" there), if it has any");
	report_request(&boot->opts);
	report_devices(&boot->devices);
	report_drivers(&boot->drivers);
	report_layers(boot);
	report_hint(boot, report_kernel());
	report_shell(boot);
}
