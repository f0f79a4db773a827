/* A passphrase from the console: each terminal in raw mode without echo, read byte by byte, so that
 * ^C takes effect at once and PID 1 (which has every signal blocked, and no controlling terminal)
 * gets no signal; the first console to send a whole line wins. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "prompt.h"
#include "sys.h"

int prompt_open_consoles(int *fds, size_t max)
{
	char active[256], path[64];
	size_t count = 0;
	if (sys_read_file("/sys/class/tty/console/active", active, sizeof(active)) > 0) {
		for (char *save = NULL, *name = strtok_r(active, " \t\n", &save);
		     name && count < max; name = strtok_r(NULL, " \t\n", &save)) {
			if (strchr(name, '/') ||
			    snprintf(path, sizeof(path), "/dev/%s", name) >= (int)sizeof(path))
				continue;
			int fd = sys_open(path, O_RDWR | O_NOCTTY, 0);
			if (fd >= 0)
				fds[count++] = fd;
		}
	}
	if (count == 0 && max > 0) {
		int fd = sys_open("/dev/console", O_RDWR | O_NOCTTY, 0);
		if (fd < 0)
			return fd;
		fds[count++] = fd;
	}
	return (int)count;
}

void prompt_close_consoles(const int *fds, size_t count)
{
	for (size_t i = 0; i < count; i++)
		(void)close(fds[i]);
}

static void write_all(int fd, const char *text)
{
	size_t len = strlen(text);
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

static long long now_ms(void)
{
	struct timespec ts;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct line {
	char text[512];
	size_t len;
};

/* Adds c to line. Returns 1 when the line is complete, -ECANCELED for ^C/^D, else 0. */
static int edit(struct line *line, char c)
{
	switch (c) {
	case '\r':
	case '\n':
		return 1;
	case 0x03: /* ^C */
	case 0x04: /* ^D */
		return -ECANCELED;
	case 0x7f: /* Backspace, as terminals send it */
	case 0x08:
		if (line->len > 0)
			line->len--;
		return 0;
	case 0x15: /* ^U */
		line->len = 0;
		return 0;
	}
	if (line->len < sizeof(line->text) - 1)
		line->text[line->len++] = c;
	return 0;
}

ssize_t prompt_passphrase(const int *fds, size_t count, const char *prompt, char *buf, size_t size,
			  int timeout_ms)
{
	if (count == 0 || count > PROMPT_CONSOLES_MAX || size == 0)
		return -EINVAL;
	struct termios saved[PROMPT_CONSOLES_MAX];
	bool is_tty[PROMPT_CONSOLES_MAX];
	struct line lines[PROMPT_CONSOLES_MAX];
	struct pollfd pfds[PROMPT_CONSOLES_MAX];
	for (size_t i = 0; i < count; i++) {
		is_tty[i] = tcgetattr(fds[i], &saved[i]) == 0;
		if (is_tty[i]) {
			struct termios raw = saved[i];
			/* No echo, no line editing or signals by the terminal: we edit, ^C is ours. */
			raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
			raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR);
			raw.c_cc[VMIN] = 1;
			raw.c_cc[VTIME] = 0;
			(void)tcsetattr(fds[i], TCSANOW, &raw);
		}
		lines[i].len = 0;
		pfds[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		write_all(fds[i], prompt);
	}

	ssize_t result = -ETIMEDOUT;
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	size_t winner = 0;
	for (bool done = false; !done;) {
		int wait = deadline < 0 ? -1 : (int)(deadline - now_ms());
		if (deadline >= 0 && wait <= 0)
			break;
		int ready = poll(pfds, count, wait);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0) {
			result = -errno;
			break;
		}
		for (size_t i = 0; i < count && !done; i++) {
			if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char chunk[64];
			ssize_t n = read(fds[i], chunk, sizeof(chunk));
			if (n <= 0) {
				/* A console that went away answers nothing: stop listening to it. */
				if (n == 0 || (errno != EINTR && errno != EAGAIN))
					pfds[i].fd = -1;
				continue;
			}
			for (ssize_t k = 0; k < n && !done; k++) {
				int r = edit(&lines[i], chunk[k]);
				if (r != 0) {
					done = true;
					winner = i;
					result = r < 0 ? r : (ssize_t)lines[i].len;
				}
			}
			explicit_bzero(chunk, sizeof(chunk));
		}
	}
	if (result >= 0) {
		size_t len = (size_t)result < size - 1 ? (size_t)result : size - 1;
		memcpy(buf, lines[winner].text, len);
		buf[len] = '\0';
		result = (ssize_t)len;
	}
	for (size_t i = 0; i < count; i++) {
		if (is_tty[i])
			(void)tcsetattr(fds[i], TCSANOW, &saved[i]);
		write_all(fds[i], "\n");
	}
	explicit_bzero(lines, sizeof(lines));
	return result;
}
