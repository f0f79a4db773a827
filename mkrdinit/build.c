/* build: the image from the hooks' manifests. Every manifest is read, in the order of the hooks; their file, dir,
 * nod, slink, pipe, sock and hook lines go in as they are; each `binary` line brings its program with what its
 * loader lists; the `module` lines (with --host-only: those of hostonly hooks give way to what sysfs says the
 * root's devices need) bring the module files libkmod resolves, the firmware they name and the image's own
 * indexes from depmod; then the image is checked and put in archive order. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "binaries.h"
#include "build.h"
#include "expand.h"
#include "crypttab.h"
#include "rootspec.h"
#include "fileio.h"
#include "hostonly.h"
#include "layout.h"
#include "manifest.h"
#include "messages.h"
#include "modules.h"

/* The folder a HOOK argument names: itself when it has a '/', else the folder of that name in the hooks folder. */
static char *hook_folder(const struct options *opts, char *hook)
{
	size_t len = strlen(hook);
	while (len > 1 && hook[len - 1] == '/')
		hook[--len] = '\0';
	char *folder;
	if (strchr(hook, '/'))
		return strdup(hook);
	return asprintf(&folder, "%s/%s", opts->hooks_dir, hook) < 0 ? NULL : folder;
}

/* What --host-only does with an entry's hook: HOSTONLY_KEEP (not marked), HOSTONLY_REPLACE (`hostonly`: its
 * module lines give way to what sysfs says), HOSTONLY_KEYBOARD (`hostonly keyboard`: likewise, and sysfs is
 * asked for the keyboards' drivers too) or the ITEM of `hostonly if ITEM` (its module lines stay only when
 * sysfs says the root needs ITEM). */
static const char HOSTONLY_REPLACE[] = "";
static const char HOSTONLY_KEYBOARD[] = "";

/* Reads every hook's manifest into M; HOSTONLY[i] is NULL for an entry of a hook not marked `hostonly`, else
 * HOSTONLY_REPLACE, HOSTONLY_KEYBOARD or the ITEM of its `hostonly if ITEM`. */
static int read_manifests(const struct options *opts, struct manifest *m, char **folders,
			  char **display_names, const char ***hostonly)
{
	*hostonly = NULL;
	size_t capacity = 0;
	for (size_t i = 0; i < opts->n_hooks; i++) {
		folders[i] = hook_folder(opts, opts->hooks[i]);
		if (!folders[i] || asprintf(&display_names[i], "%s/manifest", folders[i]) < 0) {
			display_names[i] = NULL;
			complain("unable to read %s/manifest: %s", opts->hooks[i],
				 strerror(ENOMEM));
			return -ENOMEM;
		}
		struct manifest_context ctx = {
			.display_name = display_names[i],
			.base_dir = folders[i],
			.lookup = options_lookup_variable,
			.lookup_userdata = (void *)opts,
		};
		char err[1024] = "";
		size_t first = m->n_entries;
		int r = manifest_parse_file(m, display_names[i], &ctx, err, sizeof(err));
		if (r < 0) {
			if (err[0])
				complain("%s", err);
			else
				complain("unable to read %s: %s", display_names[i], strerror(-r));
			return r;
		}

		r = grow_array((void **)hostonly, &capacity, m->n_entries, sizeof(**hostonly));
		if (r < 0) {
			complain("unable to read %s: %s", display_names[i], strerror(-r));
			return r;
		}
		const char *mark = NULL;
		for (size_t j = first; j < m->n_entries; j++)
			if (m->entries[j].kind == MANIFEST_HOSTONLY)
				mark = m->entries[j].name	  ? m->entries[j].name
					: m->entries[j].keyboards ? HOSTONLY_KEYBOARD
								  : HOSTONLY_REPLACE;
		for (size_t j = first; j < m->n_entries; j++)
			(*hostonly)[j] = mark;
	}
	return 0;
}

static bool wants_keyboards(const char *const *hostonly, size_t n_entries)
{
	for (size_t i = 0; i < n_entries; i++)
		if (hostonly[i] == HOSTONLY_KEYBOARD)
			return true;
	return false;
}

/* Adds each `binary` line's program, libraries and loader. */
static int add_binaries(const struct manifest *m, struct image *img)
{
	int r = 0;
	for (size_t i = 0; i < m->n_entries && r == 0; i++) {
		const struct manifest_entry *e = &m->entries[i];
		if (e->kind != MANIFEST_BINARY)
			continue;
		struct binary_set set = { 0 };
		char err[1024] = "", *origin;
		if (asprintf(&origin, "binary %s at %s", e->name, e->source) < 0) {
			complain("unable to add %s: %s", e->name, strerror(ENOMEM));
			return -ENOMEM;
		}
		r = binaries_add(&set, e->name, e->source, err, sizeof(err));
		if (r < 0)
			complain("%s", err[0] ? err : strerror(-r));
		for (size_t j = 0; j < set.n_files && r == 0; j++) {
			const struct binary_file *f = &set.files[j];
			r = f->link_target ? image_add_symlink(img, f->path + 1, f->link_target,
							       PART_BINARIES, origin)
					   : image_add_file(img, f->path + 1, f->path, f->mode,
							    PART_BINARIES, origin);
			if (r < 0)
				complain("unable to add %s: %s", f->path, strerror(-r));
		}
		binary_set_free(&set);
		free(origin);
	}
	return r;
}

/* The firmware named FIRMWARE as the kernel's loader looks for it (drivers/base/firmware_loader: the name, then
 * with the suffix of each compression it was built for), from FIRMWARE_DIR. */
static int add_firmware(const struct options *opts, const char *firmware,
			const struct module_file *module, struct image *img,
			struct build_notes *notes)
{
	static const char *const suffixes[] = { "", ".xz", ".zst" };
	/* Without -f, where Debian 12 (/lib) and the merged-/usr systems (Debian 13, Fedora, Arch) keep it. */
	static const char *const default_dirs[] = { "/lib/firmware", "/usr/lib/firmware" };
	const char *const *dirs = opts->firmware_dir ? &opts->firmware_dir : default_dirs;
	size_t n_dirs = opts->firmware_dir ? 1 : sizeof(default_dirs) / sizeof(default_dirs[0]);
	bool safe = firmware[0] && firmware[0] != '/' && !strstr(firmware, "..");
	for (size_t i = 0; safe && i < sizeof(suffixes) / sizeof(suffixes[0]) * n_dirs; i++) {
		const char *suffix = suffixes[i % 3], *dir = dirs[i / 3];
		char *source, *path, *origin;
		if (asprintf(&source, "%s/%s%s", dir, firmware, suffix) < 0)
			return -ENOMEM;
		struct stat st;
		if (stat(source, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(source);
			continue;
		}
		int r = 0;
		/* Compressed as shipped: the kernel's loader decompresses it. */
		if (asprintf(&path, "lib/firmware/%s%s", firmware, suffix) < 0)
			r = -ENOMEM;
		else if (asprintf(&origin, "firmware of module %s (%s)", module->name,
				  module->origin) < 0) {
			free(path);
			r = -ENOMEM;
		} else {
			r = image_add_file(img, path, source, 0644, PART_FIRMWARE, origin);
			free(path);
			free(origin);
		}
		free(source);
		return r;
	}
	warn("firmware %s of module %s (%s) is not in %s; left out", firmware, module->name,
	     module->origin,
	     !safe			  ? "a firmware folder"
		     : opts->firmware_dir ? opts->firmware_dir
					  : "/lib/firmware or /usr/lib/firmware");
	notes->firmware_missing++;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool detected_has(const struct hostonly_set *detected, const char *name)
{
	for (size_t i = 0; i < detected->n_items; i++)
		if (strcmp(detected->items[i].name, name) == 0)
			return true;
	return false;
}

/* The module requests of the image: every `module` line, but with --host-only those of hooks marked `hostonly`
 * give way to what sysfs says the root needs, and those of `hostonly if ITEM` hooks stay only when that has ITEM. */
static int gather_requests(const struct options *opts, const struct manifest *m,
			   const char *const *hostonly, const struct hostonly_set *detected,
			   struct module_request **out, size_t *n_out, struct build_notes *notes)
{
	size_t n = detected->n_items;
	for (size_t i = 0; i < m->n_entries; i++)
		n += m->entries[i].kind == MANIFEST_MODULE;
	struct module_request *requests = calloc(n ? n : 1, sizeof(*requests));
	if (!requests) {
		complain("unable to resolve modules: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	n = 0;
	for (size_t i = 0; i < m->n_entries; i++) {
		if (m->entries[i].kind != MANIFEST_MODULE)
			continue;
		if (opts->host_only && hostonly[i] == HOSTONLY_REPLACE) {
			notes->hostonly_dropped++;
			continue;
		}
		if (opts->host_only && hostonly[i] == HOSTONLY_KEYBOARD) {
			notes->hostonly_keyboard_lines++;
			continue;
		}
		if (opts->host_only && hostonly[i] && !detected_has(detected, hostonly[i])) {
			notes->hostonly_unneeded++;
			continue;
		}
		requests[n++] = (struct module_request){ .name = m->entries[i].name,
							 .origin = m->entries[i].source };
	}
	for (size_t i = 0; i < detected->n_items; i++)
		requests[n++] = (struct module_request){
			.name = detected->items[i].name,
			.origin = detected->items[i].origin,
			.optional = true,
		};
	notes->hostonly_modules = detected->n_items;
	*out = requests;
	*n_out = n;
	return 0;
}

static void report_host_only(const struct options *opts, const struct hostonly_set *detected,
			     const struct module_request *requests, size_t n_requests,
			     const char *tree, const struct build_notes *notes)
{
	if (!opts->host_only)
		return;
	fprintf(stderr,
		"mkrdinit: host-only: '/' is %s on %s; instead of %zu module lines of hostonly hooks:",
		detected->fstype, detected->root_device, notes->hostonly_dropped);
	for (size_t i = 0; i < n_requests; i++)
		if (requests[i].optional && !requests[i].missing)
			fprintf(stderr, " %s", requests[i].name);
	fputc('\n', stderr);
	if (notes->hostonly_keyboard_lines && detected->n_keyboards) {
		fprintf(stderr,
			"mkrdinit: host-only: the drivers of %zu keyboard(s) instead of %zu module lines "
			"of `hostonly keyboard` hooks:",
			detected->n_keyboards, notes->hostonly_keyboard_lines);
		for (size_t i = 0; i < detected->n_keyboards; i++)
			fprintf(stderr, " %s", detected->keyboards[i]);
		fputc('\n', stderr);
	} else if (notes->hostonly_keyboard_lines)
		fprintf(stderr,
			"mkrdinit: host-only: no keyboard in %s/class/input: %zu module lines of "
			"`hostonly keyboard` hooks left out (a keyboard plugged in later has the "
			"kernel's built-in drivers only)\n",
			opts->sysfs, notes->hostonly_keyboard_lines);
	if (notes->hostonly_unneeded)
		fprintf(stderr,
			"mkrdinit: host-only: %zu module lines of `hostonly if` hooks left out: "
			"the root does not need what they are for\n",
			notes->hostonly_unneeded);
	/* A modalias that names no module is the common case (a bus, a bridge); a driver's module or an alias
	 * we made up that the tree lacks is worth a word. */
	for (size_t i = 0; i < n_requests; i++)
		if (requests[i].optional && requests[i].missing &&
		    !ends_with(requests[i].origin, "/modalias"))
			warn("host-only: %s (from %s) is not in %s; left out", requests[i].name,
			     requests[i].origin, tree);
}

/* The kernel release (-k, else the running kernel's) in *KVER, which may point into UTS, and the canonical folder of
 * its modules in *TREE: canonical, because libkmod makes the tree absolute and the files' paths in the image are
 * what follows it. */
static int find_module_tree(const struct options *opts, struct utsname *uts, const char **kver,
			    char **tree)
{
	*kver = opts->kver;
	if (!*kver) {
		if (uname(uts) < 0) {
			int r = -errno;
			complain("unable to find the running kernel's release: %s; use -k KVER",
				 strerror(-r));
			return r;
		}
		*kver = uts->release;
	}

	char *given_tree = NULL;
	int r = 0;
	if (!opts->modules_dir) {
		r = modules_find_tree("", *kver, &given_tree);
		if (r < 0)
			complain(
				"unable to find the modules of kernel %s in /lib/modules or /usr/lib/modules: %s; use -m DIR",
				*kver, strerror(-r));
	} else if (asprintf(&given_tree, "%s/%s", opts->modules_dir, *kver) < 0) {
		given_tree = NULL;
		r = -ENOMEM;
		complain("unable to resolve modules: %s", strerror(ENOMEM));
	}
	if (r == 0 && !(*tree = realpath(given_tree, NULL))) {
		r = -errno;
		complain("unable to find the modules of kernel %s at %s: %s", *kver, given_tree,
			 strerror(-r));
	}
	free(given_tree);
	return r;
}

/* RELPATH below lib/modules/KVER/ in the image, or NULL without memory. */
static char *module_tree_path(const char *kver, const char *relpath)
{
	char *path;
	return asprintf(&path, "lib/modules/%s/%s", kver, relpath) < 0 ? NULL : path;
}

/* Each compressed module of SET decompressed, to go in under its name without the suffix (expand.c says why).
 * Returns 0 or -errno with ERR filled in. */
static int expand_modules(struct module_set *set, struct build_notes *notes, char *err,
			  size_t err_size)
{
	for (size_t i = 0; i < set->n_files; i++) {
		struct module_file *file = &set->files[i];
		size_t suffix = expand_suffix_len(file->relpath);
		if (!suffix)
			continue;
		int r = expand_module(file->path, &file->data, &file->len, err, err_size);
		if (r < 0)
			return r;
		file->relpath[strlen(file->relpath) - suffix] = '\0';
		notes->modules_expanded++;
	}
	return 0;
}

/* Puts SET's files, the firmware they name, the INDEXES and the kernel-version note in the image; says why not. */
static int add_module_files(const struct options *opts, const char *kver,
			    const struct module_set *set, const struct module_indexes *indexes,
			    struct image *img, struct build_notes *notes)
{
	int r = 0;
	for (size_t i = 0; i < set->n_files && r == 0; i++) {
		const struct module_file *file = &set->files[i];
		char *path = module_tree_path(kver, file->relpath);
		if (!path)
			r = -ENOMEM;
		else if (file->data)
			r = image_add_data(img, path, file->data, file->len, 0644, PART_MODULES,
					   file->origin);
		else
			r = image_add_file(img, path, file->path, 0644, PART_MODULES, file->origin);
		free(path);
		for (size_t j = 0; j < file->n_firmware && r == 0; j++)
			r = add_firmware(opts, file->firmware[j], file, img, notes);
	}
	for (size_t i = 0; i < indexes->n_files && r == 0; i++) {
		const struct module_index *index = &indexes->files[i];
		char *path = module_tree_path(kver, index->name);
		r = path ? image_add_data(img, path, index->data, index->len, 0644,
					  PART_MODULE_INDEXES, "depmod")
			 : -ENOMEM;
		free(path);
	}
	/* Lets /init tell "this image is for another kernel" from "no such module" by comparing it with uname -r,
	 * and say so once instead of failing every modprobe. */
	if (r == 0) {
		char *line;
		int len = asprintf(&line, "%s\n", kver);
		if (len < 0)
			r = -ENOMEM;
		else {
			r = image_add_data(img, &IMAGE_KERNEL_VERSION[1], line, (size_t)len, 0644,
					   PART_MODULE_INDEXES, "mkrdinit");
			free(line);
		}
	}
	if (r < 0)
		complain("unable to add modules to the image: %s", strerror(-r));
	return r;
}

/* The modprobe.d libkmod reads here (or --modprobe-conf's), for the image and the resolving; nothing with
 * --no-modprobe-conf. */
static int read_modprobe_conf(const struct options *opts, struct modprobe_conf *conf)
{
	if (opts->no_modprobe_conf)
		return 0;
	const char *const *dirs = modules_default_modprobe_dirs;
	size_t n_dirs = 0;
	while (dirs[n_dirs])
		n_dirs++;
	if (opts->n_modprobe_dirs) {
		dirs = opts->modprobe_dirs;
		n_dirs = opts->n_modprobe_dirs;
	}
	char err[1024] = "";
	int r = modprobe_conf_read(dirs, n_dirs, conf, err, sizeof(err));
	if (r < 0)
		complain("%s", err);
	return r;
}

/* /init runs no install commands (PID 1 runs no command line of the build machine's): said for each. */
static void warn_install_lines(const struct modprobe_file *file)
{
	size_t number = 1;
	for (const char *line = file->data; line < file->data + file->len; number++) {
		size_t len = strcspn(line, "\n");
		char text[256], command[8], module[64];
		(void)snprintf(text, sizeof(text), "%.*s", (int)len, line);
		if (sscanf(text, " %7s %63s", command, module) == 2 &&
		    strcmp(command, "install") == 0)
			warn("%s:%zu: /init runs no install commands: it will not load %s from the image",
			     file->path, number, module);
		line += len + 1;
	}
}

/* Each modprobe.d file in IMAGE_MODPROBE_DIR; an install line is said, as /init will not run it. */
static int add_modprobe_conf(const struct modprobe_conf *conf, struct image *img)
{
	int r = 0;
	for (size_t i = 0; i < conf->n_files && r == 0; i++) {
		const struct modprobe_file *file = &conf->files[i];
		char *path;
		if (asprintf(&path, "%s/%s", &IMAGE_MODPROBE_DIR[1], file->name) < 0)
			return -ENOMEM;
		if (strcmp(path, &IMAGE_CMDLINE_BLACKLIST[1]) == 0)
			warn("%s: /init writes rd.driver.blacklist= to a file of that name; left out",
			     file->path);
		else
			r = image_add_data(img, path, file->data, file->len, 0644,
					   PART_MODULE_CONFIG, file->path);
		free(path);
		warn_install_lines(file);
	}
	if (r < 0)
		complain("unable to add modprobe.d to the image: %s", strerror(-r));
	return r;
}

/* The `module` lines (with --host-only, what sysfs says instead of the hostonly hooks' lines) resolved in the
 * kernel's tree, with their firmware, the image's own indexes and the machine's modprobe.d. */
static int add_modules(const struct options *opts, const struct manifest *m,
		       const char *const *hostonly, const struct hostonly_set *detected,
		       struct image *img, struct build_notes *notes)
{
	struct module_request *requests = NULL;
	size_t n_requests = 0;
	struct utsname uts;
	const char *kver = NULL;
	char *tree = NULL;
	struct module_set set = { 0 };
	struct module_indexes indexes = { 0 };
	struct modprobe_conf conf = { 0 };
	char err[1024] = "";

	int r = gather_requests(opts, m, hostonly, detected, &requests, &n_requests, notes);
	if (r == 0 && n_requests > 0)
		r = find_module_tree(opts, &uts, &kver, &tree);
	if (r == 0 && n_requests > 0)
		r = read_modprobe_conf(opts, &conf);
	if (r < 0 || n_requests == 0)
		goto cleanup;

	r = modules_resolve(tree, &conf, requests, n_requests, &set, err, sizeof(err));
	bool expand = opts->decompress_modules == DECOMPRESS_YES ||
		(opts->decompress_modules == DECOMPRESS_AUTO && opts->host_only);
	if (r == 0 && expand)
		r = expand_modules(&set, notes, err, sizeof(err));
	if (r == 0) {
		report_host_only(opts, detected, requests, n_requests, tree, notes);
		r = modules_build_indexes(tree, kver, &set, opts->depmod, &indexes, err,
					  sizeof(err));
	}
	if (r < 0)
		complain("%s", err[0] ? err : strerror(-r));
	else
		r = add_module_files(opts, kver, &set, &indexes, img, notes);
	if (r == 0)
		r = add_modprobe_conf(&conf, img);

cleanup:
	modprobe_conf_free(&conf);
	module_set_free(&set);
	module_indexes_free(&indexes);
	free(requests);
	free(tree);
	return r;
}

/* The lines of one crypttab, checked as /init will read them, appended to TEXT; with NAMES, only the lines of
 * those mappings. Each line's key file goes in at its path, mode 0400, and makes the image secret. */
static int add_crypttab_lines(const char *path, const char *origin, char *const *names,
			      size_t n_names, struct image *img, char **text, size_t *text_len,
			      size_t *capacity, size_t *entries)
{
	char *data;
	size_t len;
	int r = read_whole_file(path, &data, &len);
	if (r < 0) {
		complain("%s: unable to read crypttab %s: %s", origin, path, strerror(-r));
		return r;
	}
	size_t number = 0;
	for (char *line = data; r == 0 && *line; number++) {
		char *end = line + strcspn(line, "\n");
		bool last = *end == '\0';
		*end = '\0';
		struct crypt_target t;
		char unsupported[256];
		const char *reason = "malformed";
		int e = crypttab_parse_line(line, &t, unsupported, sizeof(unsupported), &reason);
		bool wanted = e == 1 && !names;
		for (size_t i = 0; e == 1 && i < n_names; i++)
			wanted |= strcmp(names[i], t.name) == 0;
		if (e < 0) {
			complain("%s:%zu: %s (crypttab from %s)", path, number + 1, reason, origin);
			r = -EINVAL;
		} else if (wanted && unsupported[0]) {
			complain(
				"%s:%zu: %s: /init does not support the option(s) %s (crypttab from %s)",
				path, number + 1, t.name, unsupported, origin);
			r = -EINVAL;
		} else if (wanted) {
			size_t n = strlen(line);
			r = grow_array((void **)text, capacity, *text_len + n + 2, 1);
			if (r == 0) {
				memcpy(*text + *text_len, line, n);
				*text_len += n;
				(*text)[(*text_len)++] = '\n';
				(*entries)++;
			}
			/* A key on another device stays there; one in the machine's files comes along. */
			if (r == 0 && t.keyfile[0] && !t.keydev_set) {
				r = image_add_file(img, t.keyfile + 1, t.keyfile, 0400, PART_FILES,
						   origin);
				img->secret = true;
			}
			if (r == 0 && t.header[0])
				r = image_add_file(img, t.header + 1, t.header, 0400, PART_FILES,
						   origin);
		}
		line = last ? end : end + 1;
	}
	free(data);
	return r;
}

/* The image's /etc/crypttab: the lines of every `crypttab` line's file, and with --host-only those of this
 * machine's crypttab for the dm-crypt devices under '/'. */
static int add_crypttab(const struct options *opts, const struct manifest *m,
			const struct hostonly_set *detected, struct image *img)
{
	char *text = NULL;
	size_t len = 0, capacity = 0, entries = 0;
	int r = 0;
	for (size_t i = 0; i < m->n_entries && r == 0; i++)
		if (m->entries[i].kind == MANIFEST_CRYPTTAB)
			r = add_crypttab_lines(m->entries[i].location, m->entries[i].source, NULL,
					       0, img, &text, &len, &capacity, &entries);
	if (r == 0 && opts->host_only && detected->n_crypt_names) {
		size_t before = entries;
		/* No crypttab on this machine is as good as an empty one: the warning below says it. */
		if (access(opts->crypttab, F_OK) == 0)
			r = add_crypttab_lines(opts->crypttab, "--host-only", detected->crypt_names,
					       detected->n_crypt_names, img, &text, &len, &capacity,
					       &entries);
		if (r == 0 && entries - before < detected->n_crypt_names)
			warn("host-only: '/' and the resume device are on %zu dm-crypt device(s), and %s has lines "
			     "for %zu of them: /init will ask for the others as luks-UUID",
			     detected->n_crypt_names, opts->crypttab, entries - before);
	}
	if (r == 0 && entries)
		r = image_add_data(img, "etc/crypttab", text, len, 0644, PART_FILES, "crypttab");
	free(text);
	return r;
}

/* RESUME=VALUE of initramfs-tools' conf.d/resume (quotes dropped) into VALUE, or "" (also for none). */
static void read_resume_conf(const char *path, char *value, size_t size)
{
	char *data;
	size_t len;
	value[0] = '\0';
	if (read_whole_file(path, &data, &len) < 0)
		return;
	for (char *line = data; *line;
	     line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != '\0')) {
		if (strncmp(line, "RESUME=", 7) != 0)
			continue;
		const char *v = line + 7;
		size_t n = strcspn(v, "\n");
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
			v++, n -= 2;
		(void)snprintf(value, size, "%.*s", (int)n, v);
	}
	free(data);
	if (strcmp(value, "none") == 0)
		value[0] = '\0';
}

/* The device a resume= spec names on this machine, through udev's /dev/disk/by-* links or /dev. */
static int resume_devnum(const struct root_spec *spec, unsigned *major, unsigned *minor)
{
	static const char *const links[] = {
		[ROOT_BY_UUID] = "/dev/disk/by-uuid/",
		[ROOT_BY_LABEL] = "/dev/disk/by-label/",
		[ROOT_BY_PARTUUID] = "/dev/disk/by-partuuid/",
		[ROOT_BY_PARTLABEL] = "/dev/disk/by-partlabel/",
		[ROOT_BY_DEVNAME] = "/dev/",
		[ROOT_BY_DM_NAME] = "/dev/mapper/",
		[ROOT_BY_MD_NAME] = "/dev/md/",
	};
	if (spec->kind == ROOT_BY_DEVNUM) {
		*major = spec->major;
		*minor = spec->minor;
		return 0;
	}
	char path[512];
	struct stat st;
	(void)snprintf(path, sizeof(path), "%s%s", links[spec->kind], spec->value);
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	*major = major(st.st_rdev);
	*minor = minor(st.st_rdev);
	return 0;
}

/* The image's resume device into RESUME ("" for none): --resume, else with --host-only the machine's; with
 * --host-only, what that device needs goes into DETECTED, as what '/' needs did. */
static int find_resume(const struct options *opts, struct hostonly_set *detected, char *resume,
		       size_t size)
{
	resume[0] = '\0';
	if (opts->resume)
		(void)snprintf(resume, size, "%s", opts->resume);
	else if (opts->host_only)
		read_resume_conf(opts->resume_conf, resume, size);
	struct root_spec spec;
	const char *reason;
	if (!resume[0])
		return 0;
	if (root_spec_parse(resume, &spec, &reason) < 0) {
		complain("%s: RESUME=%s: %s", opts->resume_conf, resume, reason);
		return -EINVAL;
	}
	unsigned maj = 0, min = 0;
	if (!opts->host_only)
		return 0;
	int r = resume_devnum(&spec, &maj, &min);
	if (r < 0) {
		warn("host-only: resume device %s is not on this machine (%s): its drivers and layers are not "
		     "looked for",
		     resume, strerror(-r));
		return 0;
	}
	char err[1024] = "";
	r = hostonly_add_device(opts->sysfs, maj, min, detected, err, sizeof(err));
	if (r < 0)
		complain("--host-only: resume device %s: %s", resume, err[0] ? err : strerror(-r));
	return r;
}

/* The resume device for a command line without resume= (IMAGE_RESUME), as find_resume() found it; and
 * with --host-only, the mdadm.conf lines of the arrays under '/': its HOMEHOST, DEVICE
 * and such, and the ARRAY lines whose device is one of them. */
static int add_host_config(const struct options *opts, const struct hostonly_set *detected,
			   char *resume, struct image *img)
{
	int r = 0;
	if (resume[0]) {
		strcat(resume, "\n");
		r = image_add_data(img, &IMAGE_RESUME[1], resume, strlen(resume), 0644, PART_FILES,
				   opts->resume ? "--resume" : opts->resume_conf);
	}
	if (r < 0 || !opts->host_only || !detected->n_md_names ||
	    access(opts->mdadm_conf, F_OK) < 0)
		return r;

	char *data, *kept = NULL;
	size_t len, kept_len = 0, capacity = 0, arrays = 0;
	r = read_whole_file(opts->mdadm_conf, &data, &len);
	if (r < 0) {
		complain("--host-only: unable to read %s: %s", opts->mdadm_conf, strerror(-r));
		return r;
	}
	for (char *line = data; r == 0 && *line;) {
		size_t n = strcspn(line, "\n");
		bool last = line[n] == '\0';
		line[n] = '\0';
		bool keep = strncmp(line, "ARRAY", 5) != 0;
		if (!keep) {
			/* ARRAY /dev/md/NAME ...: its device, as udev links it here, one of the arrays? */
			char device[256], real[4096];
			if (sscanf(line, "ARRAY %255s", device) == 1 && realpath(device, real))
				for (size_t i = 0; i < detected->n_md_names && !keep; i++)
					keep = strcmp(strrchr(real, '/') + 1,
						      detected->md_names[i]) == 0;
			arrays += keep;
		}
		if (keep && line[0] != '#' && line[0]) {
			r = grow_array((void **)&kept, &capacity, kept_len + n + 2, 1);
			if (r == 0) {
				memcpy(kept + kept_len, line, n);
				kept_len += n;
				kept[kept_len++] = '\n';
			}
		}
		line += n + !last;
	}
	if (r == 0 && arrays)
		r = image_add_data(img, "etc/mdadm/mdadm.conf", kept, kept_len, 0644, PART_FILES,
				   opts->mdadm_conf);
	else if (r == 0)
		warn("host-only: '/' is on md array(s), and %s has no ARRAY line for them: mdadm names them "
		     "itself",
		     opts->mdadm_conf);
	free(kept);
	free(data);
	return r;
}

/* root's hash in a shadow(5) file into *hash (malloc'ed): its second field. */
static int read_root_hash(const char *shadow, char **hash)
{
	char *data;
	size_t len;
	int r = read_whole_file(shadow, &data, &len);
	if (r < 0) {
		complain(
			"--shell=password: unable to read root's password hash from %s: %s (run as root, or give "
			"--shell-hash or --shell-hash-from)",
			shadow, strerror(-r));
		return r;
	}
	r = -ENOENT;
	for (char *line = data; *line && r == -ENOENT;
	     line += strcspn(line, "\n"), line += *line == '\n') {
		if (strncmp(line, "root:", 5) != 0)
			continue;
		size_t n = strcspn(line + 5, ":\n");
		*hash = strndup(line + 5, n);
		r = *hash ? 0 : -ENOMEM;
	}
	explicit_bzero(data, len);
	free(data);
	if (r < 0)
		complain("--shell=password: %s: %s", shadow,
			 r == -ENOENT ? "no line for root" : strerror(-r));
	return r;
}

/* The hash of --shell-hash, --shell-hash-from's first line or root's into *hash (malloc'ed), and where it came
 * from into *origin. */
static int find_shell_hash(const struct options *opts, char **hash, const char **origin)
{
	if (opts->shell_hash) {
		*origin = "--shell-hash";
		*hash = strdup(opts->shell_hash);
		return *hash ? 0 : -ENOMEM;
	}
	if (!opts->shell_hash_from) {
		*origin = opts->shadow;
		return read_root_hash(opts->shadow, hash);
	}
	*origin = opts->shell_hash_from;
	size_t len;
	int r = read_whole_file(opts->shell_hash_from, hash, &len);
	if (r < 0)
		complain("--shell-hash-from: unable to read %s: %s", opts->shell_hash_from,
			 strerror(-r));
	else
		(*hash)[strcspn(*hash, "\n")] = '\0';
	return r;
}

/* A hash /init can check, as crypt(3) would take it: a locked or empty one only warns (the image then gives
 * nobody the shell), one of a method /init's libcrypt lacks is an error. */
static int check_shell_hash(const char *hash, const char *origin)
{
	static const char *const methods[] = { "$y$", "$6$", "$5$" };
	if (hash[strcspn(hash, ": \t\r\n")]) {
		complain(
			"--shell=password: %s: the hash holds a ':' or white space: not a crypt(3) hash",
			origin);
		return -EINVAL;
	}
	if (!hash[0] || hash[0] == '!' || hash[0] == '*') {
		warn("--shell=password: the hash from %s is %s: the image gives nobody the rescue shell",
		     origin, hash[0] ? "locked ('!' or '*')" : "empty");
		return 0;
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strncmp(hash, methods[i], strlen(methods[i])) == 0)
			return 0;
	complain(
		"--shell=password: %s: the hash's method (%.*s) is not one /init checks: yescrypt ($y$), SHA-512 "
		"($6$) or SHA-256 ($5$) crypt",
		origin, (int)strcspn(hash + 1, "$") + 2, hash);
	return -EINVAL;
}

/* Who gets the rescue shell (IMAGE_SHELL_POLICY), when --shell says: without it the image has no policy file,
 * open to /init, as every image was before the policy (and the files of the image stay what they were); with
 * --shell=password the hash too (IMAGE_SHELL_HASH, 0600), which makes the image secret. */
static int add_shell_policy(const struct options *opts, struct image *img)
{
	if (!opts->shell_given)
		return 0;
	char line[32];
	int len = snprintf(line, sizeof(line), "%s\n", shell_policy_name(opts->shell));
	int r = image_add_data(img, &IMAGE_SHELL_POLICY[1], line, (size_t)len, 0644, PART_FILES,
			       "--shell");
	if (r < 0) {
		complain("unable to add " IMAGE_SHELL_POLICY ": %s", strerror(-r));
		return r;
	}
	if (opts->shell != SHELL_PASSWORD)
		return 0;
	char *hash = NULL;
	const char *origin = "--shell-hash";
	r = find_shell_hash(opts, &hash, &origin);
	if (r == 0)
		r = check_shell_hash(hash, origin);
	if (r == 0) {
		size_t n = strlen(hash);
		hash[n] = '\n';
		r = image_add_data(img, &IMAGE_SHELL_HASH[1], hash, n + 1, 0600, PART_FILES,
				   origin);
		if (r < 0)
			complain("unable to add " IMAGE_SHELL_HASH ": %s", strerror(-r));
		hash[n] = '\0';
		img->secret = true;
	} else if (r == -ENOMEM) {
		complain("unable to add " IMAGE_SHELL_HASH ": %s", strerror(-r));
	}
	if (hash)
		explicit_bzero(hash, strlen(hash));
	free(hash);
	return r;
}

int build_image(const struct options *opts, struct image *img, struct build_notes *notes)
{
	struct manifest m = { 0 };
	const char **hostonly = NULL;
	char **folders = calloc(opts->n_hooks, sizeof(*folders));
	char **display_names = calloc(opts->n_hooks, sizeof(*display_names));
	if (!folders || !display_names) {
		free(folders);
		free(display_names);
		complain("unable to read the manifests: %s", strerror(ENOMEM));
		return -ENOMEM;
	}

	struct hostonly_set detected = { 0 };
	int r = read_manifests(opts, &m, folders, display_names, &hostonly);
	if (r == 0 && opts->host_only) {
		char err[1024] = "";
		r = hostonly_detect(opts->sysfs, opts->mountinfo, &detected, err, sizeof(err));
		if (r < 0)
			complain("--host-only: %s", err[0] ? err : strerror(-r));
	}
	if (r == 0 && opts->host_only && wants_keyboards(hostonly, m.n_entries)) {
		char err[1024] = "";
		r = hostonly_add_keyboards(opts->sysfs, &detected, err, sizeof(err));
		if (r < 0)
			complain("--host-only: %s", err[0] ? err : strerror(-r));
	}
	char resume[512] = "";
	if (r == 0)
		r = find_resume(opts, &detected, resume, sizeof(resume) - 1);
	for (size_t i = 0; i < m.n_entries && r == 0; i++) {
		enum manifest_kind kind = m.entries[i].kind;
		if (kind == MANIFEST_MODULE || kind == MANIFEST_BINARY ||
		    kind == MANIFEST_HOSTONLY || kind == MANIFEST_CRYPTTAB)
			continue;
		r = image_add_entry(img, &m.entries[i]);
		if (r < 0)
			complain("unable to add %s: %s", m.entries[i].source, strerror(-r));
	}
	if (r == 0)
		r = add_binaries(&m, img);
	if (r == 0)
		r = add_crypttab(opts, &m, &detected, img);
	if (r == 0)
		r = add_host_config(opts, &detected, resume, img);
	if (r == 0)
		r = add_shell_policy(opts, img);
	if (r == 0)
		r = add_modules(opts, &m, hostonly, &detected, img, notes);
	if (r == 0) {
		char err[2048] = "";
		r = image_finalize(img, err, sizeof(err));
		if (r < 0)
			complain("%s", err[0] ? err : strerror(-r));
	}

	manifest_free(&m);
	hostonly_set_free(&detected);
	free(hostonly);
	for (size_t i = 0; i < opts->n_hooks; i++) {
		free(folders[i]);
		free(display_names[i]);
	}
	free(folders);
	free(display_names);
	return r;
}
