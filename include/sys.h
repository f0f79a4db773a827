/* Small system-call helpers: retry EINTR, keep errno, return 0 or -errno, open close-on-exec. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

int sys_open(const char *path, int flags, mode_t mode);
int sys_openat(int dirfd, const char *path, int flags, mode_t mode);
/* Reads at most size-1 bytes of a small file and NUL-terminates; returns the length or -errno. */
ssize_t sys_read_file(const char *path, char *buf, size_t size);
ssize_t sys_read_fileat(int dirfd, const char *path, char *buf, size_t size);
/* Writes all of text to path (for sysfs and procfs knobs). */
int sys_write_file(const char *path, const char *text);
int sys_write_fileat(int dirfd, const char *path, const char *text);
int sys_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
	      const char *data);
int sys_mkdir_p(const char *path, mode_t mode);
/* Sleeps the whole time, however often a signal interrupts. */
void sys_sleep_seconds(int seconds);
