/*
 * Fuzz target for the uevent parsers: the input is parsed as a netlink payload
 * ("action@devpath\0KEY=VALUE\0...", uevent_parse_netlink) and as a sysfs uevent file
 * ("KEY=VALUE\n...", uevent_parse_sysfs), each in a buffer of exactly len + 1 bytes as the
 * callers give it, so that AddressSanitizer sees any byte read or written beyond.
 *
 * Beyond not crashing: every property pointer lies inside the buffer and its string ends
 * inside it; an accepted netlink message has ACTION, DEVPATH and SUBSYSTEM, a non-empty action,
 * and the header the kernel writes ("ACTION@DEVPATH\0" at the very start); a property's value is
 * the last one of that name in the input (a reference scan of the original bytes).
 */
#define FUZZ_TARGET "uevent_fuzz"
#include <errno.h>

#include "fuzz.h"
#include "uevent.h"

static const char *const keys[] = {
	"ACTION",   "DEVPATH", "SUBSYSTEM", "DEVNAME", "DEVTYPE",
	"MODALIAS", "MAJOR",   "MINOR",	    "PARTN",
};

static const char *field(const struct uevent *ev, size_t i)
{
	const char *const fields[] = {
		ev->action,   ev->devpath, ev->subsystem, ev->devname, ev->devtype,
		ev->modalias, ev->major,   ev->minor,	  ev->partn,
	};
	return fields[i];
}

/* The value of the last KEY=... entry of data[start, size), entries ending at sep or at the end;
 * sets *len, returns NULL when there is none. */
static const uint8_t *last_value(const uint8_t *data, size_t start, size_t size, char sep,
				 const char *key, size_t *len)
{
	const uint8_t *found = NULL;
	size_t klen = strlen(key);
	for (size_t p = start; p < size;) {
		const uint8_t *next = memchr(data + p, sep, size - p);
		size_t entry = next ? (size_t)(next - (data + p)) : size - p;
		/* An entry is cut at its first NUL (the parser sees C strings). */
		const uint8_t *nul = memchr(data + p, '\0', entry);
		size_t visible = nul ? (size_t)(nul - (data + p)) : entry;
		if (visible > klen && memcmp(data + p, key, klen) == 0 && data[p + klen] == '=') {
			found = data + p + klen + 1;
			*len = visible - klen - 1;
			/* Trailing newlines are the kernel's, not the value's. */
			while (*len && found[*len - 1] == '\n')
				(*len)--;
		}
		p += entry + 1;
	}
	return found;
}

static void check_event(const struct uevent *ev, const char *buf, size_t len, const uint8_t *data,
			size_t start, char sep, const char *mode)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = field(ev, i);
		size_t want_len = 0;
		const uint8_t *want = last_value(data, start, len, sep, keys[i], &want_len);
		if (!v) {
			require(!want, "%s: %s present in the input but not parsed", mode, keys[i]);
			continue;
		}
		require(v >= buf && v <= buf + len, "%s: %s points outside the buffer", mode,
			keys[i]);
		require(memchr(v, '\0', (size_t)(buf + len + 1 - v)) != NULL,
			"%s: %s does not end inside the buffer", mode, keys[i]);
		require(want && strlen(v) == want_len && memcmp(v, want, want_len) == 0,
			"%s: %s is '%s', not the last %s= of the input", mode, keys[i], v, keys[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > UEVENT_BUFFER_SIZE)
		return 0; /* uevent_monitor_receive() refuses a longer message as truncated */
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	struct uevent ev;

	memcpy(buf, data, size);
	int r = uevent_parse_netlink(buf, size, &ev);
	require(r == 0 || r == -EBADMSG, "netlink: returned %d", r);
	if (r == 0) {
		size_t header_len = strnlen((const char *)data, size);
		require(header_len < size, "netlink: accepted without a header NUL");
		require(ev.action && ev.devpath && ev.subsystem && ev.action[0],
			"netlink: accepted without ACTION, "
			"DEVPATH or SUBSYSTEM");
		size_t alen = strlen(ev.action), dlen = strlen(ev.devpath);
		require(header_len == alen + 1 + dlen && memcmp(data, ev.action, alen) == 0 &&
				data[alen] == '@' && memcmp(data + alen + 1, ev.devpath, dlen) == 0,
			"netlink: the header is not ACTION@DEVPATH (%s@%s)", ev.action, ev.devpath);
		check_event(&ev, buf, size, data, header_len + 1, '\0', "netlink");
	}

	memcpy(buf, data, size);
	r = uevent_parse_sysfs(buf, size, &ev);
	require(r == 0, "sysfs: returned %d", r);
	check_event(&ev, buf, size, data, 0, '\n', "sysfs");
	free(buf);
	return 0;
}
