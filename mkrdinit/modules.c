/* modules: which kernel module files a list of module names needs, and the indexes that let libkmod find them. */
#include "modules.h"
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct resolver {
	struct kmod_ctx *ctx;
	const char *tree;
	struct module_set *set;
	/* Names of modules whose probe list has been added, as libkmod marks them "visited". */
	char **visited;
	size_t n_visited;
	size_t visited_capacity;
	char *err;
	size_t err_size;
	char kmod_message[256]; /* libkmod's last complaint, to explain a failure we report */
};

static void remember_kmod_message(void *data, int priority, const char *file, int line,
				  const char *fn, const char *format, va_list args)
{
	struct resolver *rs = data;
	(void)priority, (void)file, (void)line, (void)fn;
	(void)vsnprintf(rs->kmod_message, sizeof(rs->kmod_message), format, args);
	rs->kmod_message[strcspn(rs->kmod_message, "\n")] = '\0';
}

static void file_free(struct module_file *file)
{
	free(file->name);
	free(file->path);
	free(file->relpath);
	free(file->origin);
	free(file->data);
	for (size_t i = 0; i < file->n_firmware; i++)
		free(file->firmware[i]);
	free(file->firmware);
}

/* The "firmware=" entries of MOD's modinfo, in the order modinfo lists them. */
static int read_firmware(struct resolver *rs, struct kmod_module *mod, struct module_file *file,
			 const char *origin)
{
	struct kmod_list *info = NULL, *l;
	int r = kmod_module_get_info(mod, &info);
	if (r < 0) {
		(void)snprintf(rs->err, rs->err_size,
			       "%s: unable to read the modinfo of module '%s' (%s): %s", origin,
			       kmod_module_get_name(mod), file->path, strerror(-r));
		return r;
	}
	r = 0;
	kmod_list_foreach(l, info) {
		if (strcmp(kmod_module_info_get_key(l), "firmware") != 0)
			continue;
		r = grow_array((void **)&file->firmware, &file->firmware_capacity,
			       file->n_firmware + 1, sizeof(*file->firmware));
		char *value = r < 0 ? NULL : strdup(kmod_module_info_get_value(l));
		if (!value) {
			r = -ENOMEM;
			break;
		}
		file->firmware[file->n_firmware++] = value;
	}
	kmod_module_info_free_list(info);
	return r;
}

static bool set_contains(const struct module_set *set, const char *name)
{
	for (size_t i = 0; i < set->n_files; i++)
		if (strcmp(set->files[i].name, name) == 0)
			return true;
	return false;
}

static int set_add(struct resolver *rs, struct kmod_module *mod, const char *origin)
{
	const char *name = kmod_module_get_name(mod);
	if (set_contains(rs->set, name))
		return 0;

	const char *path = kmod_module_get_path(mod);
	if (!path) {
		/* Builtin: already in the kernel, nothing to carry. kmod_module_get_initstate() answers BUILTIN from
		 * the tree's modules.builtin.bin before it looks at the running system's /sys. */
		if (kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN)
			return 0;
		(void)snprintf(rs->err, rs->err_size,
			       "%s: module '%s' has no file in %s/modules.dep", origin, name,
			       rs->tree);
		return -EINVAL;
	}

	size_t tree_len = strlen(rs->tree);
	if (strncmp(path, rs->tree, tree_len) != 0 || path[tree_len] != '/') {
		(void)snprintf(rs->err, rs->err_size, "%s: module '%s' is at '%s', outside %s",
			       origin, name, path, rs->tree);
		return -EINVAL;
	}

	struct module_set *set = rs->set;
	int r = grow_array((void **)&set->files, &set->capacity, set->n_files + 1,
			   sizeof(*set->files));
	if (r < 0)
		return r;
	struct module_file file = {
		.name = strdup(name),
		.path = strdup(path),
		.relpath = strdup(path + tree_len + 1),
		.origin = strdup(origin),
	};
	r = file.name && file.path && file.relpath && file.origin ? 0 : -ENOMEM;
	if (r == 0)
		r = read_firmware(rs, mod, &file, origin);
	if (r < 0) {
		file_free(&file);
		return r;
	}
	set->files[set->n_files++] = file;
	return 0;
}

static int mark_visited(struct resolver *rs, const char *name, bool *already)
{
	for (size_t i = 0; i < rs->n_visited; i++)
		if (strcmp(rs->visited[i], name) == 0) {
			*already = true;
			return 0;
		}
	int r = grow_array((void **)&rs->visited, &rs->visited_capacity, rs->n_visited + 1,
			   sizeof(*rs->visited));
	if (r < 0)
		return r;
	rs->visited[rs->n_visited] = strdup(name);
	if (!rs->visited[rs->n_visited])
		return -ENOMEM;
	rs->n_visited++;
	*already = false;
	return 0;
}

static int add_probe_list(struct resolver *rs, struct kmod_module *mod, const char *origin);

static int add_each(struct resolver *rs, struct kmod_list *list, const char *origin)
{
	struct kmod_list *l;
	int r = 0;
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		r = add_probe_list(rs, m, origin);
		kmod_module_unref(m);
		if (r < 0)
			break;
	}
	return r;
}

/* MOD's file with what its softdeps load: the pre ones, MOD, the post ones. */
static int add_with_softdeps(struct resolver *rs, struct kmod_module *mod, const char *origin)
{
	struct kmod_list *pre = NULL, *post = NULL;
	int r = kmod_module_get_softdeps(mod, &pre, &post);
	if (r < 0) {
		(void)snprintf(rs->err, rs->err_size,
			       "%s: unable to read the softdeps of module '%s': %s", origin,
			       kmod_module_get_name(mod), strerror(-r));
		return r;
	}
	r = add_each(rs, pre, origin);
	if (r == 0)
		r = set_add(rs, mod, origin);
	if (r == 0)
		r = add_each(rs, post, origin);
	(void)kmod_module_unref_list(pre);
	(void)kmod_module_unref_list(post);
	return r;
}

/* What libkmod's probe list, and so `modprobe NAME`, loads (kmod's __kmod_module_get_probe_list()): each module of
 * NAME's modules.dep line, which depmod writes as the whole closure, then NAME itself, each with its softdeps;
 * a softdep gets the same treatment in turn. A softdep that names nothing in the tree is skipped, as modprobe
 * skips it. */
static int add_probe_list(struct resolver *rs, struct kmod_module *mod, const char *origin)
{
	bool already;
	int r = mark_visited(rs, kmod_module_get_name(mod), &already);
	if (r < 0 || already)
		return r;

	struct kmod_list *deps = kmod_module_get_dependencies(mod), *l;
	kmod_list_foreach(l, deps) {
		struct kmod_module *dep = kmod_module_get_module(l);
		r = add_with_softdeps(rs, dep, origin);
		kmod_module_unref(dep);
		if (r < 0)
			break;
	}
	(void)kmod_module_unref_list(deps);
	if (r < 0)
		return r;
	return add_with_softdeps(rs, mod, origin);
}

static int resolve_request(struct resolver *rs, struct module_request *request)
{
	char *origin;
	if (asprintf(&origin, "module %s at %s", request->name, request->origin) < 0)
		return -ENOMEM;

	struct kmod_list *list = NULL;
	rs->kmod_message[0] = '\0';
	int r = kmod_module_new_from_lookup(rs->ctx, request->name, &list);
	if (r < 0)
		(void)snprintf(rs->err, rs->err_size, "%s: unable to look up module '%s' in %s: %s",
			       request->origin, request->name, rs->tree,
			       rs->kmod_message[0] ? rs->kmod_message : strerror(-r));
	else if (!list && request->optional)
		request->missing = true;
	else if (!list) {
		(void)snprintf(
			rs->err, rs->err_size,
			"%s: module '%s' not found in %s (no module, alias or builtin module of that name)",
			request->origin, request->name, rs->tree);
		r = -ENOENT;
	} else
		/* An alias may stand for several modules (e.g. one per CPU feature); `modprobe` tries all of them,
		 * so all of them go in. */
		r = add_each(rs, list, origin);

	(void)kmod_module_unref_list(list);
	free(origin);
	return r;
}

int modules_resolve(const char *tree, const struct modprobe_conf *conf,
		    struct module_request *requests, size_t n_requests, struct module_set *out,
		    char *err, size_t err_size)
{
	/* libkmod looks names up in the binary indexes only; without them every name would be "not found". */
	char *dep_bin;
	if (asprintf(&dep_bin, "%s/modules.dep.bin", tree) < 0)
		return -ENOMEM;
	int r = access(dep_bin, R_OK) < 0 ? -errno : 0;
	if (r < 0)
		(void)snprintf(err, err_size,
			       "unable to read %s (has depmod been run on that tree?): %s", dep_bin,
			       strerror(-r));
	free(dep_bin);
	if (r < 0)
		return r;

	/* The files that go in the image, each named by its path: libkmod reads a file given as a path as one of its
	 * folder, and with no paths it reads none. It also reads the tree's own modules.softdep, which is where
	 * ext4's "softdep pre: crypto-crc32c" lives. */
	size_t n_paths = conf ? conf->n_files : 0;
	const char **paths = calloc(n_paths + 1, sizeof(*paths));
	if (!paths)
		return -ENOMEM;
	for (size_t i = 0; i < n_paths; i++)
		paths[i] = conf->files[i].path;
	struct resolver rs = { .tree = tree, .set = out, .err = err, .err_size = err_size };
	rs.ctx = kmod_new(tree, paths);
	free(paths);
	if (!rs.ctx) {
		(void)snprintf(err, err_size, "unable to open module tree %s with libkmod", tree);
		return -ENOMEM;
	}
	kmod_set_log_fn(rs.ctx, remember_kmod_message, &rs);

	for (size_t i = 0; i < n_requests && r == 0; i++)
		r = resolve_request(&rs, &requests[i]);

	for (size_t i = 0; i < rs.n_visited; i++)
		free(rs.visited[i]);
	free(rs.visited);
	(void)kmod_unref(rs.ctx);
	return r;
}

const char *const modules_default_modprobe_dirs[] = {
	"/etc/modprobe.d",     "/run/modprobe.d", "/usr/local/lib/modprobe.d",
	"/usr/lib/modprobe.d", "/lib/modprobe.d", NULL,
};

static int modprobe_file_compare(const void *a, const void *b)
{
	const struct modprobe_file *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static bool has_conf_file(const struct modprobe_conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->n_files; i++)
		if (strcmp(conf->files[i].name, name) == 0)
			return true;
	return false;
}

/* The *.conf files of DIR that no earlier folder had, as libkmod's conf_files_list() takes them. */
static int read_modprobe_dir(const char *dir, struct modprobe_conf *out, char *err, size_t err_size)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		int r = -errno;
		(void)snprintf(err, err_size, "unable to read modprobe.d folder %s: %s", dir,
			       strerror(-r));
		return r;
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0 ||
		    has_conf_file(out, de->d_name))
			continue;
		struct modprobe_file file = { .name = strdup(de->d_name) };
		if (!file.name || asprintf(&file.path, "%s/%s", dir, de->d_name) < 0) {
			free(file.name);
			r = -ENOMEM;
			break;
		}
		struct stat st;
		if (stat(file.path, &st) == 0 && S_ISDIR(st.st_mode)) {
			free(file.name);
			free(file.path);
			continue; /* libkmod says "Directories inside directories are not supported" */
		}
		r = read_whole_file(file.path, &file.data, &file.len);
		if (r == 0)
			r = grow_array((void **)&out->files, &out->capacity, out->n_files + 1,
				       sizeof(*out->files));
		if (r < 0) {
			(void)snprintf(err, err_size, "unable to read %s: %s", file.path,
				       strerror(-r));
			free(file.name);
			free(file.path);
			free(file.data);
			break;
		}
		out->files[out->n_files++] = file;
	}
	(void)closedir(d);
	return r;
}

int modprobe_conf_read(const char *const *dirs, size_t n_dirs, struct modprobe_conf *out, char *err,
		       size_t err_size)
{
	int r = 0;
	for (size_t i = 0; i < n_dirs && r == 0; i++)
		r = read_modprobe_dir(dirs[i], out, err, err_size);
	/* readdir() order depends on the file system; the image must not. */
	if (r == 0 && out->n_files)
		qsort(out->files, out->n_files, sizeof(*out->files), modprobe_file_compare);
	return r;
}

void modprobe_conf_free(struct modprobe_conf *conf)
{
	for (size_t i = 0; i < conf->n_files; i++) {
		free(conf->files[i].name);
		free(conf->files[i].path);
		free(conf->files[i].data);
	}
	free(conf->files);
	*conf = (struct modprobe_conf){ 0 };
}

int modules_find_tree(const char *root, const char *kver, char **tree)
{
	static const char *const dirs[] = { "/lib/modules", "/usr/lib/modules" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *candidate;
		if (asprintf(&candidate, "%s%s/%s", root, dirs[i], kver) < 0)
			return -ENOMEM;
		struct stat st;
		if (stat(candidate, &st) == 0 && S_ISDIR(st.st_mode)) {
			*tree = candidate;
			return 0;
		}
		free(candidate);
	}
	return -ENOENT;
}

void module_set_free(struct module_set *set)
{
	for (size_t i = 0; i < set->n_files; i++)
		file_free(&set->files[i]);
	free(set->files);
	*set = (struct module_set){ 0 };
}

void module_indexes_free(struct module_indexes *indexes)
{
	for (size_t i = 0; i < indexes->n_files; i++) {
		free(indexes->files[i].name);
		free(indexes->files[i].data);
	}
	free(indexes->files);
	*indexes = (struct module_indexes){ 0 };
}

static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int r = write_all(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

static int copy_file(const char *from, const char *to)
{
	char *data;
	size_t len;
	int r = read_whole_file(from, &data, &len);
	if (r < 0)
		return r;
	r = write_file(to, data, len);
	free(data);
	return r;
}

/* "kernel/fs/ext4/ext4.ko.xz" -> length of "kernel/fs/ext4/ext4": modules.order may name a module with another
 * suffix than its file has. */
static size_t module_stem_len(const char *relpath)
{
	const char *ko = strstr(relpath, ".ko");
	return ko ? (size_t)(ko - relpath) : strlen(relpath);
}

/* modules.order keeps depmod's ordering of aliases; only the chosen modules' lines are kept, so that the image
 * does not carry the order of a few thousand modules it does not have. */
static int write_filtered_order(const char *tree, const struct module_set *set, const char *to)
{
	char *from;
	if (asprintf(&from, "%s/modules.order", tree) < 0)
		return -ENOMEM;
	char *data;
	size_t len;
	int r = read_whole_file(from, &data, &len);
	free(from);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;

	char *kept = malloc(len + 1);
	size_t kept_len = 0;
	if (!kept) {
		free(data);
		return -ENOMEM;
	}
	for (char *line = data; line < data + len;) {
		char *eol = memchr(line, '\n', (size_t)(data + len - line));
		size_t line_len = eol ? (size_t)(eol - line) : (size_t)(data + len - line);
		size_t stem = module_stem_len(line);
		if (stem > line_len)
			stem = line_len;
		for (size_t i = 0; i < set->n_files; i++) {
			const char *relpath = set->files[i].relpath;
			if (module_stem_len(relpath) == stem && strncmp(relpath, line, stem) == 0) {
				memcpy(kept + kept_len, line, line_len);
				kept_len += line_len;
				kept[kept_len++] = '\n';
				break;
			}
		}
		line += line_len + 1;
	}
	r = write_file(to, kept, kept_len);
	free(kept);
	free(data);
	return r;
}

/* Runs DEPMOD on the tree in STAGING. Returns 0, -errno when depmod could not be started, or -EPROTO when it
 * failed; with 0 and -EPROTO, *OUTPUT (to free) is what it printed and *STATUS its wait status. */
static int run_depmod(const char *depmod, const char *staging, const char *kver, char **output,
		      int *status)
{
	char *config_dir;
	if (asprintf(&config_dir, "%s/depmod.d", staging) < 0)
		return -ENOMEM;
	/* An empty configuration folder: the build machine's depmod.d (search orders, overrides) is not the
	 * image's. */
	int r = mkdir(config_dir, 0755) < 0 ? -errno : 0;
	if (r == 0) {
		const char *const argv[] = { depmod, "-b", staging, "-C", config_dir, kver, NULL };
		size_t len;
		r = run_program(argv, NULL, output, &len, status);
	}
	free(config_dir);
	if (r == 0 && (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0))
		return -EPROTO;
	return r;
}

static int index_compare(const void *a, const void *b)
{
	const struct module_index *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static int read_indexes(const char *dir, struct module_indexes *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	int r = 0;
	struct dirent *de;
	while (r == 0 && (errno = 0, de = readdir(d))) {
		if (strncmp(de->d_name, "modules.", strlen("modules.")) != 0)
			continue;
		r = grow_array((void **)&out->files, &out->capacity, out->n_files + 1,
			       sizeof(*out->files));
		if (r < 0)
			break;
		char *path;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		struct module_index index = { .name = strdup(de->d_name) };
		r = index.name ? read_whole_file(path, &index.data, &index.len) : -ENOMEM;
		free(path);
		if (r < 0) {
			free(index.name);
			break;
		}
		out->files[out->n_files++] = index;
	}
	if (r == 0 && errno)
		r = -errno;
	(void)closedir(d);
	/* readdir() order depends on the file system; the image must not. */
	if (out->n_files)
		qsort(out->files, out->n_files, sizeof(*out->files), index_compare);
	return r;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	(void)remove(path);
	return 0;
}

int modules_build_indexes(const char *tree, const char *kver, const struct module_set *set,
			  const char *depmod, struct module_indexes *out, char *err,
			  size_t err_size)
{
	const char *tmpdir = getenv("TMPDIR");
	char *staging;
	if (asprintf(&staging, "%s/mkrdinit.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp") < 0)
		return -ENOMEM;
	if (!mkdtemp(staging)) {
		int r = -errno;
		(void)snprintf(err, err_size, "unable to create a scratch folder in %s: %s",
			       tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(-r));
		free(staging);
		return r;
	}

	char *kdir;
	int r = 0;
	if (asprintf(&kdir, "%s/lib/modules/%s", staging, kver) < 0) {
		kdir = NULL;
		r = -ENOMEM;
	}

	for (size_t i = 0; i < set->n_files && r == 0; i++) {
		char *to;
		if (asprintf(&to, "%s/%s", kdir, set->files[i].relpath) < 0) {
			r = -ENOMEM;
			break;
		}
		r = mkdir_parents(to);
		if (r == 0)
			r = set->files[i].data
				? write_file(to, set->files[i].data, set->files[i].len)
				: copy_file(set->files[i].path, to);
		if (r < 0)
			(void)snprintf(err, err_size, "unable to copy %s to %s: %s",
				       set->files[i].path, to, strerror(-r));
		free(to);
	}

	/* With every requested module builtin there is nothing to copy, but still a tree to index. */
	if (r == 0 && set->n_files == 0) {
		r = mkdir_parents(kdir);
		if (r == 0 && mkdir(kdir, 0755) < 0)
			r = -errno;
		if (r < 0)
			(void)snprintf(err, err_size, "unable to create %s: %s", kdir,
				       strerror(-r));
	}

	/* depmod needs these to tell builtin modules and their aliases in the image apart from missing ones. */
	static const char *const copied[] = { "modules.builtin", "modules.builtin.modinfo" };
	for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]) && r == 0; i++) {
		char *from, *to;
		if (asprintf(&from, "%s/%s", tree, copied[i]) < 0) {
			r = -ENOMEM;
			break;
		}
		if (asprintf(&to, "%s/%s", kdir, copied[i]) < 0) {
			free(from);
			r = -ENOMEM;
			break;
		}
		r = copy_file(from, to);
		if (r == -ENOENT)
			r = 0; /* a kernel without builtin modules, or an older one without .modinfo */
		else if (r < 0)
			(void)snprintf(err, err_size, "unable to copy %s to %s: %s", from, to,
				       strerror(-r));
		free(from);
		free(to);
	}

	if (r == 0) {
		char *order;
		if (asprintf(&order, "%s/modules.order", kdir) < 0)
			r = -ENOMEM;
		else {
			r = write_filtered_order(tree, set, order);
			if (r < 0)
				(void)snprintf(err, err_size, "unable to write %s: %s", order,
					       strerror(-r));
			free(order);
		}
	}

	if (r == 0) {
		char *said = NULL;
		int status = 0;
		r = run_depmod(depmod, staging, kver, &said, &status);
		if (r == -EPROTO) {
			/* Its first line, to explain the failure. */
			char line[256], how[64];
			(void)snprintf(line, sizeof(line), "%.*s", (int)strcspn(said, "\n"), said);
			if (WIFEXITED(status))
				(void)snprintf(how, sizeof(how), "exited with status %d",
					       WEXITSTATUS(status));
			else
				(void)snprintf(how, sizeof(how), "killed by signal %d",
					       WTERMSIG(status));
			(void)snprintf(err, err_size,
				       "unable to build the image's module indexes: %s %s%s%s",
				       depmod, how, line[0] ? ": " : "", line);
		} else if (r < 0)
			(void)snprintf(err, err_size,
				       "unable to build the image's module indexes with %s: %s",
				       depmod, strerror(-r));
		free(said);
	}

	if (r == 0) {
		r = read_indexes(kdir, out);
		if (r < 0)
			(void)snprintf(err, err_size, "unable to read the module indexes in %s: %s",
				       kdir, strerror(-r));
	}

	(void)nftw(staging, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(kdir);
	free(staging);
	return r;
}
