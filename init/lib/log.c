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

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char prefix[8], text[1024];
	int saved_errno = errno;
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
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
