/* manifest: reads a hook's manifest (the kernel's usr/gen_init_cpio list format plus `module`, `binary`, `hook`
 * and `hostonly`) into entries. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum manifest_kind {
	MANIFEST_FILE,
	MANIFEST_DIR,
	MANIFEST_NOD,
	MANIFEST_SLINK,
	MANIFEST_PIPE,
	MANIFEST_SOCK,
	MANIFEST_MODULE,
	MANIFEST_BINARY, /* a host program with its libraries and loader */
	MANIFEST_HOOK, /* a program /init runs at a stage: a 0755 file under IMAGE_HOOKS_DIR/<stage>/ */
	MANIFEST_HOSTONLY, /* marks the manifest's `module` lines as a generic list that --host-only replaces */
	MANIFEST_CRYPTTAB, /* a crypttab whose lines go into the image's /etc/crypttab, with their key files */
};

/* The stages a `hook` line may name (those of include/layout.h), in boot order and as a sentence says them:
 * "pre-udev, initqueue, pre-mount, pre-mount-usr, pre-pivot or emergency". */
void manifest_hook_stage_list(char *buf, size_t size);

struct manifest_entry {
	enum manifest_kind kind;
	/* The path in the image without its leading '/', normalized (MANIFEST_HOOK: IMAGE_HOOKS_DIR/STAGE/BASENAME);
	 * MANIFEST_MODULE: the module name or alias; MANIFEST_BINARY: the host program as written, an absolute path
	 * (normalized) or a bare name to look for in the image's PATH folders; MANIFEST_HOSTONLY: the ITEM of
	 * `hostonly if ITEM`, else NULL. */
	char *name;
	/* MANIFEST_FILE, MANIFEST_HOOK, MANIFEST_CRYPTTAB: the file to copy (or read), ${VAR}s expanded and joined to
	 * the hook folder when relative.
	 * MANIFEST_SLINK: the link target, verbatim. */
	char *location;
	/* MANIFEST_FILE: further image paths that are hard links to the same inode. */
	char **hard_links;
	size_t n_hard_links;
	unsigned int
		mode; /* permission bits as written (at most 07777; MANIFEST_HOOK: 0755); the type follows kind */
	uint32_t uid;
	uint32_t gid;
	bool keyboards; /* MANIFEST_HOSTONLY: `hostonly keyboard` */
	char dev_type;	/* MANIFEST_NOD: 'b' or 'c' */
	unsigned int major;
	unsigned int minor;
	char *source; /* "hooks/base/manifest:7": where the line was, for later messages */
};

struct manifest {
	struct manifest_entry *entries;
	size_t n_entries;
	size_t capacity;
};

/* Returns the value of a ${NAME} in a file location, or NULL when NAME is undefined. */
typedef const char *(*manifest_lookup_fn)(const char *name, void *userdata);

struct manifest_context {
	const char *display_name; /* names the manifest in messages, e.g. "hooks/base/manifest" */
	const char *
		base_dir; /* relative file locations are relative to this folder; NULL: leave them */
	manifest_lookup_fn lookup;
	void *lookup_userdata;
};

/* Appends the entries of TEXT to M. Returns 0, -EINVAL with "FILE:LINE: what was expected" in ERR, or -ENOMEM.
 * On error M keeps the entries of the lines before the bad one. */
int manifest_parse_text(struct manifest *m, const struct manifest_context *ctx, const char *text,
			size_t len, char *err, size_t err_size);

/* Reads PATH and appends its entries to M, as manifest_parse_text(). Returns 0 or -errno, with ERR filled in. */
int manifest_parse_file(struct manifest *m, const char *path, const struct manifest_context *ctx,
			char *err, size_t err_size);

void manifest_free(struct manifest *m);

/* Whether the LEN bytes at NAME can name a ${VAR}: letters, digits and '_', not starting with a digit. */
bool manifest_is_variable_name(const char *name, size_t len);

/* The keyword that introduces KIND in a manifest ("file", "dir", ...). */
const char *manifest_kind_keyword(enum manifest_kind kind);
