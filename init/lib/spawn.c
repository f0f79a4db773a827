/* Children of PID 1: started with a clean signal state, waited for with a deadline, and every
 * orphan that the kernel hands us reaped on the way. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"
#include "spawn.h"
#include "sys.h"

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

/* What /proc says of one process: whether it is a kernel thread or a zombie, and its argv[0]. */
struct proc_entry {
	bool kernel_thread, zombie;
	char argv0[48];
};

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */

static int read_proc_entry(pid_t pid, struct proc_entry *p)
{
	char path[64], stat[512];
	*p = (struct proc_entry){ 0 };
	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ssize_t n = sys_read_file(path, stat, sizeof(stat));
	if (n < 0)
		return (int)n;
	/* "PID (COMM) STATE PPID PGRP SESSION TTY TPGID FLAGS ...": COMM may hold anything. */
	char *rest = strrchr(stat, ')');
	char state;
	unsigned long flags;
	if (!rest || sscanf(rest + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
		return -EINVAL;
	p->zombie = state == 'Z' || state == 'X';
	p->kernel_thread = (flags & PF_KTHREAD) != 0;
	(void)snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (sys_read_file(path, p->argv0, sizeof(p->argv0)) < 0)
		p->argv0[0] = '\0';
	return 0;
}

/* Calls visit(pid, entry) for each process but us, with what /proc says of it. */
static int for_each_process(void (*visit)(pid_t pid, const struct proc_entry *p, void *ctx),
			    void *ctx)
{
	DIR *dir = opendir("/proc");
	if (!dir)
		return -errno;
	struct dirent *entry;
	while ((entry = readdir(dir))) {
		char *end;
		long pid = strtol(entry->d_name, &end, 10);
		struct proc_entry p;
		if (*end || pid <= 1 || pid == (long)getpid() ||
		    read_proc_entry((pid_t)pid, &p) < 0)
			continue;
		visit((pid_t)pid, &p, ctx);
	}
	(void)closedir(dir);
	return 0;
}

struct ending {
	struct leftovers *report;
	int signal;
	unsigned alive; /* processes still there that this round signalled */
};

static void end_one(pid_t pid, const struct proc_entry *p, void *ctx)
{
	struct ending *e = ctx;
	if (p->kernel_thread || p->zombie)
		return;
	if (p->argv0[0] == '@') {
		if (e->signal == SIGTERM)
			e->report->kept++;
		return;
	}
	e->alive++;
	if (e->signal == SIGTERM) {
		struct leftovers *r = e->report;
		if (r->named < LEFTOVERS_NAMED)
			(void)snprintf(r->names[r->named++], sizeof(r->names[0]), "%s[%d]",
				       p->argv0[0] ? p->argv0 : "?", (int)pid);
		r->ended++;
	} else {
		e->report->killed++;
	}
	(void)kill(pid, e->signal);
	if (e->signal == SIGTERM)
		(void)kill(pid, SIGCONT);
}

static void count_alive(pid_t pid, const struct proc_entry *p, void *ctx)
{
	(void)pid;
	unsigned *alive = ctx;
	if (!p->kernel_thread && !p->zombie && p->argv0[0] != '@')
		(*alive)++;
}

/* Reaps, and waits until no process that end_leftovers() ends is left, or up to ms. Returns how many
 * are left. */
static unsigned wait_for_ends(int ms)
{
	for (int waited = 0;; waited += 10) {
		reap_children();
		unsigned alive = 0;
		(void)for_each_process(count_alive, &alive);
		if (alive == 0 || waited >= ms)
			return alive;
		struct timespec pause = { 0, 10 * 1000 * 1000 };
		(void)nanosleep(&pause, NULL);
	}
}

int end_leftovers(int grace_ms, struct leftovers *report)
{
	*report = (struct leftovers){ 0 };
	struct ending e = { .report = report, .signal = SIGTERM };
	int r = for_each_process(end_one, &e);
	if (r < 0 || e.alive == 0)
		return r;
	if (wait_for_ends(grace_ms) == 0)
		return 0;
	e = (struct ending){ .report = report, .signal = SIGKILL };
	(void)for_each_process(end_one, &e);
	(void)wait_for_ends(1000);
	return 0;
}
