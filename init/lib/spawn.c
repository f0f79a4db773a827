/* Children of PID 1: started with a clean signal state, waited for with a deadline, and every
 * orphan that the kernel hands us reaped on the way. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"
#include "spawn.h"

int find_program(const char *name, char *path, size_t size)
{
	const char *dirs = IMAGE_PATH;
	while (*dirs) {
		size_t len = strcspn(dirs, ":");
		(void)snprintf(path, size, "%.*s/%s", (int)len, dirs, name);
		if (access(path, X_OK) == 0)
			return 0;
		dirs += len + (dirs[len] == ':');
	}
	return -ENOENT;
}

void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void exec_child(const char *path, char *const argv[], char *const envp[], bool interactive)
{
	sigset_t none;
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)setsid();
	if (interactive)
		(void)ioctl(STDIN_FILENO, TIOCSCTTY, 1);
	execve(path, argv, envp);
	_exit(127);
}

/* Waits for pid, reaping anything else that exits meanwhile. SIGCHLD stays blocked in PID 1,
 * so it queues and sigtimedwait() sees it without a handler. */
static int wait_child(pid_t pid, int timeout_ms, int *wstatus)
{
	sigset_t chld;
	(void)sigemptyset(&chld);
	(void)sigaddset(&chld, SIGCHLD);
	struct timespec start, now;
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t r;
		while ((r = waitpid(-1, wstatus, WNOHANG)) > 0)
			if (r == pid)
				return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		struct timespec wait = { 1, 0 };
		if (timeout_ms >= 0) {
			(void)clock_gettime(CLOCK_MONOTONIC, &now);
			long long left = timeout_ms -
				((now.tv_sec - start.tv_sec) * 1000LL +
				 (now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0)
				return -ETIMEDOUT;
			if (left < 1000)
				wait = (struct timespec){ 0, left * 1000000L };
		}
		(void)sigtimedwait(&chld, NULL, &wait);
	}
}

/* Waits for pid as run_program() says, filling result. */
static int finish(pid_t pid, int timeout_ms, struct program_result *result)
{
	int wstatus = 0;
	int r = wait_child(pid, timeout_ms, &wstatus);
	if (r == -ETIMEDOUT) {
		/* The whole session: a hook's own children go with it. */
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
		(void)wait_child(pid, -1, &wstatus);
		result->timed_out = true;
	} else if (r < 0) {
		return r;
	}
	if (WIFSIGNALED(wstatus)) {
		result->signaled = true;
		result->status = WTERMSIG(wstatus);
	} else {
		result->status = WEXITSTATUS(wstatus);
	}
	return 0;
}

int run_program(const char *path, char *const argv[], char *const envp[], bool interactive,
		int timeout_ms, struct program_result *result)
{
	*result = (struct program_result){ 0 };
	if (access(path, X_OK) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		exec_child(path, argv, envp, interactive);
	return finish(pid, timeout_ms, result);
}

int run_program_output(const char *path, char *const argv[], char *const envp[], int timeout_ms,
		       char *out, size_t size, struct program_result *result)
{
	*result = (struct program_result){ 0 };
	out[0] = '\0';
	if (access(path, X_OK) < 0)
		return -errno;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		(void)close(fds[0]);
		(void)close(fds[1]);
		return e;
	}
	if (pid == 0) {
		(void)dup2(fds[1], STDOUT_FILENO);
		exec_child(path, argv, envp, false);
	}
	(void)close(fds[1]);
	/* Read until the program closes its end, or the time is up; what does not fit is dropped. */
	size_t len = 0;
	struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
	for (;;) {
		char chunk[512];
		int ready = poll(&pfd, 1, timeout_ms);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			break;
		ssize_t n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t keep = size - 1 - len < (size_t)n ? size - 1 - len : (size_t)n;
		memcpy(out + len, chunk, keep);
		len += keep;
	}
	out[len] = '\0';
	(void)close(fds[0]);
	return finish(pid, timeout_ms, result);
}
