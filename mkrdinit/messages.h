/* messages: what mkrdinit says on standard error, one line each, after "mkrdinit: ". */
#pragma once
#include <stdarg.h>

/* "mkrdinit: MESSAGE": what failed and why. */
void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vcomplain(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* "mkrdinit: warning: MESSAGE": something left out that the image may do without. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
