/* File helpers the parts of mkrdinit share: 0 or -errno, EINTR retried, nothing printed. */
#pragma once
#include <stddef.h>

/* Writes all len bytes of data to fd. */
int write_all(int fd, const void *data, size_t len);

/* Creates every missing folder above path (mode 0755); path is changed and restored. */
int mkdir_parents(char *path);

/* Makes room for needed items of item_size bytes in the array *items of *capacity items, doubling it (from 16)
 * as often as that takes; both are changed only on success. Returns 0 or -ENOMEM. */
int grow_array(void **items, size_t *capacity, size_t needed, size_t item_size);

/* Reads fd (a file, a pipe) to its end into *data (malloc'ed): *len bytes and a '\0' after them. */
int read_whole_fd(int fd, char **data, size_t *len);

/* Reads the file at path as read_whole_fd() does. */
int read_whole_file(const char *path, char **data, size_t *len);

/* Runs argv[0] with argv and waits for it: with envp NULL it is looked up in PATH and gets this environment,
 * else it is a path and envp is its whole environment. Its standard output and error go, together, into
 * *output as read_whole_fd() returns them, and *status gets its wait status; one that cannot be executed says
 * "unable to run ARGV0: REASON" there and exits 127, as a shell would. Returns 0 when it ran, whatever its
 * status, or -errno when it could not be started or waited for. */
int run_program(const char *const argv[], char *const envp[], char **output, size_t *len,
		int *status);
