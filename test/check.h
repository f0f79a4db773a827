/* A minimal TAP producer for the C tests: one "ok"/"not ok" line per check, a plan at the end,
 * exit status 1 when anything failed. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int check_count, check_failed;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		bool ok_ = (cond);                                         \
		check_count++;                                             \
		if (ok_) {                                                 \
			printf("ok %d - ", check_count);                   \
		} else {                                                   \
			check_failed++;                                    \
			printf("not ok %d - ", check_count);               \
		}                                                          \
		printf(__VA_ARGS__);                                       \
		if (!ok_)                                                  \
			printf(" (%s:%d: %s)", __FILE__, __LINE__, #cond); \
		printf("\n");                                              \
	} while (0)

#define CHECK_STR(got, want, ...)                                                      \
	do {                                                                           \
		const char *got_ = (got), *want_ = (want);                             \
		bool same_ = got_ && want_ ? strcmp(got_, want_) == 0 : got_ == want_; \
		CHECK(same_, __VA_ARGS__);                                             \
		if (!same_)                                                            \
			printf("#   got '%s', want '%s'\n", got_ ? got_ : "(null)",    \
			       want_ ? want_ : "(null)");                              \
	} while (0)

static inline int check_done(void)
{
	printf("1..%d\n", check_count);
	return check_failed ? 1 : 0;
}
