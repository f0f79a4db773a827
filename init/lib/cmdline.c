/* The kernel command line, split as the kernel's lib/cmdline.c next_arg() splits it. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "uevent.h"

int cmdline_for_each(const char *text, int (*visit)(const char *name, const char *value, void *ctx),
		     void *ctx, char *bad_name, size_t bad_name_size)
{
	char buf[CMDLINE_MAX];
	size_t len = strnlen(text, sizeof(buf));
	if (len == sizeof(buf))
		return -E2BIG;
	memcpy(buf, text, len + 1);

	char *args = buf;
	while (isspace((unsigned char)*args))
		args++;
	while (*args) {
		size_t i, equals = 0;
		bool in_quote = false, quoted = false;
		if (*args == '"') {
			args++;
			in_quote = quoted = true;
		}
		for (i = 0; args[i]; i++) {
			if (isspace((unsigned char)args[i]) && !in_quote)
				break;
			if (equals == 0 && args[i] == '=')
				equals = i;
			if (args[i] == '"')
				in_quote = !in_quote;
		}
		/* The kernel silently takes the rest of the line; a lost quote is more likely a
		 * typo that would swallow the next parameters, so refuse it. */
		if (in_quote) {
			size_t n = equals ? equals : i;
			if (n >= bad_name_size)
				n = bad_name_size - 1;
			memcpy(bad_name, args, n);
			bad_name[n] = '\0';
			return -EINVAL;
		}

		char *name = args, *value = NULL;
		char *end = args + i;
		bool more = *end != '\0';
		*end = '\0';
		if (equals) {
			args[equals] = '\0';
			value = args + equals + 1;
			if (*value == '"') {
				value++;
				if (end > value && end[-1] == '"')
					end[-1] = '\0';
			}
		}
		if (quoted && end > name && end[-1] == '"')
			end[-1] = '\0';

		/* Everything after "--" belongs to init, not to us. */
		if (!value && strcmp(name, "--") == 0)
			return 0;
		int r = visit(name, value, ctx);
		if (r < 0)
			return r;

		args = more ? end + 1 : end;
		while (isspace((unsigned char)*args))
			args++;
	}
	return 0;
}

static int parse_int(const char *value, int min, int max, int *out)
{
	if (!value || !*value)
		return -EINVAL;
	char *end;
	errno = 0;
	long n = strtol(value, &end, 10);
	if (errno || *end || n < min || n > max)
		return -ERANGE;
	*out = (int)n;
	return 0;
}

static int copy_value(char *dst, size_t size, const char *value, const char **reason)
{
	if (!value || !*value) {
		*reason = "empty value";
		return -EINVAL;
	}
	size_t len = strlen(value);
	if (len >= size) {
		*reason = "value too long";
		return -ENAMETOOLONG;
	}
	memcpy(dst, value, len + 1);
	return 0;
}

typedef int option_handler(struct boot_options *opts, const char *value, const char **reason);

static int on_root(struct boot_options *opts, const char *value, const char **reason)
{
	int r = copy_value(opts->root, sizeof(opts->root), value, reason);
	if (r < 0) {
		/* A later bad root= must not leave an earlier good one standing. */
		opts->root_ok = false;
		return r;
	}
	r = root_spec_parse(value, &opts->root_spec, reason);
	opts->root_ok = r == 0;
	return r;
}

static int on_rootfstype(struct boot_options *opts, const char *value, const char **reason)
{
	return copy_value(opts->rootfstype, sizeof(opts->rootfstype), value, reason);
}

static int on_rootflags(struct boot_options *opts, const char *value, const char **reason)
{
	return copy_value(opts->rootflags, sizeof(opts->rootflags), value, reason);
}

static int on_init(struct boot_options *opts, const char *value, const char **reason)
{
	int r = copy_value(opts->init, sizeof(opts->init), value, reason);
	if (r == 0 && value[0] != '/') {
		opts->init[0] = '\0';
		*reason = "not an absolute path";
		return -EINVAL;
	}
	return r;
}

static int on_ro(struct boot_options *opts, const char *value, const char **reason)
{
	if (value) {
		*reason = "takes no value";
		return -EINVAL;
	}
	opts->read_write = false;
	return 0;
}

static int on_rw(struct boot_options *opts, const char *value, const char **reason)
{
	int r = on_ro(opts, value, reason);
	if (r == 0)
		opts->read_write = true;
	return r;
}

static int on_seconds(int *field, const char *value, const char **reason)
{
	int r = parse_int(value, 0, INT_MAX / 1000, field);
	if (r < 0)
		*reason = "expected a number of seconds";
	return r;
}

static int on_rootwait(struct boot_options *opts, const char *value, const char **reason)
{
	if (!value) {
		opts->rootwait = true;
		opts->rootwait_s = -1;
		return 0;
	}
	int r = on_seconds(&opts->rootwait_s, value, reason);
	if (r == 0)
		opts->rootwait = false;
	return r;
}

static int on_rootdelay(struct boot_options *opts, const char *value, const char **reason)
{
	return on_seconds(&opts->rootdelay_s, value, reason);
}

static int on_rd_timeout(struct boot_options *opts, const char *value, const char **reason)
{
	return on_seconds(&opts->rd_timeout_s, value, reason);
}

static int on_panic(struct boot_options *opts, const char *value, const char **reason)
{
	int r = parse_int(value, INT_MIN / 1000, INT_MAX / 1000, &opts->panic_s);
	if (r < 0) {
		*reason = "expected a number of seconds";
		return r;
	}
	opts->panic_set = true;
	return 0;
}

static int on_flag(bool *field, const char *value, const char **reason)
{
	if (!value || strcmp(value, "1") == 0 || strcmp(value, "yes") == 0) {
		*field = true;
		return 0;
	}
	if (strcmp(value, "0") == 0 || strcmp(value, "no") == 0) {
		*field = false;
		return 0;
	}
	*reason = "expected 0 or 1";
	return -EINVAL;
}

static int on_rd_debug(struct boot_options *opts, const char *value, const char **reason)
{
	return on_flag(&opts->debug, value, reason);
}

static int on_quiet(struct boot_options *opts, const char *value, const char **reason)
{
	return on_flag(&opts->quiet, value, reason);
}

static int on_rd_shell(struct boot_options *opts, const char *value, const char **reason)
{
	bool on;
	int r = on_flag(&on, value, reason);
	if (r == 0)
		opts->shell = on;
	return r;
}

/* dracut's rd.break without a value stops just before the switch. */
static int on_rd_break(struct boot_options *opts, const char *value, const char **reason)
{
	if (!value || !*value) {
		opts->break_stage = STAGE_PRE_PIVOT;
		return 0;
	}
	enum boot_stage stage = boot_stage_from_name(value);
	if (stage != STAGE_PRE_UDEV && stage != STAGE_PRE_MOUNT && stage != STAGE_PRE_PIVOT) {
		*reason = "expected pre-udev, pre-mount or pre-pivot";
		return -EINVAL;
	}
	opts->break_stage = stage;
	return 0;
}

static int on_rd_emergency(struct boot_options *opts, const char *value, const char **reason)
{
	static const struct {
		const char *name;
		enum emergency_action action;
	} actions[] = {
		{ "reboot", EMERGENCY_REBOOT },
		{ "poweroff", EMERGENCY_POWEROFF },
		{ "halt", EMERGENCY_HALT },
	};
	for (size_t i = 0; value && i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(value, actions[i].name) == 0) {
			opts->emergency_action = actions[i].action;
			return 0;
		}
	}
	*reason = "expected reboot, poweroff or halt";
	return -EINVAL;
}

static int on_rd_hook_timeout(struct boot_options *opts, const char *value, const char **reason)
{
	int seconds;
	int r = on_seconds(&seconds, value, reason);
	if (r == 0 && seconds == 0) {
		*reason = "a hook needs at least 1 second";
		return -ERANGE;
	}
	if (r == 0)
		opts->hook_timeout_s = seconds;
	return r;
}

/* Small buffers overflow sooner: for machines short of memory, and for testing the rescan. */
static int on_rd_uevent_buffer(struct boot_options *opts, const char *value, const char **reason)
{
	int bytes;
	int r = parse_int(value, 4096, 1 << 30, &bytes);
	if (r < 0) {
		*reason = "expected a number of bytes from 4096 to 1073741824";
		return r;
	}
	opts->uevent_buffer = bytes;
	return 0;
}

static int on_rd_lvm(struct boot_options *opts, const char *value, const char **reason)
{
	return on_flag(&opts->lvm, value, reason);
}

/* A volume group's name as lvm takes it: letters, digits and "+_.-", not starting with '-' (which
 * lvm would read as an option). */
static int on_rd_lvm_vg(struct boot_options *opts, const char *value, const char **reason)
{
	if (!value || !*value || value[0] == '-' || strspn(value, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-") != strlen(value)) {
		*reason = "expected a volume group name (letters, digits, +_.-, not starting with -)";
		return -EINVAL;
	}
	if (opts->lvm_vg_count == CMDLINE_LIST_MAX) {
		*reason = "more than 8 given: this one ignored";
		return -E2BIG;
	}
	int r = copy_value(opts->lvm_vg[opts->lvm_vg_count], sizeof(opts->lvm_vg[0]), value, reason);
	if (r == 0)
		opts->lvm_vg_count++;
	return r;
}

static const struct {
	const char *name;
	option_handler *handle;
} option_table[] = {
	{ "root", on_root },
	{ "rootfstype", on_rootfstype },
	{ "rootflags", on_rootflags },
	{ "init", on_init },
	{ "ro", on_ro },
	{ "rw", on_rw },
	{ "rootwait", on_rootwait },
	{ "rootdelay", on_rootdelay },
	{ "rd.timeout", on_rd_timeout },
	{ "panic", on_panic },
	{ "rd.debug", on_rd_debug },
	{ "rd.shell", on_rd_shell },
	{ "rd.break", on_rd_break },
	{ "rd.emergency", on_rd_emergency },
	{ "rd.hook_timeout", on_rd_hook_timeout },
	{ "rd.uevent_buffer", on_rd_uevent_buffer },
	{ "quiet", on_quiet },
	{ "rd.lvm", on_rd_lvm },
	{ "rd.lvm.vg", on_rd_lvm_vg },
};

static void note_problem(struct boot_options *opts, const char *name, const char *reason)
{
	if (opts->problem_count == CMDLINE_MAX_PROBLEMS)
		return;
	struct cmdline_problem *p = &opts->problems[opts->problem_count++];
	size_t len = strnlen(name, sizeof(p->param) - 1);
	memcpy(p->param, name, len);
	p->param[len] = '\0';
	p->reason = reason;
}

static int visit_option(const char *name, const char *value, void *ctx)
{
	struct boot_options *opts = ctx;
	for (size_t i = 0; i < sizeof(option_table) / sizeof(option_table[0]); i++) {
		if (strcmp(name, option_table[i].name) != 0)
			continue;
		const char *reason = "invalid value";
		if (option_table[i].handle(opts, value, &reason) < 0)
			note_problem(opts, name, reason);
		return 0;
	}
	return 0;
}

void boot_options_parse(const char *text, struct boot_options *opts)
{
	*opts = (struct boot_options){
		.rootwait_s = -1,
		.rd_timeout_s = -1,
		.shell = -1,
		.break_stage = STAGE_NONE,
		.hook_timeout_s = DEFAULT_HOOK_TIMEOUT_S,
		.uevent_buffer = UEVENT_RCVBUF_DEFAULT,
		.lvm = true,
	};
	char bad_name[64];
	int r = cmdline_for_each(text, visit_option, opts, bad_name, sizeof(bad_name));
	if (r == -EINVAL) {
		/* An earlier root= must not stand in for the one the user botched. */
		if (strcmp(bad_name, "root") == 0)
			opts->root_ok = false;
		note_problem(opts, bad_name, "unterminated quote: it and all after it ignored");
	}
	else if (r == -E2BIG)
		note_problem(opts, "(command line)", "longer than 4096 bytes: ignored");
}

int boot_options_root_timeout(const struct boot_options *opts)
{
	if (opts->rd_timeout_s >= 0)
		return opts->rd_timeout_s == 0 ? -1 : opts->rd_timeout_s;
	if (opts->rootwait_s >= 0)
		return opts->rootwait_s;
	if (opts->rootwait)
		return -1;
	return DEFAULT_ROOT_TIMEOUT_S;
}
