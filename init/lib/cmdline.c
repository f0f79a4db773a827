/* The kernel command line, split as the kernel's lib/cmdline.c next_arg() splits it. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
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

/* mount.usr= takes every form root= does (systemd's). */
static int on_mount_usr(struct boot_options *opts, const char *value, const char **reason)
{
	int r = copy_value(opts->usr, sizeof(opts->usr), value, reason);
	if (r == 0)
		r = root_spec_parse(value, &opts->usr_spec, reason);
	opts->usr_ok = r == 0;
	return r;
}

static int on_mount_usrfstype(struct boot_options *opts, const char *value, const char **reason)
{
	return copy_value(opts->usrfstype, sizeof(opts->usrfstype), value, reason);
}

static int on_mount_usrflags(struct boot_options *opts, const char *value, const char **reason)
{
	return copy_value(opts->usrflags, sizeof(opts->usrflags), value, reason);
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

static int on_rd_shutdown(struct boot_options *opts, const char *value, const char **reason)
{
	bool on;
	int r = on_flag(&on, value, reason);
	if (r == 0)
		opts->shutdown = on;
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

/* A duplicate of the root that appears this long after it is still seen; 0 trusts the first
 * match at once. */
static int on_rd_settle_ms(struct boot_options *opts, const char *value, const char **reason)
{
	int ms;
	int r = parse_int(value, 0, 60000, &ms);
	if (r < 0) {
		*reason = "expected milliseconds from 0 to 60000";
		return r;
	}
	opts->settle_ms = ms;
	return 0;
}

/* Small buffers overflow sooner: for machines short of memory, and for testing the rescan. */
static int on_rd_uevent_buffer(struct boot_options *opts, const char *value, const char **reason)
{
	int bytes;
	int r = parse_int(value, 4096, UEVENT_RCVBUF_MAX, &bytes);
	if (r < 0) {
		*reason = "expected a number of bytes from 4096 to 134217728 (128 MiB)";
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
	if (!value || !*value || value[0] == '-' ||
	    strspn(value,
		   "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-") != strlen(value)) {
		*reason =
			"expected a volume group name (letters, digits, +_.-, not starting with -)";
		return -EINVAL;
	}
	if (opts->lvm_vg_count == CMDLINE_LIST_MAX) {
		*reason = "more than 8 given: this one ignored";
		return -E2BIG;
	}
	int r = copy_value(opts->lvm_vg[opts->lvm_vg_count], sizeof(opts->lvm_vg[0]), value,
			   reason);
	if (r == 0)
		opts->lvm_vg_count++;
	return r;
}

/* A LUKS UUID as dracut and systemd take it: hex and dashes, with or without "luks-", any case. */
static int copy_luks_uuid(char *dst, const char *value, size_t len, const char **reason)
{
	if (len >= 5 && strncmp(value, "luks-", 5) == 0) {
		value += 5;
		len -= 5;
	}
	if (copy_lower_hex(dst, LUKS_UUID_MAX, value, len, reason) < 0) {
		*reason = "expected a LUKS UUID (hexadecimal and '-')";
		return -EINVAL;
	}
	return 0;
}

/* The next slot of a repeatable parameter's list, or NULL (and a reason) when it is full. */
#define LIST_SLOT(list, count, reason) \
	((count) < CMDLINE_LIST_MAX    \
		 ? &(list)[(count)]    \
		 : (*(reason) = "given more than 8 times: this one ignored", NULL))

static int on_rd_luks(struct boot_options *opts, const char *value, const char **reason)
{
	return on_flag(&opts->luks.enabled, value, reason);
}

static int on_rd_luks_crypttab(struct boot_options *opts, const char *value, const char **reason)
{
	return on_flag(&opts->luks.crypttab, value, reason);
}

static int on_rd_luks_uuid(struct boot_options *opts, const char *value, const char **reason)
{
	struct luks_options *l = &opts->luks;
	char(*slot)[LUKS_UUID_MAX] = LIST_SLOT(l->uuids, l->uuid_count, reason);
	if (!slot)
		return -E2BIG;
	int r = copy_luks_uuid(*slot, value ? value : "", value ? strlen(value) : 0, reason);
	if (r == 0)
		l->uuid_count++;
	return r;
}

/* UUID=VALUE, as rd.luks.name=, rd.luks.key= and rd.luks.options= can be given for one device. */
static bool split_uuid(const char *value, char *uuid, const char **rest)
{
	const char *eq = strchr(value, '=');
	const char *dummy;
	if (!eq || copy_luks_uuid(uuid, value, (size_t)(eq - value), &dummy) < 0)
		return false;
	*rest = eq + 1;
	return true;
}

static int on_rd_luks_name(struct boot_options *opts, const char *value, const char **reason)
{
	struct luks_options *l = &opts->luks;
	const char *name;
	if (!value || l->name_count == CMDLINE_LIST_MAX ||
	    !split_uuid(value, l->names[l->name_count].uuid, &name) || !*name ||
	    strchr(name, '/')) {
		*reason = l->name_count == CMDLINE_LIST_MAX
			? "given more than 8 times: this one ignored"
			: "expected UUID=NAME";
		return -EINVAL;
	}
	int r = copy_value(l->names[l->name_count].name, sizeof(l->names[0].name), name, reason);
	if (r == 0)
		l->name_count++;
	return r;
}

/* systemd's KEYFILE[:KEYDEV] and UUID=KEYFILE[:KEYDEV]; dracut's KEYFILE:KEYDEV:LUKSDEV, where
 * LUKSDEV is UUID=, luks-UUID or a device. */
static int on_rd_luks_key(struct boot_options *opts, const char *value, const char **reason)
{
	struct luks_options *l = &opts->luks;
	if (!value || !*value || l->key_count == CMDLINE_LIST_MAX) {
		*reason = !value || !*value ? "expected KEYFILE[:KEYDEV]"
					    : "given more than 8 times: this one ignored";
		return -EINVAL;
	}
	char text[CMDLINE_VALUE_MAX];
	(void)snprintf(text, sizeof(text), "%s", value);
	struct luks_key key;
	memset(&key, 0, sizeof(key));
	const char *path = text;
	if (text[0] != '/' && !split_uuid(text, key.uuid, &path)) {
		*reason = "expected an absolute KEYFILE, or UUID=KEYFILE";
		return -EINVAL;
	}
	char *keydev = strchr(path, ':'), *luksdev = NULL;
	if (keydev) {
		*keydev++ = '\0';
		luksdev = strrchr(keydev, ':');
		/* MAJ:MIN has a colon too: a third field is dracut's only if it names a device. */
		if (luksdev &&
		    (strncmp(luksdev + 1, "UUID=", 5) == 0 ||
		     strncmp(luksdev + 1, "luks-", 5) == 0 ||
		     strncmp(luksdev + 1, "/dev/", 5) == 0))
			*luksdev++ = '\0';
		else
			luksdev = NULL;
	}
	if (path[0] != '/' || strlen(path) >= sizeof(key.path) ||
	    (keydev && strlen(keydev) >= sizeof(key.device))) {
		*reason = "expected an absolute KEYFILE";
		return -EINVAL;
	}
	(void)snprintf(key.path, sizeof(key.path), "%s", path);
	(void)snprintf(key.device, sizeof(key.device), "%s", keydev ? keydev : "");
	if (luksdev) {
		const char *u = strncmp(luksdev, "UUID=", 5) == 0 ? luksdev + 5 : luksdev;
		if (strncmp(u, "/dev/", 5) == 0 ||
		    copy_luks_uuid(key.uuid, u, strlen(u), reason) < 0) {
			*reason =
				"rdinit takes the LUKS device of rd.luks.key= as UUID= or luks-UUID";
			return -EINVAL;
		}
	}
	l->keys[l->key_count++] = key;
	return 0;
}

static int on_rd_luks_options(struct boot_options *opts, const char *value, const char **reason)
{
	struct luks_options *l = &opts->luks;
	if (!value || !*value || l->options_count == CMDLINE_LIST_MAX) {
		*reason = !value || !*value ? "expected OPTIONS or UUID=OPTIONS"
					    : "given more than 8 times: this one ignored";
		return -EINVAL;
	}
	const char *options = value;
	if (!split_uuid(value, l->options[l->options_count].uuid, &options))
		l->options[l->options_count].uuid[0] = '\0';
	int r = copy_value(l->options[l->options_count].options, sizeof(l->options[0].options),
			   options, reason);
	if (r == 0)
		l->options_count++;
	return r;
}

static int on_rd_luks_allow_discards(struct boot_options *opts, const char *value,
				     const char **reason)
{
	struct luks_options *l = &opts->luks;
	if (!value) {
		l->discard_all = true;
		return 0;
	}
	char(*slot)[LUKS_UUID_MAX] = LIST_SLOT(l->discard_uuids, l->discard_count, reason);
	if (!slot)
		return -E2BIG;
	int r = copy_luks_uuid(*slot, value, strlen(value), reason);
	if (r == 0)
		l->discard_count++;
	return r;
}

static int on_rd_luks_timeout(struct boot_options *opts, const char *value, const char **reason)
{
	return on_seconds(&opts->luks.timeout_s, value, reason);
}

static int on_cryptdevice(struct boot_options *opts, const char *value, const char **reason)
{
	if (value && !strchr(value, ':')) {
		*reason = "expected DEVICE:NAME[:OPTIONS]";
		return -EINVAL;
	}
	return copy_value(opts->luks.cryptdevice, sizeof(opts->luks.cryptdevice), value, reason);
}

static int on_cryptkey(struct boot_options *opts, const char *value, const char **reason)
{
	return copy_value(opts->luks.cryptkey, sizeof(opts->luks.cryptkey), value, reason);
}

static int on_rd_md(struct boot_options *opts, const char *value, const char **reason)
{
	return on_flag(&opts->md, value, reason);
}

/* An md array's UUID as mdadm writes it (a:b:c:d) or with dashes. */
static int on_rd_md_uuid(struct boot_options *opts, const char *value, const char **reason)
{
	if (!value || !*value || strspn(value, "0123456789abcdefABCDEF:-") != strlen(value)) {
		*reason = "expected an md array's UUID";
		return -EINVAL;
	}
	char(*slot)[64] = LIST_SLOT(opts->md_uuids, opts->md_uuid_count, reason);
	if (!slot)
		return -E2BIG;
	int r = copy_value(*slot, sizeof(*slot), value, reason);
	if (r == 0)
		opts->md_uuid_count++;
	return r;
}

/* resume= names the swap device as root= names the root. */
static int on_resume(struct boot_options *opts, const char *value, const char **reason)
{
	int r = copy_value(opts->resume, sizeof(opts->resume), value, reason);
	if (r == 0)
		r = root_spec_parse(value, &opts->resume_spec, reason);
	opts->resume_ok = r == 0;
	return r;
}

static int on_resume_offset(struct boot_options *opts, const char *value, const char **reason)
{
	char *end;
	errno = 0;
	unsigned long long n = value && isdigit((unsigned char)*value) ? strtoull(value, &end, 10)
								       : 0;
	if (!value || !isdigit((unsigned char)*value) || errno || *end) {
		*reason = "expected a number of pages";
		return -EINVAL;
	}
	opts->resume_offset = n;
	return 0;
}

static int on_noresume(struct boot_options *opts, const char *value, const char **reason)
{
	return on_flag(&opts->noresume, value, reason);
}

/* kmod takes '-' and '_' in a module name as the same. */
static char module_name_char(char c)
{
	return c == '-' ? '_' : c;
}

bool module_names_contain(const struct module_names *list, const char *name)
{
	for (size_t i = 0; i < list->count; i++) {
		const char *a = list->names[i], *b = name;
		while (*a && module_name_char(*a) == module_name_char(*b))
			a++, b++;
		if (!*a && !*b)
			return true;
	}
	return false;
}

/* rd.driver.blacklist=, .pre= and .post=: module names separated by ',', in one or several values,
 * as dracut takes them. A bad name is left out and said, the good ones around it still count: one
 * typo must not let a blacklisted module load. */
static int on_module_names(struct module_names *list, const char *value, const char **reason)
{
	if (!value || !*value) {
		*reason = "expected module names separated by ','";
		return -EINVAL;
	}
	int r = 0;
	for (const char *p = value;; p++) {
		size_t len = strcspn(p, ",");
		char name[MODULE_NAME_MAX];
		if (len == 0 || len >= MODULE_NAME_MAX ||
		    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") <
			    len) {
			*reason =
				"ignored a name that is empty, too long or not a module name (letters, "
				"digits, '_' and '-')";
			r = -EINVAL;
		} else {
			for (size_t i = 0; i < len; i++)
				name[i] = module_name_char(p[i]);
			name[len] = '\0';
			bool known = module_names_contain(list, name);
			if (!known && list->count == CMDLINE_MODULES_MAX) {
				*reason = "more than 16 module names: the rest ignored";
				return -E2BIG;
			}
			if (!known)
				memcpy(list->names[list->count++], name, len + 1);
		}
		p += len;
		if (!*p)
			return r;
	}
}

static int on_rd_driver_blacklist(struct boot_options *opts, const char *value, const char **reason)
{
	return on_module_names(&opts->driver_blacklist, value, reason);
}

static int on_rd_driver_pre(struct boot_options *opts, const char *value, const char **reason)
{
	return on_module_names(&opts->driver_pre, value, reason);
}

static int on_rd_driver_post(struct boot_options *opts, const char *value, const char **reason)
{
	return on_module_names(&opts->driver_post, value, reason);
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
	{ "rd.shutdown", on_rd_shutdown },
	{ "rd.break", on_rd_break },
	{ "rd.emergency", on_rd_emergency },
	{ "rd.hook_timeout", on_rd_hook_timeout },
	{ "rd.uevent_buffer", on_rd_uevent_buffer },
	{ "rd.settle_ms", on_rd_settle_ms },
	{ "quiet", on_quiet },
	{ "rd.lvm", on_rd_lvm },
	{ "rd.lvm.vg", on_rd_lvm_vg },
	{ "rd.luks", on_rd_luks },
	{ "rd.luks.crypttab", on_rd_luks_crypttab },
	{ "rd.luks.uuid", on_rd_luks_uuid },
	{ "rd.luks.name", on_rd_luks_name },
	{ "rd.luks.key", on_rd_luks_key },
	{ "rd.luks.options", on_rd_luks_options },
	{ "rd.luks.allow-discards", on_rd_luks_allow_discards },
	{ "rd.luks.timeout", on_rd_luks_timeout },
	{ "cryptdevice", on_cryptdevice },
	{ "cryptkey", on_cryptkey },
	{ "rd.md", on_rd_md },
	{ "rd.md.uuid", on_rd_md_uuid },
	{ "mount.usr", on_mount_usr },
	{ "mount.usrfstype", on_mount_usrfstype },
	{ "mount.usrflags", on_mount_usrflags },
	{ "resume", on_resume },
	{ "resume_offset", on_resume_offset },
	{ "noresume", on_noresume },
	{ "rd.driver.blacklist", on_rd_driver_blacklist },
	{ "rd.driver.pre", on_rd_driver_pre },
	{ "rd.driver.post", on_rd_driver_post },
};

static void note_problem(struct boot_options *opts, const char *name, const char *reason)
{
	if (opts->problem_count == CMDLINE_MAX_PROBLEMS) {
		opts->problems_dropped++;
		return;
	}
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
		.shutdown = -1,
		.break_stage = STAGE_NONE,
		.hook_timeout_s = DEFAULT_HOOK_TIMEOUT_S,
		.uevent_buffer = UEVENT_RCVBUF_DEFAULT,
		.settle_ms = DEFAULT_SETTLE_MS,
		.lvm = true,
		.luks = { .enabled = true, .crypttab = true },
		.md = true,
	};
	/* What does not fit is cut off between two parameters, and said (cmdline_cut, cmdline_length). */
	char fitted[CMDLINE_MAX];
	opts->cmdline_length = strlen(text);
	opts->cmdline_cut = cmdline_fit(text, fitted, sizeof(fitted));
	if (opts->cmdline_cut < opts->cmdline_length)
		text = fitted;
	char bad_name[64];
	int r = cmdline_for_each(text, visit_option, opts, bad_name, sizeof(bad_name));
	if (r == -EINVAL) {
		/* An earlier root= must not stand in for the one the user botched. */
		if (strcmp(bad_name, "root") == 0)
			opts->root_ok = false;
		note_problem(opts, bad_name, "unterminated quote: it and all after it ignored");
	}
}

size_t cmdline_fit(const char *text, char *out, size_t size)
{
	size_t len = strlen(text);
	if (len < size)
		return len;
	/* The last blank outside quotes that leaves the part before it within size - 1 bytes. */
	size_t cut = 0;
	bool in_quote = false;
	for (size_t i = 0; i < size; i++) {
		if (text[i] == '"')
			in_quote = !in_quote;
		else if (isspace((unsigned char)text[i]) && !in_quote)
			cut = i;
	}
	memcpy(out, text, cut);
	out[cut] = '\0';
	return cut;
}

int boot_options_resume(struct boot_options *opts, const char *value, const char **reason)
{
	return on_resume(opts, value, reason);
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
