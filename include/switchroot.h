/*
 * Handing over to the real root: check that it is safe, move the API filesystems, move the
 * new root onto the old one, chroot, and free the old root's files. A library shared by
 * /init and the tests, with a dry run that changes nothing.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct switch_root_request {
	const char *old_root; /* "/" in /init; a tmpfs in tests */
	const char *new_root; /* a mount point inside old_root, e.g. "/sysroot" */
	const char *init;     /* path inside the new root that must be an executable file */
	bool dry_run;	      /* validate and count what would be freed; move and delete nothing */
};

struct switch_root_report {
	unsigned long files_freed;
	unsigned long long bytes_freed;
	unsigned long kept_mounts; /* mount points the wipe stepped around */
	unsigned long not_removed; /* entries that refused deletion */
	const char *failed_check;  /* which safety check failed, for the message */
	bool point_of_no_return;   /* mounts were moved: the old root cannot be gone back to */
};

/*
 * Returns 0, or -errno with report->failed_check naming the check: -EPERM when old_root is
 * not ramfs/tmpfs, -EXDEV when new_root is not a separate mount, -ENOENT/-EACCES when init is
 * missing or not executable. Nothing is deleted unless every check passed and the new root
 * has been moved over the old one. The caller is chrooted into the new root on success.
 */
int switch_root(const struct switch_root_request *req, struct switch_root_report *report);

/* Opens path (O_PATH) inside the folder rootfd as if rootfd were "/": symlinks followed there, absolute
 * ones from rootfd, ".." never above it, at most 40 links. What openat2(RESOLVE_IN_ROOT) does, for
 * kernels before 5.6. Returns the descriptor or -errno. */
int open_in_root(int rootfd, const char *path);

/* Whether path names an executable regular file inside root_dir, resolving symlinks as if
 * root_dir were "/". Returns 0 or -errno. */
int root_has_executable(const char *root_dir, const char *path);
