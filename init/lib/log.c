/* Logging without stdio streams: format into a buffer, writev() it to /dev/kmsg. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sys.h"

#define DEVKMSG_KNOB "/proc/sys/kernel/printk_devkmsg"

static int kmsg_fd = -1;
static bool debug_on;
static bool console_copy;
static char saved_devkmsg[32];

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Taken when the program image starts, before main(), so the timeline covers everything. */
static uint64_t start_ms;
__attribute__((constructor)) static void timeline_start(void)
{
	start_ms = monotonic_ms();
}

uint64_t timeline_now_ms(void)
{
	return monotonic_ms() - start_ms;
}

void log_open(void)
{
	if (kmsg_fd >= 0)
		return;
	kmsg_fd = sys_open("/dev/kmsg", O_WRONLY | O_NOCTTY, 0);
	/* The kernel allows a /dev/kmsg writer ten lines per five seconds by default and drops
	 * the rest: switch that off for our short life, and give the setting back before exec. */
	if (sys_read_file(DEVKMSG_KNOB, saved_devkmsg, sizeof(saved_devkmsg)) > 0) {
		saved_devkmsg[strcspn(saved_devkmsg, "\n")] = '\0';
		if (strcmp(saved_devkmsg, "ratelimit") == 0)
			(void)sys_write_file(DEVKMSG_KNOB, "on\n");
		else
			saved_devkmsg[0] = '\0';
	}
}

void log_close(void)
{
	if (saved_devkmsg[0])
		(void)sys_write_file(DEVKMSG_KNOB, saved_devkmsg);
	saved_devkmsg[0] = '\0';
	if (kmsg_fd >= 0)
		(void)close(kmsg_fd);
	kmsg_fd = -1;
}

void log_set_debug(bool on)
{
	debug_on = on;
}

bool log_debug_enabled(void)
{
	return debug_on;
}

void log_set_console_copy(bool on)
{
	console_copy = on;
}

static void log_write(int fd, const struct iovec *iov, int count)
{
	ssize_t r;
	do
		r = writev(fd, iov, count);
	while (r < 0 && errno == EINTR);
}

/* The length of the UTF-8 sequence at s (at most len bytes) of one printable character from U+00A0
 * up, or 0: C1 controls, overlong forms, surrogates and truncated sequences are not printable. */
static size_t utf8_printable(const unsigned char *s, size_t len)
{
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (n == 0 || s[0] > 0xf4 || n > len)
		return 0;
	unsigned cp = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	static const unsigned least[] = { 0, 0, 0xa0, 0x800, 0x10000 };
	if (cp < least[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

size_t log_escape(char *out, size_t size, const char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t used = 0;
	for (size_t i = 0; i < len && used + 1 < size;) {
		size_t n = s[i] >= 0x20 && s[i] < 0x7f ? 1 : utf8_printable(s + i, len - i);
		if (n) {
			if (used + n >= size)
				break;
			memcpy(out + used, s + i, n);
			used += n;
			i += n;
			continue;
		}
		if (used + 4 >= size)
			break;
		out[used++] = '\\';
		out[used++] = 'x';
		out[used++] = hex[s[i] >> 4];
		out[used++] = hex[s[i] & 15];
		i++;
	}
	if (size)
		out[used] = '\0';
	return used;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char prefix[8], raw[1024], text[1024];
	int saved_errno = errno;
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		return;
	/* Labels, names and uevents come from disks and devices: a terminal escape in one must not
	 * reach the console as such, nor a newline split a /dev/kmsg record. */
	size_t len = log_escape(text, sizeof(text), raw,
				(size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1);
	(void)snprintf(prefix, sizeof(prefix), "<%d>", (int)level);

	struct iovec iov[] = {
		{ prefix, strlen(prefix) },
		{ (void *)"rdinit: ", 8 },
		{ text, len },
		{ (void *)"\n", 1 },
	};
	if (kmsg_fd >= 0)
		log_write(kmsg_fd, iov, 4);
	/* Without /dev/kmsg (before devtmpfs) the console is all we have. */
	if (kmsg_fd < 0 || (console_copy && level <= LOG_LEVEL_NOTICE))
		log_write(STDERR_FILENO, iov + 1, 3);
	errno = saved_errno;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void timeline_mark(const char *stage_fmt, ...)
{
	char stage[256];
	va_list ap;
	va_start(ap, stage_fmt);
	(void)vsnprintf(stage, sizeof(stage), stage_fmt, ap);
	va_end(ap);
	log_msg(LOG_LEVEL_INFO, "timeline: +%llu ms %s", (unsigned long long)timeline_now_ms(),
		stage);
}
