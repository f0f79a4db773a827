/* What the namespace tests share to build fixture trees and read them back. */
#pragma once
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fixture that cannot be built is no test: stop with TAP's bail-out. */
static inline void must(int r, const char *what)
{
	if (r < 0) {
		printf("Bail out! %s: %s\n", what, strerror(errno));
		exit(1);
	}
}

static inline void write_file(const char *path, const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	must(fd, path);
	size_t len = strlen(content);
	must(write(fd, content, len) == (ssize_t)len ? 0 : -1, path);
	close(fd);
}

/* Content of dirfd/name, or "" when it cannot be read. */
static inline const char *content_at(int dirfd, const char *name)
{
	static char buf[256];
	buf[0] = '\0';
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "";
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static inline bool exists_at(int dirfd, const char *name)
{
	struct stat st;
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Enters a private mount namespace in which nothing mounted reaches the machine's, or ends the test
 * with a TAP skip that says why it cannot: not root, or a '/' that is no mount point (a plain chroot,
 * where the propagation of the mount that holds it cannot be changed). */
static inline void enter_private_mount_namespace(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root for a private mount namespace\n");
		exit(0);
	}
	must(unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 && errno == EINVAL) {
		printf("1..0 # SKIP / is not a mount point (a chroot without / bound onto itself?): "
		       "mounts made here would reach the machine's namespace\n");
		exit(0);
	}
	must(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "make / private");
}
