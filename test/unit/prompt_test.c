/* The passphrase prompt on pseudo-terminals: a child plays the user, answering once the prompt is
 * shown. Nothing typed is echoed; editing keys work; ^C cancels; the first of two consoles to answer
 * wins; the terminal's settings come back. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../check.h"
#include "prompt.h"

struct pty {
	int master, slave;
};

static struct pty open_pty(void)
{
	struct pty p = { .master = posix_openpt(O_RDWR | O_NOCTTY) };
	if (p.master < 0 || grantpt(p.master) < 0 || unlockpt(p.master) < 0) {
		printf("1..0 # SKIP no pseudo-terminals here\n");
		exit(0);
	}
	p.slave = open(ptsname(p.master), O_RDWR | O_NOCTTY);
	return p;
}

/* Reads what the console showed, until it holds want (or 2 s pass). */
static void wait_for(int master, const char *want, char *seen, size_t size)
{
	size_t len = 0;
	seen[0] = '\0';
	for (int i = 0; i < 200 && !strstr(seen, want); i++) {
		ssize_t n = read(master, seen + len, size - 1 - len);
		if (n > 0)
			seen[len += (size_t)n] = '\0';
		else
			usleep(10000);
	}
}

/* Forks a user who waits for the prompt on master, then types keys. */
static pid_t user(int master, const char *keys)
{
	pid_t pid = fork();
	if (pid == 0) {
		char seen[256];
		(void)fcntl(master, F_SETFL, O_NONBLOCK);
		wait_for(master, "Passphrase: ", seen, sizeof(seen));
		if (keys)
			(void)!write(master, keys, strlen(keys));
		_exit(0);
	}
	return pid;
}

static ssize_t ask(struct pty *p, const char *keys, char *buf, size_t size, int timeout_ms)
{
	pid_t pid = user(p->master, keys);
	ssize_t r = prompt_passphrase(&p->slave, 1, "Passphrase: ", buf, size, timeout_ms);
	(void)waitpid(pid, NULL, 0);
	return r;
}

int main(void)
{
	char buf[128], seen[512];
	struct pty p = open_pty();
	struct termios before, after;
	(void)tcgetattr(p.slave, &before);

	CHECK(ask(&p, "s3cret pass\r", buf, sizeof(buf), 5000) == 11 &&
		      strcmp(buf, "s3cret pass") == 0,
	      "a line typed after the prompt is the passphrase");
	(void)fcntl(p.master, F_SETFL, O_NONBLOCK);
	wait_for(p.master, "\n", seen, sizeof(seen));
	CHECK(!strstr(seen, "s3cret"),
	      "nothing typed was echoed (the console showed %zu bytes after the prompt)",
	      strlen(seen));
	(void)tcgetattr(p.slave, &after);
	CHECK(after.c_lflag == before.c_lflag && after.c_iflag == before.c_iflag,
	      "the terminal's settings are given back");

	CHECK(ask(&p,
		  "abx\x7f"
		  "c\r",
		  buf, sizeof(buf), 5000) == 3 &&
		      strcmp(buf, "abc") == 0,
	      "Backspace takes back a character");
	CHECK(ask(&p, "junk\x15real\n", buf, sizeof(buf), 5000) == 4 && strcmp(buf, "real") == 0,
	      "^U takes back the line; a newline ends it like Enter");
	CHECK(ask(&p, "\r", buf, sizeof(buf), 5000) == 0 && buf[0] == '\0',
	      "an empty line is an empty passphrase");
	CHECK(ask(&p, "half\x03", buf, sizeof(buf), 5000) == -ECANCELED, "^C cancels, at once");
	CHECK(ask(&p, NULL, buf, sizeof(buf), 300) == -ETIMEDOUT, "no answer: the timeout ends it");
	CHECK(ask(&p, "0123456789abcdef\r", buf, 8, 5000) == 7 && strcmp(buf, "0123456") == 0,
	      "a longer line is cut to the buffer");

	struct pty q = open_pty();
	int both[] = { p.slave, q.slave };
	pid_t pid = user(q.master, "from q\r");
	ssize_t r = prompt_passphrase(both, 2, "Passphrase: ", buf, sizeof(buf), 5000);
	(void)waitpid(pid, NULL, 0);
	CHECK(r == 6 && strcmp(buf, "from q") == 0,
	      "of two consoles, the one that answers is heard");
	wait_for(p.master, "Passphrase: ", seen, sizeof(seen));
	CHECK(strstr(seen, "Passphrase: ") != NULL, "and the prompt was on the other too");

	CHECK(prompt_passphrase(both, 0, "x", buf, sizeof(buf), 10) == -EINVAL,
	      "no console: -EINVAL");
	return check_done();
}
