/*
 * Fuzz target for the kernel command line: cmdline_for_each() and boot_options_parse().
 * The input is the command line (a NUL in it ends it, as in /proc/cmdline).
 *
 * Beyond not crashing: the splitter never hands out more text than it was given, never visits
 * "--", stops at the first negative visit and returns it, truncates the bad name to the buffer
 * it got; the options are in range and NUL-terminated, and root_ok is exactly what the last
 * root= implies (a model replays the split): never an empty root, never an earlier root= standing
 * in for a later bad one, and the kept root= re-parses to the same spec.
 */
#define FUZZ_TARGET "cmdline_fuzz"
#include <errno.h>
#include <limits.h>

#include "cmdline.h"
#include "fuzz.h"

struct model {
	size_t text_len, chars, visits, stop_at;
	bool root_ok;
	char root[CMDLINE_VALUE_MAX];
	struct root_spec spec;
};

static int visit(const char *name, const char *value, void *ctx)
{
	struct model *m = ctx;
	m->visits++;
	require(name != NULL, "a parameter without a name");
	require(value || strcmp(name, "--") != 0, "\"--\" was visited");
	m->chars += strlen(name) + (value ? strlen(value) + 1 : 0);
	require(m->chars <= m->text_len, "visited %zu bytes of a %zu byte line", m->chars,
		m->text_len);

	/* What on_root() must do with it. */
	if (strcmp(name, "root") == 0) {
		if (!value || !*value || strlen(value) >= CMDLINE_VALUE_MAX) {
			m->root_ok = false;
		} else {
			const char *reason;
			memcpy(m->root, value, strlen(value) + 1);
			m->root_ok = root_spec_parse(value, &m->spec, &reason) == 0;
		}
	}
	return m->stop_at && m->visits == m->stop_at ? -ECANCELED : 0;
}

static bool same_spec(const struct root_spec *a, const struct root_spec *b)
{
	return a->kind == b->kind && strcmp(a->value, b->value) == 0 && a->major == b->major &&
		a->minor == b->minor && a->partnroff == b->partnroff;
}

static void check_string(const char *field, size_t size, const char *what)
{
	require(strnlen(field, size) < size, "%s is not NUL-terminated", what);
}

static void check_options(const struct boot_options *o)
{
	check_string(o->root, sizeof(o->root), "root");
	check_string(o->rootfstype, sizeof(o->rootfstype), "rootfstype");
	check_string(o->rootflags, sizeof(o->rootflags), "rootflags");
	check_string(o->init, sizeof(o->init), "init");
	require(!o->init[0] || o->init[0] == '/', "init= kept a relative path '%s'", o->init);
	require(o->rootwait_s >= -1 && o->rd_timeout_s >= -1 && o->rootdelay_s >= 0,
		"a negative wait");
	require(!o->rootwait || o->rootwait_s == -1, "rootwait set together with rootwait=%d",
		o->rootwait_s);
	require(o->panic_s >= INT_MIN / 1000 && o->panic_s <= INT_MAX / 1000,
		"panic=%d out of range", o->panic_s);
	require(o->panic_set || o->panic_s == 0, "panic_s set without panic_set");
	int timeout = boot_options_root_timeout(o);
	require(timeout >= -1 && timeout <= INT_MAX / 1000, "root timeout %d", timeout);
	require(o->problem_count <= CMDLINE_MAX_PROBLEMS, "%zu problems", o->problem_count);
	for (size_t i = 0; i < o->problem_count; i++) {
		check_string(o->problems[i].param, sizeof(o->problems[i].param), "problem name");
		require(o->problems[i].reason && o->problems[i].reason[0],
			"a problem without a reason");
	}
	if (o->root_ok) {
		struct root_spec again;
		const char *reason;
		require(o->root[0], "root_ok with an empty root=");
		require(root_spec_parse(o->root, &again, &reason) == 0 &&
				same_spec(&again, &o->root_spec),
			"root_ok, but root=%s does not re-parse to the same spec", o->root);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	size_t len = strlen(text);

	/* The split, replayed by the model with the buffer boot_options_parse() uses. */
	struct model m = { .text_len = len };
	char bad[64];
	int r = cmdline_for_each(text, visit, &m, bad, sizeof(bad));
	require(r == 0 || r == -EINVAL || r == -E2BIG, "cmdline_for_each returned %d", r);
	require((r == -E2BIG) == (len >= CMDLINE_MAX), "-E2BIG for %zu bytes is %s", len,
		r == -E2BIG ? "wrong" : "missing");
	require(r != -E2BIG || m.visits == 0, "parameters visited in a line refused as too long");
	if (r == -EINVAL) {
		check_string(bad, sizeof(bad), "bad_name");
		if (strcmp(bad, "root") == 0)
			m.root_ok = false;
	}
	struct model full = m;

	/* A smaller bad_name buffer: same result, the name truncated to fit. */
	size_t small_size = 1 + size % sizeof(bad);
	char small[64];
	m = (struct model){ .text_len = len };
	require(cmdline_for_each(text, visit, &m, small, small_size) == r,
		"result depends on bad_name_size");
	if (r == -EINVAL)
		require(strlen(small) < small_size && strncmp(small, bad, strlen(small)) == 0 &&
				(strlen(small) == small_size - 1 || strcmp(small, bad) == 0),
			"bad_name '%s' in %zu bytes is not '%s' truncated", small, small_size, bad);

	/* A visitor that fails stops the walk, and its error comes back. */
	if (full.visits > 0) {
		m = (struct model){ .text_len = len, .stop_at = 1 + size % full.visits };
		require(cmdline_for_each(text, visit, &m, bad, sizeof(bad)) == -ECANCELED &&
				m.visits == m.stop_at,
			"the walk went on after visit %zu failed", m.stop_at);
	}

	struct boot_options opts;
	boot_options_parse(text, &opts);
	check_options(&opts);
	require(opts.root_ok == full.root_ok, "root_ok is %d, the last root= says %d", opts.root_ok,
		full.root_ok);
	if (opts.root_ok)
		require(strcmp(opts.root, full.root) == 0 && same_spec(&opts.root_spec, &full.spec),
			"root=%s kept, the last root= was %s", opts.root, full.root);
	free(text);
	return 0;
}
