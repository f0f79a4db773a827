/* Asking for a passphrase on the consoles, echo off, before any other program runs: the first
 * console to answer wins. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#define PROMPT_CONSOLES_MAX 8

/* Opens every active console (/sys/class/tty/console/active, as systemd asks them all), or
 * /dev/console when that lists none; fds gets them. Returns how many, or -errno. */
int prompt_open_consoles(int *fds, size_t max);
void prompt_close_consoles(const int *fds, size_t count);

/*
 * Writes prompt to each console in fds and reads one line from the first that answers, with echo
 * off (characters, Backspace and ^U edited as a terminal would, Enter ends it). The terminal
 * settings are given back after, and a newline written where the echo would have been. Returns
 * the passphrase's length (0 for an empty line) with buf NUL-terminated, -ECANCELED for ^C or ^D,
 * -ETIMEDOUT when timeout_ms (-1: none) passed, or -errno. A longer line is cut at size - 1.
 */
ssize_t prompt_passphrase(const int *fds, size_t count, const char *prompt, char *buf, size_t size,
			  int timeout_ms);
