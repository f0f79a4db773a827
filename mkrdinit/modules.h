/* modules: which kernel module files a list of module names needs, and the indexes that let libkmod find them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct module_request {
	const char *name;   /* a module name or alias, as a manifest's `module` line says it */
	const char *origin; /* "hooks/ext4/manifest:2" */
	bool optional;	    /* naming nothing in the tree is no error: sets MISSING instead */
	bool missing; /* set by modules_resolve() for an optional request that names nothing */
};

struct module_file {
	char *name; /* as libkmod names it, e.g. "crc32c_generic" */
	char *path; /* the file in the module tree */
	char *relpath; /* below the tree, e.g. "kernel/crypto/crc32c_generic.ko"; the same path inside the image */
	char *origin; /* "module ext4 at hooks/ext4/manifest:2": the request that brought it in */
	char *data; /* the module decompressed (expand_module()), LEN bytes, RELPATH without the suffix; or NULL:
		     * the image takes PATH as it is */
	size_t len;
	char **firmware; /* the firmware files its modinfo names, as the kernel will ask for them */
	size_t n_firmware;
	size_t firmware_capacity;
};

struct module_set {
	struct module_file *files;
	size_t n_files;
	size_t capacity;
};

struct module_index {
	char *name; /* "modules.dep.bin" */
	char *data;
	size_t len;
};

struct module_indexes {
	struct module_index *files;
	size_t n_files;
	size_t capacity;
};

/* The build machine's modprobe.d: one file per name, the one libkmod reads. */
struct modprobe_file {
	char *name; /* "blacklist.conf" */
	char *path; /* "/etc/modprobe.d/blacklist.conf" */
	char *data; /* its content: a link to /dev/null (a file masked) is empty */
	size_t len;
};

struct modprobe_conf {
	struct modprobe_file *files; /* sorted by name */
	size_t n_files;
	size_t capacity;
};

/* The folders libkmod reads modprobe.d files from, in its order of precedence, NULL-terminated. */
extern const char *const modules_default_modprobe_dirs[];

/* Reads the *.conf files of DIRS (N_DIRS of them) as libkmod does: in order of precedence, a name in an earlier
 * folder hides the same name in the later ones (/etc overrides /usr/lib); names starting with '.' and folders are
 * skipped; a folder that does not exist holds nothing. Returns 0 or -errno with ERR filled in. */
int modprobe_conf_read(const char *const *dirs, size_t n_dirs, struct modprobe_conf *out, char *err,
		       size_t err_size);
void modprobe_conf_free(struct modprobe_conf *conf);

/* Finds, with libkmod and TREE's indexes (TREE is MODULES_DIR/KVER), every module file that `modprobe NAME` would
 * load for each request: the modules.dep closure and the pre and post softdeps, recursively, each with the
 * firmware names of its modinfo. Builtin modules need no file and are left out. TREE must be a canonical absolute path, as realpath() gives: libkmod names files below
 * it, and their path below it is their path in the image. CONF (NULL: none) is the modprobe.d libkmod reads, as
 * /init's will in the image: its softdeps and aliases bring modules in; a blacklisted module is not left out, as
 * dracut does not (/init keeps it from loading). Returns 0, or -ENOENT (a request names nothing in TREE, or TREE has no
 * modules.dep.bin), -EINVAL (TREE's indexes name a module without a file in it) or another -errno, with ERR
 * filled in. */
int modules_resolve(const char *tree, const struct modprobe_conf *conf,
		    struct module_request *requests, size_t n_requests, struct module_set *out,
		    char *err, size_t err_size);

/* Builds the image's own modules.* indexes: copies SET's files and TREE's modules.builtin, modules.builtin.modinfo
 * and the lines of modules.order for SET into a scratch folder, runs DEPMOD (a program name or path) on it and
 * reads back every modules.* file. Returns 0 or -errno with ERR filled in. */
int modules_build_indexes(const char *tree, const char *kver, const struct module_set *set,
			  const char *depmod, struct module_indexes *out, char *err,
			  size_t err_size);

/* Where KVER's modules are when no folder is given: the first of ROOT/lib/modules/KVER (Debian 12 and older) and
 * ROOT/usr/lib/modules/KVER (merged /usr: Debian 13, Fedora, Arch) that is a folder, in *TREE (malloc'ed). ROOT is
 * "" for this machine. Returns 0, -ENOENT when neither is, or -ENOMEM. */
int modules_find_tree(const char *root, const char *kver, char **tree);

void module_set_free(struct module_set *set);
void module_indexes_free(struct module_indexes *indexes);
