/* File helpers the parts of mkrdinit share: writing and reading whole files, growing arrays, running a
 * program for what it prints. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"

/* What read_whole_fd() asks read() for at the least. */
#define READ_CHUNK 65536

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int mkdir_parents(char *path)
{
	for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		int r = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
		*slash = '/';
		if (r < 0)
			return r;
	}
	return 0;
}

int grow_array(void **items, size_t *capacity, size_t needed, size_t item_size)
{
	if (needed <= *capacity)
		return 0;
	size_t n = *capacity ? *capacity : 16;
	while (n < needed)
		n = n > SIZE_MAX / 2 ? needed : n * 2;
	if (n > SIZE_MAX / item_size)
		return -ENOMEM;
	void *grown = realloc(*items, n * item_size);
	if (!grown)
		return -ENOMEM;
	*items = grown;
	*capacity = n;
	return 0;
}

int read_whole_fd(int fd, char **data, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, capacity = 0;
	int r;
	for (;;) {
		r = grow_array((void **)&buf, &capacity, n + READ_CHUNK + 1, 1);
		if (r < 0)
			break;
		ssize_t got = read(fd, buf + n, capacity - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got < 0 ? -errno : 0;
			break;
		}
		n += (size_t)got;
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

int read_whole_file(const char *path, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = read_whole_fd(fd, data, len);
	(void)close(fd);
	return r;
}

int run_program(const char *const argv[], char *const envp[], char **output, size_t *len,
		int *status)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid == 0) {
		(void)dup2(pipefd[1], STDOUT_FILENO);
		(void)dup2(pipefd[1], STDERR_FILENO);
		if (envp)
			execve(argv[0], (char *const *)argv, envp);
		else
			execvp(argv[0], (char *const *)argv);
		dprintf(STDERR_FILENO, "unable to run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int r = pid < 0 ? -errno : 0;
	(void)close(pipefd[1]);
	/* Read to the end before waiting: a program that fills the pipe would wait for us as we wait for it. */
	char *data = NULL;
	if (r == 0)
		r = read_whole_fd(pipefd[0], &data, len);
	(void)close(pipefd[0]);
	while (pid > 0 && waitpid(pid, status, 0) < 0)
		if (errno != EINTR) {
			r = r < 0 ? r : -errno;
			break;
		}
	if (r < 0) {
		free(data);
		return r;
	}
	*output = data;
	return 0;
}
