/* System-call helpers in the shape the stages want: 0 or -errno, EINTR retried. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

int sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	int fd;
	do
		fd = openat(dirfd, path, flags | O_CLOEXEC, mode);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

int sys_open(const char *path, int flags, mode_t mode)
{
	return sys_openat(AT_FDCWD, path, flags, mode);
}

ssize_t sys_read_fileat(int dirfd, const char *path, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	int fd = sys_openat(dirfd, path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	size_t len = 0;
	while (len < size - 1) {
		ssize_t r = read(fd, buf + len, size - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			(void)close(fd);
			return e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	(void)close(fd);
	return (ssize_t)len;
}

ssize_t sys_read_file(const char *path, char *buf, size_t size)
{
	return sys_read_fileat(AT_FDCWD, path, buf, size);
}

int sys_write_fileat(int dirfd, const char *path, const char *text)
{
	int fd = sys_openat(dirfd, path, O_WRONLY | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	size_t len = strlen(text), done = 0;
	int r = 0;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			break;
		}
		done += (size_t)w;
	}
	(void)close(fd);
	return r;
}

int sys_write_file(const char *path, const char *text)
{
	return sys_write_fileat(AT_FDCWD, path, text);
}

int sys_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
	      const char *data)
{
	return mount(source, target, fstype, flags, data) < 0 ? -errno : 0;
}

int sys_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;
			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return -errno;
			*p = saved;
			if (saved == '\0')
				return 0;
		}
	}
}

void sys_sleep_seconds(int seconds)
{
	struct timespec ts = { .tv_sec = seconds };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
