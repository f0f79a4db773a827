/* Logging to /dev/kmsg with an "rdinit: " prefix, so messages stay in dmesg after boot. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_EMERG = 0,
	LOG_LEVEL_CRIT = 2,
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Opens /dev/kmsg (falls back to stderr until it exists) and lifts the kernel's rate limit on it. */
void log_open(void);
/* Gives the kernel back its /dev/kmsg rate limit and closes the log before the real init runs. */
void log_close(void);
void log_set_debug(bool on);
bool log_debug_enabled(void);
/* Also copy every message to the console: for when "quiet" hides kernel messages but not ours. */
void log_set_console_copy(bool on);

/* Copies the len bytes of in to out (size bytes, NUL-terminated), every byte that is not printable
 * ASCII or part of a printable UTF-8 character written as \xNN, as much as fits. Every message is
 * passed through it. Returns the length written. */
size_t log_escape(char *out, size_t size, const char *in, size_t len);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                         \
	do {                                                   \
		if (log_debug_enabled())                       \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__); \
	} while (0)

/* Milliseconds since /init started (CLOCK_MONOTONIC, as the kernel log clock). */
uint64_t timeline_now_ms(void);
/* Logs one timeline line: "+<ms> ms <stage>". */
void timeline_mark(const char *stage_fmt, ...) __attribute__((format(printf, 1, 2)));
