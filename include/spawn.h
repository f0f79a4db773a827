/* Running child programs from PID 1: hooks and the rescue shell. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct program_result {
	bool timed_out;
	bool signaled;
	int status; /* exit status, or the signal number when signaled */
};

/*
 * Runs path with argv and envp on our console, as a session leader, with the default signal
 * mask. interactive makes the console its controlling terminal (job control and ^C for a shell);
 * a hook gets none, so that a daemon it leaves behind is not hung up when it exits.
 * Waits at most timeout_ms (-1: forever), then kills it. Children that others left to us are
 * reaped meanwhile. Returns 0 when it ran (see result), or -errno when it could not start.
 */
int run_program(const char *path, char *const argv[], char *const envp[], bool interactive,
		int timeout_ms, struct program_result *result);

/* As run_program() (not interactive), with the program's standard output read into out (size bytes,
 * NUL-terminated; the rest dropped) instead of the console. */
int run_program_output(const char *path, char *const argv[], char *const envp[], int timeout_ms,
		       char *out, size_t size, struct program_result *result);

/* The first executable file named name in IMAGE_PATH's folders, into path. Returns 0 or -ENOENT. */
int find_program(const char *name, char *path, size_t size);

/* Reaps every child that has already exited. */
void reap_children(void);

#define LEFTOVERS_NAMED 4

/* What end_leftovers() did. */
struct leftovers {
	unsigned ended;			 /* sent SIGTERM */
	unsigned killed;		 /* of those, still there after the grace time: SIGKILL */
	unsigned kept;			 /* argv[0] starts with '@' */
	char names[LEFTOVERS_NAMED][64]; /* the first ones ended, "ARGV0[PID]" */
	unsigned named;
};

/* Ends every process but PID 1 and the kernel's threads (hooks' daemons, what a rescue shell
 * left): SIGTERM, then SIGKILL to those still there after grace_ms; reaps them. Spared: those
 * whose argv[0] starts with '@', systemd's mark for what must outlive the initramfs. Returns 0,
 * or -errno when /proc cannot be read. */
int end_leftovers(int grace_ms, struct leftovers *report);
