/* messages: what mkrdinit says on standard error, one line each, after "mkrdinit: ". */
#include <stdio.h>

#include "messages.h"

static void say(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void vcomplain(const char *fmt, va_list ap)
{
	say("mkrdinit: ", fmt, ap);
}

void complain(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vcomplain(fmt, ap);
	va_end(ap);
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("mkrdinit: warning: ", fmt, ap);
	va_end(ap);
}
