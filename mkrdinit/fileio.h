/* File helpers the parts of mkrdinit share: 0 or -errno, EINTR retried. */
#pragma once
#include <stddef.h>

/* Writes all len bytes of data to fd. */
int write_all(int fd, const void *data, size_t len);

/* Creates every missing folder above path (mode 0755); path is changed and restored. */
int mkdir_parents(char *path);
