/* microcode: the early microcode archive. The kernel's early loader (arch/x86/kernel/cpu/microcode) looks, before
 * anything is unpacked, for kernel/x86/microcode/GenuineIntel.bin or AuthenticAMD.bin in an uncompressed newc
 * archive at the very start of the initramfs; the main archive, compressed or not, follows it. Each file is the
 * vendor's blobs one after the other, as the kernel's Documentation/arch/x86/microcode.rst makes them (every file
 * of intel-ucode/; amd-ucode/microcode_amd*.bin), and as dracut, initramfs-tools and mkinitcpio do. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "messages.h"
#include "microcode.h"

/* The CPU as the first processor of /proc/cpuinfo gives it; -1 for a number it lacks. */
struct cpu {
	char vendor[32];
	long family, model, stepping;
};

/* The names, in a vendor's folder, of the blobs a CPU needs: at most two, "" for none. */
typedef void host_names_fn(const struct cpu *cpu, char names[2][48]);

/* Intel's blob is named by the CPU's family, model and stepping in hex; Debian's intel-microcode ships those
 * that must never be loaded late as NAME.initramfs, for the early loader only. */
static void intel_names(const struct cpu *cpu, char names[2][48])
{
	(void)snprintf(names[0], sizeof(names[0]), "%02lx-%02lx-%02lx", cpu->family, cpu->model,
		       cpu->stepping);
	(void)snprintf(names[1], sizeof(names[1]), "%02lx-%02lx-%02lx.initramfs", cpu->family,
		       cpu->model, cpu->stepping);
}

/* AMD's: one file a family from 15h on, one file for all those before. */
static void amd_names(const struct cpu *cpu, char names[2][48])
{
	if (cpu->family >= 0x15)
		(void)snprintf(names[0], sizeof(names[0]), "microcode_amd_fam%02lxh.bin",
			       cpu->family);
	else
		(void)snprintf(names[0], sizeof(names[0]), "microcode_amd.bin");
	names[1][0] = '\0';
}

static const struct vendor {
	const char *id;	    /* vendor_id in /proc/cpuinfo */
	const char *file;   /* in kernel/x86/microcode/ */
	const char *folder; /* in the firmware folder */
	const char *prefix; /* a blob's name starts with it */
	const char *suffix; /* and ends with it */
	host_names_fn *host_names;
} vendors[MICROCODE_VENDOR_COUNT] = {
	[MICROCODE_INTEL] = { "GenuineIntel", "GenuineIntel.bin", "intel-ucode", "", "",
			      intel_names },
	[MICROCODE_AMD] = { "AuthenticAMD", "AuthenticAMD.bin", "amd-ucode", "microcode_amd",
			    ".bin", amd_names },
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A name that VENDOR's early loader reads: not hidden, its prefix and suffix. */
static bool is_blob_name(const struct vendor *vendor, const char *name, size_t len)
{
	size_t prefix = strlen(vendor->prefix), suffix = strlen(vendor->suffix);
	return len > 0 && name[0] != '.' && len >= prefix + suffix &&
		strncmp(name, vendor->prefix, prefix) == 0 &&
		strncmp(name + len - suffix, vendor->suffix, suffix) == 0;
}

/* A blob name compressed as linux-firmware may ship it: the early loader cannot read it. */
static bool is_compressed_blob_name(const struct vendor *vendor, const char *name)
{
	size_t len = strlen(name);
	if (ends_with(name, ".xz"))
		return is_blob_name(vendor, name, len - 3);
	if (ends_with(name, ".zst"))
		return is_blob_name(vendor, name, len - 4);
	return false;
}

/* Reads the first processor's vendor_id, cpu family, model and stepping (decimal) from PATH. Returns 0 or
 * -errno. */
static int read_cpu(const char *path, struct cpu *cpu)
{
	char *data;
	size_t len;
	int r = read_whole_file(path, &data, &len);
	if (r < 0)
		return r;
	*cpu = (struct cpu){ .family = -1, .model = -1, .stepping = -1 };
	bool seen = false;
	for (char *line = data; *line;) {
		size_t n = strcspn(line, "\n");
		char *next = line + n + (line[n] == '\n');
		line[n] = '\0';
		char *colon = strchr(line, ':');
		if (!colon) {
			/* The blank line after the first processor's block. */
			if (seen && strspn(line, " \t") == n)
				break;
			line = next;
			continue;
		}
		seen = true;
		char *end = colon;
		while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		const char *value = colon + 1 + strspn(colon + 1, " \t");
		long *number = strcmp(line, "cpu family") == 0 ? &cpu->family
			: strcmp(line, "model") == 0	       ? &cpu->model
			: strcmp(line, "stepping") == 0	       ? &cpu->stepping
							       : NULL;
		if (strcmp(line, "vendor_id") == 0)
			(void)snprintf(cpu->vendor, sizeof(cpu->vendor), "%s", value);
		else if (number) {
			char *rest;
			errno = 0;
			long v = strtol(value, &rest, 10);
			if (!errno && rest != value && !*rest && v >= 0 && v <= 0xff)
				*number = v;
		}
		line = next;
	}
	free(data);
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The blob names of VENDOR in FOLDER, sorted, into *NAMES (each malloc'ed); *COMPRESSED counts those left out
 * as compressed. Returns 0 or -errno. */
static int list_blobs(const struct vendor *vendor, const char *folder, char ***names, size_t *n,
		      size_t *compressed)
{
	DIR *dir = opendir(folder);
	if (!dir)
		return -errno;
	size_t capacity = 0;
	int r = 0;
	*names = NULL;
	*n = 0;
	struct dirent *d;
	while (r == 0 && (errno = 0, d = readdir(dir))) {
		if (is_compressed_blob_name(vendor, d->d_name)) {
			(*compressed)++;
			continue;
		}
		if (!is_blob_name(vendor, d->d_name, strlen(d->d_name)))
			continue;
		r = grow_array((void **)names, &capacity, *n + 1, sizeof(**names));
		if (r == 0 && !((*names)[*n] = strdup(d->d_name)))
			r = -ENOMEM;
		if (r == 0)
			(*n)++;
	}
	if (r == 0 && errno)
		r = -errno;
	(void)closedir(dir);
	/* strcmp, not the locale's order: the same file on every machine. */
	if (r == 0 && *n)
		qsort(*names, *n, sizeof(**names), compare_names);
	return r;
}

/* Appends the regular file FOLDER/NAME to *DATA (*LEN bytes, room for *CAPACITY); *ADDED is set when it was one.
 * A name that is no regular file (a folder, a dangling link) is passed over. Returns 0 or -errno. */
static int append_blob(const char *folder, const char *name, char **data, size_t *len,
		       size_t *capacity, bool *added, char *path, size_t path_size)
{
	*added = false;
	(void)snprintf(path, path_size, "%s/%s", folder, name);
	struct stat st;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	char *blob;
	size_t blob_len;
	int r = read_whole_file(path, &blob, &blob_len);
	if (r < 0)
		return r;
	r = grow_array((void **)data, capacity, *len + blob_len + 1, 1);
	if (r == 0) {
		memcpy(*data + *len, blob, blob_len);
		*len += blob_len;
		*added = true;
	}
	free(blob);
	return r;
}

/* The firmware folder in which VENDOR's folder is first found, or NULL. */
static const char *find_vendor_dir(const struct options *opts, const struct vendor *vendor)
{
	/* As for the modules' firmware: -f, else where Debian 12 (/lib) and the merged-/usr systems keep it. */
	static const char *const default_dirs[] = { "/lib/firmware", "/usr/lib/firmware" };
	const char *const *dirs = opts->firmware_dir ? &opts->firmware_dir : default_dirs;
	size_t n_dirs = opts->firmware_dir ? 1 : sizeof(default_dirs) / sizeof(default_dirs[0]);
	for (size_t i = 0; i < n_dirs; i++) {
		char folder[4096];
		struct stat st;
		(void)snprintf(folder, sizeof(folder), "%s/%s", dirs[i], vendor->folder);
		if (stat(folder, &st) == 0 && S_ISDIR(st.st_mode))
			return dirs[i];
	}
	return NULL;
}

/* VENDOR's file into EARLY: every blob, or with CPU (--host-only) those it needs. */
static int add_vendor(const struct options *opts, enum microcode_vendor v, const struct cpu *cpu,
		      struct image *early, struct microcode_notes *notes)
{
	const struct vendor *vendor = &vendors[v];
	const char *dir = find_vendor_dir(opts, vendor);
	if (!dir)
		return 0;
	notes->vendors[v].dir = strdup(dir);
	char folder[4096], path[4352];
	(void)snprintf(folder, sizeof(folder), "%s/%s", dir, vendor->folder);

	char **names = NULL, host[2][48];
	size_t n = 0;
	int r = 0;
	if (cpu) {
		vendor->host_names(cpu, host);
		for (size_t i = 0; i < 2; i++) {
			struct stat st;
			const char *const compressed_suffixes[] = { ".xz", ".zst" };
			for (size_t j = 0; host[i][0] && j < 2; j++) {
				(void)snprintf(path, sizeof(path), "%s/%s%s", folder, host[i],
					       compressed_suffixes[j]);
				notes->compressed += stat(path, &st) == 0;
			}
		}
	} else {
		r = list_blobs(vendor, folder, &names, &n, &notes->compressed);
		if (r < 0)
			complain("unable to read the folder %s: %s", folder, strerror(-r));
	}

	char *data = NULL;
	size_t len = 0, capacity = 0;
	for (size_t i = 0; r == 0 && i < (cpu ? 2 : n); i++) {
		const char *name = cpu ? host[i] : names[i];
		bool added;
		if (!name[0])
			continue;
		r = append_blob(folder, name, &data, &len, &capacity, &added, path, sizeof(path));
		if (r < 0)
			complain("unable to read the microcode %s: %s", path, strerror(-r));
		notes->vendors[v].n_blobs += added;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);

	if (r == 0 && notes->vendors[v].n_blobs) {
		char target[64];
		(void)snprintf(target, sizeof(target), "kernel/x86/microcode/%s", vendor->file);
		notes->vendors[v].bytes = len;
		r = image_add_data(early, target, data, len, 0644, PART_FIRMWARE, folder);
		if (r < 0)
			complain("unable to add the microcode of %s: %s", folder, strerror(-r));
	}
	free(data);
	return r;
}

int microcode_build(const struct options *opts, struct image *early, struct microcode_notes *notes)
{
	for (size_t v = 0; v < MICROCODE_VENDOR_COUNT; v++) {
		notes->vendors[v].file = vendors[v].file;
		notes->vendors[v].folder = vendors[v].folder;
	}
	/* A built-in initramfs is not where the early loader looks. */
	if (opts->list || opts->no_microcode) {
		notes->skipped = opts->list ? "--list" : "--no-microcode";
		return 0;
	}

	struct cpu cpu;
	int r = 0;
	if (opts->host_only) {
		r = read_cpu(opts->cpuinfo, &cpu);
		if (r < 0) {
			complain("--host-only: unable to read the CPU from %s: %s (--no-microcode "
				 "builds without its microcode)",
				 opts->cpuinfo, strerror(-r));
			return r;
		}
	}
	for (size_t v = 0; v < MICROCODE_VENDOR_COUNT && r == 0; v++) {
		if (!opts->host_only) {
			r = add_vendor(opts, v, NULL, early, notes);
			continue;
		}
		if (strcmp(cpu.vendor, vendors[v].id) != 0)
			continue;
		if (cpu.family < 0 || cpu.model < 0 || cpu.stepping < 0) {
			complain(
				"--host-only: %s: the first processor (%s) has no cpu family, model "
				"and stepping",
				opts->cpuinfo, cpu.vendor);
			return -EINVAL;
		}
		char names[2][48];
		vendors[v].host_names(&cpu, names);
		(void)snprintf(notes->cpu, sizeof(notes->cpu),
			       "%s family 0x%lx model 0x%lx stepping 0x%lx: %s/%s%s%s", cpu.vendor,
			       cpu.family, cpu.model, cpu.stepping, vendors[v].folder, names[0],
			       names[1][0] ? " or " : "", names[1]);
		r = add_vendor(opts, v, &cpu, early, notes);
	}
	if (opts->host_only && r == 0 && !notes->cpu[0])
		(void)snprintf(notes->cpu, sizeof(notes->cpu),
			       "%s, for which the kernel loads none",
			       cpu.vendor[0] ? cpu.vendor : "a CPU without vendor_id");
	if (r == 0 && early->n_nodes) {
		char err[1024] = "";
		r = image_finalize(early, err, sizeof(err));
		if (r < 0)
			complain("unable to make the early microcode archive: %s",
				 err[0] ? err : strerror(-r));
	}
	return r;
}

void microcode_notes_free(struct microcode_notes *notes)
{
	for (size_t v = 0; v < MICROCODE_VENDOR_COUNT; v++)
		free(notes->vendors[v].dir);
}
