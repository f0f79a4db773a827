/* Which LUKS devices to unlock: the image's crypttab and the command line, in each peer's words. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "luksplan.h"

__attribute__((format(printf, 2, 3))) static void problem(struct luks_plan *plan, const char *fmt,
							  ...)
{
	if (plan->problem_count == LUKS_PROBLEMS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(plan->problems[plan->problem_count++], sizeof(plan->problems[0]), fmt, ap);
	va_end(ap);
}

static struct crypt_target *add_target(struct luks_plan *plan, const struct crypt_target *from)
{
	if (plan->count == LUKS_TARGETS_MAX) {
		problem(plan, "more than %d devices to unlock: %s left out", LUKS_TARGETS_MAX,
			from->name);
		return NULL;
	}
	plan->targets[plan->count] = *from;
	return &plan->targets[plan->count++];
}

/* Whether target t is the device with LUKS UUID uuid (prefix: uuid may be its start only). */
static bool is_uuid(const struct crypt_target *t, const char *uuid, bool prefix)
{
	if (t->source.kind != ROOT_BY_UUID)
		return false;
	return prefix ? strncasecmp(t->source.value, uuid, strlen(uuid)) == 0
		      : strcasecmp(t->source.value, uuid) == 0;
}

static int find_uuid(const struct luks_plan *plan, const char *uuid)
{
	for (size_t i = 0; i < plan->count; i++)
		if (is_uuid(&plan->targets[i], uuid, plan->uuid_prefix[i]) ||
		    is_uuid(&plan->targets[i], uuid, true))
			return (int)i;
	return -1;
}

/* The crypttab's lines, parsed; problems said, unsupported options named and left out. */
static size_t read_crypttab(struct luks_plan *plan, const char *text, struct crypt_target *tab,
			    size_t max)
{
	size_t count = 0, number = 0;
	for (const char *line = text; line && *line; number++) {
		size_t len = strcspn(line, "\n");
		char copy[1024], unsupported[128];
		const char *reason = "malformed";
		(void)snprintf(copy, sizeof(copy), "%.*s", (int)len, line);
		line += len + (line[len] == '\n');
		struct crypt_target t;
		int r = crypttab_parse_line(copy, &t, unsupported, sizeof(unsupported), &reason);
		if (r < 0) {
			problem(plan, "crypttab line %zu ignored: %s", number + 1, reason);
			continue;
		}
		if (r == 0)
			continue;
		if (unsupported[0])
			problem(plan,
				"crypttab line %zu (%s): options rdinit does not support, ignored: %s",
				number + 1, t.name, unsupported);
		if (count < max)
			tab[count++] = t;
		else
			problem(plan, "crypttab line %zu (%s) ignored: more than %zu lines",
				number + 1, t.name, max);
	}
	return count;
}

/* A device to unlock that the command line names by its LUKS UUID, with its crypttab line if any. */
static void add_named(struct luks_plan *plan, const struct crypt_target *tab, size_t tab_count,
		      const char *uuid, const char *name)
{
	int existing = find_uuid(plan, uuid);
	if (existing >= 0) {
		if (name)
			(void)snprintf(plan->targets[existing].name, sizeof(plan->targets[0].name),
				       "%s", name);
		return;
	}
	struct crypt_target t = plan->template;
	bool found = false;
	for (size_t i = 0; i < tab_count && !found; i++) {
		if (is_uuid(&tab[i], uuid, strlen(uuid) < 36)) {
			t = tab[i];
			found = true;
		}
	}
	if (!found) {
		t.source = (struct root_spec){ .kind = ROOT_BY_UUID };
		(void)snprintf(t.source.value, sizeof(t.source.value), "%s", uuid);
		(void)snprintf(t.name, sizeof(t.name), "luks-%s", uuid);
	}
	if (name)
		(void)snprintf(t.name, sizeof(t.name), "%s", name);
	if (add_target(plan, &t))
		plan->uuid_prefix[plan->count - 1] = !found && strlen(uuid) < 36;
}

/* mkinitcpio's cryptdevice=DEVICE:NAME[:OPTIONS] and cryptkey=rootfs:PATH | DEVICE:FSTYPE:PATH. */
static void add_cryptdevice(struct luks_plan *plan, const struct luks_options *opts)
{
	char text[CMDLINE_VALUE_MAX];
	(void)snprintf(text, sizeof(text), "%s", opts->cryptdevice);
	char *name = strchr(text, ':'), *options;
	*name++ = '\0';
	options = strchr(name, ':');
	if (options)
		*options++ = '\0';
	struct crypt_target t = plan->template;
	const char *reason;
	if (!*name || strchr(name, '/') || root_spec_parse(text, &t.source, &reason) < 0) {
		problem(plan, "cryptdevice=%s ignored: expected DEVICE:NAME[:OPTIONS]",
			opts->cryptdevice);
		return;
	}
	(void)snprintf(t.name, sizeof(t.name), "%s", name);
	for (char *save = NULL, *o = options ? strtok_r(options, ",", &save) : NULL; o;
	     o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "allow-discards") == 0)
			t.discard = true;
		else
			problem(plan, "cryptdevice=: option %s not supported, ignored", o);
	}
	if (opts->cryptkey[0]) {
		char key[CMDLINE_VALUE_MAX];
		(void)snprintf(key, sizeof(key), "%s", opts->cryptkey);
		char *path = strrchr(key, ':');
		char *fstype = path ? (*path++ = '\0', strrchr(key, ':')) : NULL;
		if (path && strncmp(key, "rootfs", 6) == 0 && key[6] == '\0' && path[0] == '/') {
			(void)snprintf(t.keyfile, sizeof(t.keyfile), "%s", path);
		} else if (path && fstype && path[0] == '/') {
			*fstype = '\0';
			if (root_spec_parse(key, &t.keydev, &reason) == 0) {
				t.keydev_set = true;
				(void)snprintf(t.keyfile, sizeof(t.keyfile), "%s", path);
			} else {
				problem(plan, "cryptkey=%s ignored: %s", opts->cryptkey, reason);
			}
		} else {
			problem(plan,
				"cryptkey=%s ignored: rdinit takes rootfs:PATH or DEVICE:FSTYPE:PATH",
				opts->cryptkey);
		}
	}
	(void)add_target(plan, &t);
}

/* What rd.luks.key=, rd.luks.options= and rd.luks.allow-discards give: to the targets with that
 * UUID, or ("" for uuid) to all and to the template. */
typedef void target_setting(struct crypt_target *t, const void *what, struct luks_plan *plan);

static void for_uuid(struct luks_plan *plan, const char *uuid, target_setting *apply,
		     const void *what)
{
	if (!uuid[0])
		apply(&plan->template, what, plan);
	bool any = !uuid[0];
	for (size_t i = 0; i < plan->count; i++) {
		if (!uuid[0] || is_uuid(&plan->targets[i], uuid, true)) {
			apply(&plan->targets[i], what, plan);
			any = true;
		}
	}
	if (!any)
		problem(plan,
			"no LUKS device to unlock has UUID %s: its rd.luks.* setting is unused",
			uuid);
}

static void apply_key(struct crypt_target *t, const void *what, struct luks_plan *plan)
{
	const struct luks_key *key = what;
	/* A key file for every device does not replace one a crypttab line names. */
	if (!key->uuid[0] && t->keyfile[0])
		return;
	(void)snprintf(t->keyfile, sizeof(t->keyfile), "%s", key->path);
	t->keydev_set = false;
	const char *reason;
	if (key->device[0]) {
		if (root_spec_parse(key->device, &t->keydev, &reason) == 0)
			t->keydev_set = true;
		else
			problem(plan, "rd.luks.key=: key device %s: %s", key->device, reason);
	}
}

static void apply_options(struct crypt_target *t, const void *what, struct luks_plan *plan)
{
	char unsupported[128];
	const char *reason = "malformed";
	if (crypt_target_options(t, what, unsupported, sizeof(unsupported), &reason) < 0)
		problem(plan, "rd.luks.options=%s: %s", (const char *)what, reason);
	else if (unsupported[0] && t == &plan->template)
		problem(plan, "rd.luks.options=: options rdinit does not support, ignored: %s",
			unsupported);
}

static void apply_discard(struct crypt_target *t, const void *what, struct luks_plan *plan)
{
	(void)what, (void)plan;
	t->discard = true;
}

void luks_plan(const struct luks_options *opts, const char *crypttab, struct luks_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	crypt_target_init(&plan->template);
	if (!opts->enabled)
		return;
	static struct crypt_target tab[LUKS_TARGETS_MAX];
	size_t tab_count = opts->crypttab && crypttab
		? read_crypttab(plan, crypttab, tab, LUKS_TARGETS_MAX)
		: 0;

	if (opts->uuid_count || opts->name_count) {
		for (size_t i = 0; i < opts->name_count; i++)
			add_named(plan, tab, tab_count, opts->names[i].uuid, opts->names[i].name);
		for (size_t i = 0; i < opts->uuid_count; i++)
			add_named(plan, tab, tab_count, opts->uuids[i], NULL);
	} else {
		for (size_t i = 0; i < tab_count; i++)
			if (!tab[i].noauto)
				(void)add_target(plan, &tab[i]);
	}
	if (opts->cryptdevice[0])
		add_cryptdevice(plan, opts);
	plan->any_device = plan->count == 0 && tab_count == 0 && !opts->uuid_count &&
		!opts->name_count && !opts->cryptdevice[0];

	for (size_t i = 0; i < opts->key_count; i++)
		for_uuid(plan, opts->keys[i].uuid, apply_key, &opts->keys[i]);
	for (size_t i = 0; i < opts->options_count; i++)
		for_uuid(plan, opts->options[i].uuid, apply_options, opts->options[i].options);
	if (opts->discard_all)
		for_uuid(plan, "", apply_discard, NULL);
	for (size_t i = 0; i < opts->discard_count; i++)
		for_uuid(plan, opts->discard_uuids[i], apply_discard, NULL);
}

int luks_plan_target(const struct luks_plan *plan, const struct blockdev *dev,
		     const struct devices *known)
{
	for (size_t i = 0; i < plan->count; i++) {
		const struct crypt_target *t = &plan->targets[i];
		if (plan->uuid_prefix[i]
			    ? t->source.kind == ROOT_BY_UUID && dev->uuid[0] &&
				    strncasecmp(dev->uuid, t->source.value,
						strlen(t->source.value)) == 0
			    : root_spec_matches(&t->source, dev, known->list, known->count))
			return (int)i;
	}
	return -1;
}
