/* The boot state every stage is handed, and the two ways a stage reports: a mark on the timeline,
 * a failure. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "boot.h"
#include "log.h"

void boot_init(struct boot *boot, char **argv)
{
	/* boot is zero already (static, or calloc'ed): clearing its 230 KB table of devices again would
	 * only make PID 1 touch pages it may never use. */
	boot->argv = argv;
	boot_options_parse("", &boot->opts);
}

static int fail(struct boot *boot, bool final, int error, const char *fmt, va_list ap)
{
	(void)vsnprintf(boot->failure.cause, sizeof(boot->failure.cause), fmt, ap);
	boot->failure.final = final;
	return error < 0 ? error : -EIO;
}

int boot_fail(struct boot *boot, int error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = fail(boot, false, error, fmt, ap);
	va_end(ap);
	return r;
}

int boot_fail_final(struct boot *boot, int error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = fail(boot, true, error, fmt, ap);
	va_end(ap);
	return r;
}

void boot_mark(struct boot *boot, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	uint64_t ms = timeline_now_ms();
	log_info("timeline: +%llu ms %s", (unsigned long long)ms, what);
	struct timeline *t = &boot->timeline;
	if (t->count == TIMELINE_MAX)
		t->count--; /* the latest marks matter most: where the boot got to */
	t->marks[t->count].ms = ms;
	/* Only the mark's start is kept: "root device /dev/vda1 found". */
	(void)snprintf(t->marks[t->count].what, sizeof(t->marks[0].what), "%.*s",
		       (int)sizeof(t->marks[0].what) - 1, what);
	t->count++;
}
