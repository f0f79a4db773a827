/*
 * The wipe of the old root, in the cases switchroot_test.c does not build (needs root; private
 * mount namespace, a tmpfs for the initramfs and another mounted inside it for the new root):
 *   - a directory of the old root bind-mounted, read-only, onto another place in it, and the old
 *     root bind-mounted into itself: same device, so only STATX_ATTR_MOUNT_ROOT tells they are
 *     mount points, and the wipe must not enter them;
 *   - a file that is a mount point (bind-mounted onto itself) and an immutable file in a folder
 *     (FS_IMMUTABLE_FL, which tmpfs takes since Linux 6.0): both stay, the wipe goes on, and the
 *     immutable one is reported as not removed;
 *   - a hard-link pair inside the old root (one across devices is impossible: checked too): both
 *     names go and the bytes count once;
 *   - every byte, link and mode of the new root, hashed (FNV-1a) before and after, is unchanged;
 *   - the report counts exactly what was freed, in a dry run and for real.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "fixture.h"
#include "switchroot.h"

/* From <linux/fs.h>, which clashes with <sys/mount.h>. */
#ifndef FS_IOC_GETFLAGS
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_IMMUTABLE_FL 0x00000010
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

static char base[64];
static bool immutable_ok;

static const char *at(const char *name)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];
	snprintf(p, sizeof(paths[0]), "%s/%s", base, name);
	return p;
}

static void put(const char *name, const char *content, mode_t mode)
{
	write_file(at(name), content, mode);
}

static void dir(const char *name)
{
	must(mkdir(at(name), 0755), name);
}

static bool is_mount_root(const char *path)
{
	struct statx stx;
	return syscall(SYS_statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &stx) == 0 &&
		(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
		(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* FNV-1a, 64 bits. */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hashes every name, type, mode, file content and link target under dirfd, in name order. */
static uint64_t hash_tree(int dirfd, uint64_t h, unsigned *files)
{
	DIR *d = fdopendir(dirfd);
	if (!d)
		return h ^ 1;
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		h = fnv(h, names[i], strlen(names[i]) + 1);
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			h = fnv(h, "?", 1);
			continue;
		}
		h = fnv(h, &st.st_mode, sizeof(st.st_mode));
		(*files)++;
		if (S_ISREG(st.st_mode)) {
			char buf[8192];
			ssize_t r;
			int fd = openat(dirfd, names[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			while (fd >= 0 && (r = read(fd, buf, sizeof(buf))) > 0)
				h = fnv(h, buf, (size_t)r);
			if (fd >= 0)
				close(fd);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t r = readlinkat(dirfd, names[i], target, sizeof(target));
			h = fnv(h, target, r > 0 ? (size_t)r : 0);
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			h = sub >= 0 ? hash_tree(sub, h, files) : h ^ 2;
		}
		free(names[i]);
	}
	closedir(d);
	return h;
}

static uint64_t hash_new_root(const char *path, unsigned *files)
{
	*files = 0;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	must(fd, path);
	return hash_tree(fd, 0xcbf29ce484222325ULL, files);
}

static void build_fixture(void)
{
	must(mount("tmpfs", base, "tmpfs", 0, "mode=0755"), "tmpfs for the old root");
	put("init", "old init", 0755);
	dir("etc");
	put("etc/a.conf", "aaaa", 0644);
	put("pair-1", "hard link pair", 0644);
	must(link(at("pair-1"), at("etc/pair-2")), "link pair-2");

	/* A folder of the old root, read-only and bind-mounted onto another place of the old root. */
	dir("shared");
	put("shared/one", "one", 0644);
	put("shared/two", "two!", 0644);
	dir("shared-view");
	must(mount(at("shared"), at("shared-view"), NULL, MS_BIND, NULL), "bind shared");
	must(mount(NULL, at("shared-view"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL),
	     "remount shared-view ro");
	/* The old root inside itself: a walk that entered it would go round. */
	dir("loop");
	must(mount(base, at("loop"), NULL, MS_BIND, NULL), "bind the old root into itself");
	/* A file that is busy as a mount point. */
	put("busy", "busy", 0644);
	must(mount(at("busy"), at("busy"), NULL, MS_BIND, NULL), "bind busy onto itself");
	/* A file that refuses deletion, before one that does not. */
	dir("locked");
	put("locked/immutable", "immutable", 0644);
	put("locked/after", "after", 0644);
	int fd = open(at("locked/immutable"), O_RDONLY | O_CLOEXEC);
	must(fd, "locked/immutable");
	int attr = 0;
	immutable_ok = ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0 &&
		(attr |= FS_IMMUTABLE_FL, ioctl(fd, FS_IOC_SETFLAGS, &attr) == 0);
	close(fd);

	/* The new root: files, a big one, a hard-link pair, symlinks, an empty folder. */
	dir("sysroot");
	must(mount("tmpfs", at("sysroot"), "tmpfs", 0, "mode=0755"), "tmpfs for the new root");
	dir("sysroot/sbin");
	put("sysroot/sbin/real-init", "#!/bin/sh\n", 0755);
	must(symlink("/sbin/real-init", at("sysroot/sbin/init")), "symlink sbin/init");
	put("sysroot/keep", "new root file", 0644);
	dir("sysroot/data");
	put("sysroot/data/precious", "precious data", 0600);
	char big[65536 + 1];
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < sizeof(big) - 1; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		big[i] = (char)('!' + x % 90);
	}
	big[sizeof(big) - 1] = '\0';
	put("sysroot/data/big", big, 0644);
	put("sysroot/data/h1", "new root hard link", 0644);
	must(link(at("sysroot/data/h1"), at("sysroot/data/h2")), "link h2");
	dir("sysroot/empty");
	must(symlink("data", at("sysroot/data-link")), "symlink data-link");
	must(symlink(at("sysroot/data/precious"), at("link-to-new")), "symlink link-to-new");
}

static void test_preconditions(void)
{
	CHECK(link(at("pair-1"), at("sysroot/cross")) < 0 && errno == EXDEV,
	      "a hard link from the old root into the new one is impossible (EXDEV)");
	struct stat a, b;
	CHECK(stat(at("shared"), &a) == 0 && stat(at("shared-view"), &b) == 0 &&
		      a.st_dev == b.st_dev,
	      "the bind mount of shared is on the old root's device");
	CHECK(is_mount_root(at("shared-view")) && is_mount_root(at("loop")) &&
		      is_mount_root(at("busy")) && !is_mount_root(at("shared")),
	      "the kernel marks shared-view, loop and busy (and not shared) with STATX_ATTR_MOUNT_ROOT");
	if (immutable_ok)
		CHECK(unlink(at("locked/immutable")) < 0 && errno == EPERM,
		      "locked/immutable cannot be deleted");
	else
		CHECK(true, "# SKIP this kernel's tmpfs takes no FS_IMMUTABLE_FL");
}

/* In a dry run nothing changes, and the count is of what a wipe would meet. */
static void test_dry_run(uint64_t before)
{
	struct switch_root_request req = { base, at("sysroot"), "/sbin/init", true };
	struct switch_root_report r;
	CHECK(switch_root(&req, &r) == 0, "dry run succeeds");
	/* init, etc, etc/a.conf, etc/pair-2, pair-1, shared, shared/one, shared/two, locked,
	 * locked/immutable, locked/after, link-to-new; not what is behind the mount points. */
	CHECK(r.files_freed == 12, "dry run: 12 entries, each bind mount stepped around (%lu)",
	      r.files_freed);
	CHECK(r.kept_mounts == 4, "dry run: shared-view, loop, busy and sysroot kept (%lu)",
	      r.kept_mounts);
	CHECK(r.not_removed == 0, "dry run: nothing refused (%lu)", r.not_removed);
	/* A hard-linked file's bytes count when its last name goes, which a dry run never does. */
	CHECK(r.bytes_freed == 8 + 4 + 3 + 4 + 9 + 5,
	      "dry run: the bytes of the single-link files (%llu)", r.bytes_freed);
	unsigned files;
	CHECK(hash_new_root(at("sysroot"), &files) == before, "dry run: the new root is unchanged");
	int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(exists_at(fd, "init") && exists_at(fd, "etc/pair-2") && exists_at(fd, "shared/one") &&
		      exists_at(fd, "locked/after"),
	      "dry run: the old root is unchanged");
	close(fd);
}

static void test_wipe(uint64_t before, unsigned before_files)
{
	int oldfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	must(oldfd, base);
	int pipefd[2];
	must(pipe(pipefd), "pipe");
	pid_t pid = fork();
	must(pid, "fork");
	if (pid == 0) {
		struct switch_root_request req = { base, at("sysroot"), "/sbin/init", false };
		struct switch_root_report r;
		int rc = switch_root(&req, &r);
		bool inside = rc == 0 &&
			strcmp(content_at(AT_FDCWD, "/keep"), "new root file") == 0;
		(void)!write(pipefd[1], &r, sizeof(r));
		_exit(inside ? 0 : rc < 0 ? 2 : 3);
	}
	close(pipefd[1]);
	struct switch_root_report r = { 0 };
	bool got = read(pipefd[0], &r, sizeof(r)) == (ssize_t)sizeof(r);
	close(pipefd[0]);
	int status;
	must(waitpid(pid, &status, 0), "waitpid");
	CHECK(got && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "switch succeeded, the child is in the new root (status %d)", status);

	/* The new root, now at base: byte for byte what it was. */
	unsigned files;
	CHECK(hash_new_root(base, &files) == before && files == before_files,
	      "new root: %u entries, every byte, mode and link target unchanged", files);
	int newfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat h1, h2;
	CHECK(fstatat(newfd, "data/h1", &h1, 0) == 0 && fstatat(newfd, "data/h2", &h2, 0) == 0 &&
		      h1.st_ino == h2.st_ino && h1.st_nlink == 2,
	      "new root: its hard-link pair is still one inode with two names");
	close(newfd);

	/* The old root, through the descriptor opened before. */
	CHECK(!exists_at(oldfd, "pair-1") && !exists_at(oldfd, "etc"),
	      "old root: both names of the hard-link pair gone");
	CHECK(!exists_at(oldfd, "init") && !exists_at(oldfd, "shared") &&
		      !exists_at(oldfd, "link-to-new") && !exists_at(oldfd, "sysroot"),
	      "old root: files, folders, the bind's source folder and symlinks gone");
	CHECK(exists_at(oldfd, "shared-view") && exists_at(oldfd, "loop"),
	      "old root: the same-device mount points stay");
	CHECK_STR(content_at(oldfd, "busy"), "busy",
		  "old root: the file busy as a mount point stays");
	CHECK(!exists_at(oldfd, "locked/after"),
	      "old root: the file after the undeletable one is gone: the wipe went on");
	if (immutable_ok)
		CHECK_STR(content_at(oldfd, "locked/immutable"), "immutable",
			  "old root: the immutable file stays");

	/* What the report says was freed: init, etc/a.conf, etc/pair-2, etc, pair-1, shared/one,
	 * shared/two, shared, locked/after, link-to-new, sysroot (its mount moved away); with no
	 * immutable file, also locked/immutable and locked. */
	unsigned long want_files = immutable_ok ? 11 : 13;
	unsigned long long want_bytes = 8 + 4 + 14 + 3 + 4 + 5 + (immutable_ok ? 0 : 9);
	CHECK(r.files_freed == want_files, "report: %lu entries freed (want %lu)", r.files_freed,
	      want_files);
	CHECK(r.bytes_freed == want_bytes,
	      "report: %llu bytes freed, the pair's counted once (want %llu)", r.bytes_freed,
	      want_bytes);
	CHECK(r.kept_mounts == 3, "report: 3 mount points stepped around (%lu)", r.kept_mounts);
	CHECK(r.not_removed == (immutable_ok ? 1u : 0u),
	      "report: the immutable file not removed (%lu)", r.not_removed);
	close(oldfd);
}

int main(void)
{
	enter_private_mount_namespace();
	strcpy(base, "/tmp/rdinit-wipe-XXXXXX");
	must(mkdtemp(base) ? 0 : -1, "mkdtemp");
	build_fixture();

	unsigned files;
	uint64_t before = hash_new_root(at("sysroot"), &files);
	test_preconditions();
	test_dry_run(before);
	test_wipe(before, files);

	/* Unmount every layer on base in this namespace, so that the folder itself can go. */
	while (umount2(base, MNT_DETACH) == 0)
		;
	(void)rmdir(base);
	return check_done();
}
