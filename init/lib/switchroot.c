/* The switch to the real root, after util-linux switch_root and klibc run-init: check
 * everything first, move the new root away from the old one, then free the old one's files
 * without ever stepping onto another mount. */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "switchroot.h"
#include "sys.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

/* The initramfs is small and shallow; a deeper tree is not ours to walk. */
#define WIPE_MAX_DEPTH 64

static const char *const api_mounts[] = { "/dev", "/proc", "/sys", "/run" };

/* Appends the len bytes of name to the '/'-joined path rel (size bytes), or takes its last part off for "..",
 * never above the root. */
static int step(char *rel, size_t size, const char *name, size_t len)
{
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		char *slash = strrchr(rel, '/');
		*(slash ? slash : rel) = '\0';
		return 0;
	}
	size_t used = strlen(rel);
	if (used + len + 2 > size)
		return -ENAMETOOLONG;
	if (used)
		rel[used++] = '/';
	memcpy(rel + used, name, len);
	rel[used + len] = '\0';
	return 0;
}

int open_in_root(int rootfd, const char *path)
{
	char todo[PATH_MAX], rel[PATH_MAX] = "", target[PATH_MAX];
	if (strlen(path) >= sizeof(todo))
		return -ENAMETOOLONG;
	(void)snprintf(todo, sizeof(todo), "%s", path);
	int links = 0;
	for (char *p = todo; *p;) {
		p += strspn(p, "/");
		size_t len = strcspn(p, "/");
		if (len == 0 || (len == 1 && p[0] == '.')) {
			p += len;
			continue;
		}
		char saved[PATH_MAX];
		(void)snprintf(saved, sizeof(saved), "%s", rel);
		int r = step(rel, sizeof(rel), p, len);
		if (r < 0)
			return r;
		p += len;
		struct stat st;
		if (!rel[0] || fstatat(rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISLNK(st.st_mode))
			continue;
		/* A link: its target takes its place, from the root again when absolute. */
		if (++links > 40)
			return -ELOOP;
		ssize_t n = readlinkat(rootfd, rel, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if ((size_t)n + strlen(p) + 2 > sizeof(todo))
			return -ENAMETOOLONG;
		/* todo becomes TARGET/REST (the length was checked above). */
		memmove(todo + n + 1, p, strlen(p) + 1);
		memcpy(todo, target, (size_t)n);
		todo[n] = '/';
		p = todo;
		(void)snprintf(rel, sizeof(rel), "%s", target[0] == '/' ? "" : saved);
	}
	return sys_openat(rootfd, rel[0] ? rel : ".", O_PATH | O_NOFOLLOW, 0);
}

int root_has_executable(const char *root_dir, const char *path)
{
	int rootfd = sys_open(root_dir, O_PATH | O_DIRECTORY, 0);
	if (rootfd < 0)
		return rootfd;
	/* /sbin/init is often an absolute symlink: resolve it inside the new root, not ours (by hand
	 * where the kernel is older than openat2(), 5.6). */
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = open_in_root(rootfd, path);
	else if (fd < 0)
		fd = -errno;
	int r = fd < 0 ? fd : 0;
	(void)close(rootfd);
	if (r < 0)
		return r;
	struct stat st;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		r = -EACCES;
	/* execve() refuses a file on a noexec mount: found out only after the wipe, too late. */
	struct statvfs vfs;
	if (r == 0 && fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC))
		r = -EACCES;
	(void)close(fd);
	return r;
}

static bool is_mount_root(int dirfd, const char *name)
{
	struct statx stx;
	if (syscall(SYS_statx, dirfd, name, AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
		(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* Frees what dirfd holds (and closes it). Never follows a symlink, never enters another
 * device or a mount point, never goes deeper than WIPE_MAX_DEPTH. */
static void wipe_dir(int dir_fd, dev_t root_dev, bool dry_run, int depth,
		     struct switch_root_report *report)
{
	DIR *dir = fdopendir(dir_fd);
	if (!dir) {
		(void)close(dir_fd);
		report->not_removed++;
		return;
	}
	int fd = dirfd(dir);
	struct dirent *entry;
	while ((entry = readdir(dir))) {
		const char *name = entry->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			report->not_removed++;
			continue;
		}
		if (st.st_dev != root_dev || is_mount_root(fd, name)) {
			report->kept_mounts++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = depth < WIPE_MAX_DEPTH
				? sys_openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)
				: -ELOOP;
			if (sub < 0) {
				report->not_removed++;
				continue;
			}
			wipe_dir(sub, root_dev, dry_run, depth + 1, report);
			/* A folder holding a kept mount point stays, and that is right. */
			if (!dry_run && unlinkat(fd, name, AT_REMOVEDIR) < 0)
				continue;
		} else if (!dry_run && unlinkat(fd, name, 0) < 0) {
			report->not_removed++;
			continue;
		}
		report->files_freed++;
		if (S_ISREG(st.st_mode) && st.st_nlink == 1)
			report->bytes_freed += (unsigned long long)st.st_size;
	}
	(void)closedir(dir);
}

static int check_switch(const struct switch_root_request *req, struct stat *old_st,
			struct switch_root_report *report)
{
	struct statfs sfs;
	struct stat new_st;
	report->failed_check = "the old root can be examined";
	if (statfs(req->old_root, &sfs) < 0 || stat(req->old_root, old_st) < 0)
		return -errno;
	report->failed_check = "the old root is ramfs or tmpfs (the kernel's initramfs)";
	if ((unsigned long)sfs.f_type != RAMFS_MAGIC && (unsigned long)sfs.f_type != TMPFS_MAGIC)
		return -EPERM;
	report->failed_check = "the new root exists";
	if (stat(req->new_root, &new_st) < 0)
		return -errno;
	report->failed_check = "the new root is a separate mount, not part of the old root";
	if (new_st.st_dev == old_st->st_dev)
		return -EXDEV;
	report->failed_check = "the real init is an executable file inside the new root";
	int r = root_has_executable(req->new_root, req->init);
	if (r < 0)
		return r;
	report->failed_check = NULL;
	return 0;
}

static void move_api_mounts(const struct switch_root_request *req, dev_t old_dev)
{
	for (size_t i = 0; i < sizeof(api_mounts) / sizeof(api_mounts[0]); i++) {
		char from[4096], to[4096];
		struct stat st;
		(void)snprintf(from, sizeof(from), "%s%s",
			       strcmp(req->old_root, "/") ? req->old_root : "", api_mounts[i]);
		(void)snprintf(to, sizeof(to), "%s%s", req->new_root, api_mounts[i]);
		if (stat(from, &st) < 0 || st.st_dev == old_dev)
			continue;
		/* Without a place in the new root, detach it rather than leave it in the old one,
		 * where the wipe would keep it pinned (util-linux does the same). */
		if (sys_mount(from, to, NULL, MS_MOVE, NULL) < 0)
			(void)umount2(from, MNT_DETACH);
	}
}

int switch_root(const struct switch_root_request *req, struct switch_root_report *report)
{
	*report = (struct switch_root_report){ 0 };
	struct stat old_st;
	int r = check_switch(req, &old_st, report);
	if (r < 0)
		return r;
	int oldfd = sys_open(req->old_root, O_RDONLY | O_DIRECTORY, 0);
	if (oldfd < 0) {
		report->failed_check = "the old root can be opened";
		return oldfd;
	}
	if (req->dry_run) {
		wipe_dir(oldfd, old_st.st_dev, true, 0, report);
		return 0;
	}

	report->point_of_no_return = true;
	move_api_mounts(req, old_st.st_dev);
	/* Move the new root over the old one before deleting anything: from then on the new
	 * root is not inside the tree the wipe walks, whatever links point where. */
	if (chdir(req->new_root) < 0 ||
	    sys_mount(req->new_root, req->old_root, NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0) {
		r = -errno;
		report->failed_check = "the new root can be moved onto the old one";
		(void)close(oldfd);
		return r;
	}
	wipe_dir(oldfd, old_st.st_dev, false, 0, report);
	return 0;
}
