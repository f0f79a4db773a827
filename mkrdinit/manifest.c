/* manifest: the kernel's usr/gen_init_cpio list format, read through a table of handlers keyed by the first word,
 * plus mkrdinit's own lines: `module`, `binary`, `hook` and `hostonly`.
 *
 * Stricter than gen_init_cpio on purpose: it sscanf()s what it can and carries on, we reject a line that does not
 * say exactly one thing, because a typo in an initramfs manifest shows up only as a machine that does not boot. */
#include "manifest.h"
#include "fileio.h"
#include "layout.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Linux's dev_t: 12 bits of major, 20 of minor (MAJOR()/MINOR() in include/linux/kdev_t.h). */
#define DEV_MAJOR_MAX 4095u
#define DEV_MINOR_MAX 1048575u

struct line {
	const struct manifest_context *ctx;
	unsigned int number;
	const char *keyword;
	char **fields; /* after the keyword */
	size_t n_fields;
	char *err;
	size_t err_size;
};

struct handler {
	const char *keyword;
	enum manifest_kind kind;
	const char *usage; /* the fields after the keyword, named as in the kernel's documentation */
	size_t n_required;
	bool more_allowed; /* file: the fields after <gid> are hard links */
	int (*parse)(struct line *line, struct manifest_entry *entry);
};

static int line_error(struct line *line, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int line_error(struct line *line, const char *fmt, ...)
{
	int prefix = snprintf(line->err, line->err_size, "%s:%u: ", line->ctx->display_name,
			      line->number);
	if (prefix >= 0 && (size_t)prefix < line->err_size) {
		va_list ap;
		va_start(ap, fmt);
		(void)vsnprintf(line->err + prefix, line->err_size - (size_t)prefix, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Normalizes an image path: no leading, trailing or doubled '/'. "." and ".." are refused rather than resolved,
 * since the kernel's unpacker would create whatever they spell without resolving them. */
static int parse_image_path(struct line *line, const char *field, const char *text, char **out)
{
	size_t len = strlen(text);
	char *path = malloc(len + 1);
	if (!path)
		return -ENOMEM;

	size_t n = 0;
	const char *p = text;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = strchrnul(p, '/');
		size_t component = (size_t)(end - p);
		if ((component == 1 && p[0] == '.') ||
		    (component == 2 && p[0] == '.' && p[1] == '.')) {
			free(path);
			return line_error(
				line, "%s: expected %s without '.' or '..' components, got '%s'",
				line->keyword, field, text);
		}
		if (n)
			path[n++] = '/';
		memcpy(path + n, p, component);
		n += component;
		p = end;
	}
	path[n] = '\0';

	if (n == 0) {
		free(path);
		return line_error(
			line, "%s: expected %s below '/' (the image root always exists), got '%s'",
			line->keyword, field, text);
	}
	*out = path;
	return 0;
}

static int parse_mode(struct line *line, const char *text, unsigned int *out)
{
	unsigned long mode = 0;
	const char *p;
	for (p = text; *p >= '0' && *p <= '7' && mode <= 07777; p++)
		mode = mode * 8 + (unsigned long)(*p - '0');
	if (*p || mode > 07777)
		return line_error(
			line, "%s: expected <mode> as octal permission bits up to 07777, got '%s'",
			line->keyword, text);
	*out = (unsigned int)mode;
	return 0;
}

static int parse_decimal(struct line *line, const char *field, const char *text, unsigned long max,
			 unsigned long *out)
{
	unsigned long value = 0;
	const char *p;
	for (p = text; *p >= '0' && *p <= '9' && value <= max; p++)
		value = value * 10 + (unsigned long)(*p - '0');
	if (p == text || *p || value > max)
		return line_error(line, "%s: expected %s as a decimal number up to %lu, got '%s'",
				  line->keyword, field, max, text);
	*out = value;
	return 0;
}

/* (uid_t)-1 means "unchanged" to chown(), so it cannot name an owner. */
static int parse_owner(struct line *line, const char *field, const char *text, uint32_t *out)
{
	unsigned long value;
	int r = parse_decimal(line, field, text, UINT32_MAX - 1, &value);
	if (r < 0)
		return r;
	*out = (uint32_t)value;
	return 0;
}

static int parse_mode_uid_gid(struct line *line, char **fields, struct manifest_entry *entry)
{
	int r = parse_mode(line, fields[0], &entry->mode);
	if (r < 0)
		return r;
	r = parse_owner(line, "<uid>", fields[1], &entry->uid);
	if (r < 0)
		return r;
	return parse_owner(line, "<gid>", fields[2], &entry->gid);
}

bool manifest_is_variable_name(const char *name, size_t len)
{
	if (len == 0 || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

struct buffer {
	char *data;
	size_t len;
	size_t capacity;
};

static int buffer_append(struct buffer *b, const char *text, size_t len)
{
	int r = grow_array((void **)&b->data, &b->capacity, b->len + len + 1, 1);
	if (r < 0)
		return r;
	memcpy(b->data + b->len, text, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

/* gen_init_cpio expands ${VAR} in a file's location from the environment and silently drops an undefined one;
 * we refuse it instead, because "file /init ${RDINIT_INIT}" turning into "file /init " is never what was meant. */
static int expand_location(struct line *line, const char *field, const char *text, char **out)
{
	struct buffer b = { 0 };
	const char *p = text;
	int r = 0;

	while (r == 0) {
		const char *start = strstr(p, "${");
		if (!start) {
			r = buffer_append(&b, p, strlen(p));
			break;
		}
		const char *end = strchr(start + 2, '}');
		if (!end) {
			r = line_error(line, "%s: expected '}' to close '${' in %s '%s'",
				       line->keyword, field, text);
			break;
		}
		size_t name_len = (size_t)(end - start - 2);
		if (!manifest_is_variable_name(start + 2, name_len)) {
			r = line_error(line, "%s: expected a variable name in '%.*s' in %s '%s'",
				       line->keyword, (int)(end + 1 - start), start, field, text);
			break;
		}
		char *name = strndup(start + 2, name_len);
		if (!name) {
			r = -ENOMEM;
			break;
		}
		const char *value = line->ctx->lookup
			? line->ctx->lookup(name, line->ctx->lookup_userdata)
			: NULL;
		if (!value)
			r = line_error(
				line,
				"%s: undefined variable '%s' in %s '%s' (define it with -D %s=VALUE)",
				line->keyword, name, field, text, name);
		free(name);
		if (r == 0)
			r = buffer_append(&b, p, (size_t)(start - p));
		if (r == 0)
			r = buffer_append(&b, value, strlen(value));
		p = end + 1;
	}

	if (r == 0 && b.len == 0)
		r = line_error(line, "%s: expected a %s, got '%s', which expands to nothing",
			       line->keyword, field, text);
	if (r == 0 && b.data[0] != '/' && line->ctx->base_dir) {
		char *joined;
		if (asprintf(&joined, "%s/%s", line->ctx->base_dir, b.data) < 0)
			r = -ENOMEM;
		else {
			free(b.data);
			b.data = joined;
		}
	}
	if (r < 0) {
		free(b.data);
		return r;
	}
	*out = b.data;
	return 0;
}

static int parse_file(struct line *line, struct manifest_entry *entry)
{
	int r = parse_image_path(line, "<name>", line->fields[0], &entry->name);
	if (r < 0)
		return r;
	r = expand_location(line, "<location>", line->fields[1], &entry->location);
	if (r < 0)
		return r;
	r = parse_mode_uid_gid(line, line->fields + 2, entry);
	if (r < 0)
		return r;

	size_t n_links = line->n_fields - 5;
	if (n_links == 0)
		return 0;
	entry->hard_links = calloc(n_links, sizeof(*entry->hard_links));
	if (!entry->hard_links)
		return -ENOMEM;
	for (size_t i = 0; i < n_links; i++) {
		r = parse_image_path(line, "<hard links>", line->fields[5 + i],
				     &entry->hard_links[i]);
		if (r < 0)
			return r;
		entry->n_hard_links++;
		bool repeated = strcmp(entry->hard_links[i], entry->name) == 0;
		for (size_t j = 0; j < i && !repeated; j++)
			repeated = strcmp(entry->hard_links[i], entry->hard_links[j]) == 0;
		if (repeated)
			return line_error(
				line,
				"%s: expected <hard links> that differ from <name> and each other, got '%s' twice",
				line->keyword, entry->hard_links[i]);
	}
	return 0;
}

static int parse_dir_pipe_sock(struct line *line, struct manifest_entry *entry)
{
	int r = parse_image_path(line, "<name>", line->fields[0], &entry->name);
	if (r < 0)
		return r;
	return parse_mode_uid_gid(line, line->fields + 1, entry);
}

static int parse_nod(struct line *line, struct manifest_entry *entry)
{
	int r = parse_dir_pipe_sock(line, entry);
	if (r < 0)
		return r;

	const char *type = line->fields[4];
	if (strcmp(type, "b") != 0 && strcmp(type, "c") != 0)
		return line_error(line, "%s: expected <dev_type> b or c, got '%s'", line->keyword,
				  type);
	entry->dev_type = type[0];

	unsigned long major, minor;
	r = parse_decimal(line, "<maj>", line->fields[5], DEV_MAJOR_MAX, &major);
	if (r < 0)
		return r;
	r = parse_decimal(line, "<min>", line->fields[6], DEV_MINOR_MAX, &minor);
	if (r < 0)
		return r;
	entry->major = (unsigned int)major;
	entry->minor = (unsigned int)minor;
	return 0;
}

static int parse_slink(struct line *line, struct manifest_entry *entry)
{
	int r = parse_image_path(line, "<name>", line->fields[0], &entry->name);
	if (r < 0)
		return r;
	entry->location = strdup(line->fields[1]);
	if (!entry->location)
		return -ENOMEM;
	return parse_mode_uid_gid(line, line->fields + 2, entry);
}

static int parse_module(struct line *line, struct manifest_entry *entry)
{
	entry->name = strdup(line->fields[0]);
	return entry->name ? 0 : -ENOMEM;
}

/* An absolute path is kept normalized, with its leading '/'; a bare name is looked up when the image is built. */
static int parse_binary(struct line *line, struct manifest_entry *entry)
{
	const char *text = line->fields[0];
	if (text[0] != '/') {
		if (strchr(text, '/') || strcmp(text, ".") == 0 || strcmp(text, "..") == 0)
			return line_error(
				line,
				"binary: expected <program> as an absolute path or a bare program name, got '%s'",
				text);
		entry->name = strdup(text);
		return entry->name ? 0 : -ENOMEM;
	}
	char *path;
	int r = parse_image_path(line, "<program>", text, &path);
	if (r < 0)
		return r;
	r = asprintf(&entry->name, "/%s", path) < 0 ? -ENOMEM : 0;
	if (r < 0)
		entry->name = NULL;
	free(path);
	return r;
}

void manifest_hook_stage_list(char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int s = 0; s < STAGE_COUNT && n < size; s++) {
		const char *separator = s == 0 ? "" : s == STAGE_COUNT - 1 ? " or " : ", ";
		int len = snprintf(buf + n, size - n, "%s%s", separator,
				   boot_stage_name((enum boot_stage)s));
		if (len < 0)
			break;
		n += (size_t)len;
	}
}

static int parse_hook(struct line *line, struct manifest_entry *entry)
{
	const char *stage = line->fields[0];
	if (boot_stage_from_name(stage) == STAGE_NONE) {
		char stages[128];
		manifest_hook_stage_list(stages, sizeof(stages));
		return line_error(line, "hook: expected <stage> %s, got '%s'", stages, stage);
	}

	int r = expand_location(line, "<path>", line->fields[1], &entry->location);
	if (r < 0)
		return r;
	const char *slash = strrchr(entry->location, '/');
	const char *base = slash ? slash + 1 : entry->location;
	/* /init runs every file in the stage's folder except those whose name starts with '.'. */
	if (!*base || base[0] == '.')
		return line_error(
			line,
			"hook: expected <path> naming a file whose name does not start with '.', got '%s'",
			line->fields[1]);
	/* IMAGE_HOOKS_DIR without its leading '/', as every path of the image here. */
	if (asprintf(&entry->name, "%s/%s/%s", &IMAGE_HOOKS_DIR[1], stage, base) < 0) {
		entry->name = NULL;
		return -ENOMEM;
	}
	entry->mode = 0755;
	return 0;
}

static int parse_crypttab(struct line *line, struct manifest_entry *entry)
{
	int r = expand_location(line, "<path>", line->fields[0], &entry->location);
	if (r == 0 && !(entry->name = strdup("etc/crypttab")))
		r = -ENOMEM;
	return r;
}

/* `hostonly` (the hook's module lines give way to what sysfs says the root needs), `hostonly keyboard` (to
 * what it says the machine's keyboards need) or `hostonly if ITEM` (they are needed only when what the root
 * needs has ITEM, a module name or alias, e.g. dm-crypt). */
static int parse_hostonly(struct line *line, struct manifest_entry *entry)
{
	if (line->n_fields == 0)
		return 0;
	if (line->n_fields == 1 && strcmp(line->fields[0], "keyboard") == 0) {
		entry->keyboards = true;
		return 0;
	}
	if (line->n_fields != 2 || strcmp(line->fields[0], "if") != 0)
		return line_error(
			line,
			"hostonly: unexpected field '%s'; expected hostonly alone on its line, "
			"hostonly keyboard, or hostonly if <module name or alias>",
			line->fields[strcmp(line->fields[0], "if") == 0 && line->n_fields > 2 ? 2
											      : 0]);
	entry->name = strdup(line->fields[1]);
	return entry->name ? 0 : -ENOMEM;
}

static const struct handler handlers[] = {
	{ "file", MANIFEST_FILE, "<name> <location> <mode> <uid> <gid> [<hard links>]", 5, true,
	  parse_file },
	{ "dir", MANIFEST_DIR, "<name> <mode> <uid> <gid>", 4, false, parse_dir_pipe_sock },
	{ "nod", MANIFEST_NOD, "<name> <mode> <uid> <gid> <dev_type> <maj> <min>", 7, false,
	  parse_nod },
	{ "slink", MANIFEST_SLINK, "<name> <target> <mode> <uid> <gid>", 5, false, parse_slink },
	{ "pipe", MANIFEST_PIPE, "<name> <mode> <uid> <gid>", 4, false, parse_dir_pipe_sock },
	{ "sock", MANIFEST_SOCK, "<name> <mode> <uid> <gid>", 4, false, parse_dir_pipe_sock },
	{ "module", MANIFEST_MODULE, "<module name or alias>", 1, false, parse_module },
	{ "binary", MANIFEST_BINARY, "<program>", 1, false, parse_binary },
	{ "hook", MANIFEST_HOOK, "<stage> <path>", 2, false, parse_hook },
	{ "hostonly", MANIFEST_HOSTONLY, "[keyboard | if <module name or alias>]", 0, true,
	  parse_hostonly },
	{ "crypttab", MANIFEST_CRYPTTAB, "<path>", 1, false, parse_crypttab },
};

const char *manifest_kind_keyword(enum manifest_kind kind)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].kind == kind)
			return handlers[i].keyword;
	return "?";
}

/* The Nth "<...>" of a usage string, for "missing <gid>": the usage is the one list of field names. */
static int usage_field(const char *usage, size_t n, const char **start)
{
	const char *p = strchr(usage, '<');
	for (size_t i = 0; i < n && p; i++)
		p = strchr(p + 1, '<');
	if (!p) {
		*start = "";
		return 0;
	}
	*start = p;
	return (int)(strchrnul(p, '>') - p) + (strchr(p, '>') ? 1 : 0);
}

static const struct handler *find_handler(const char *keyword)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i].keyword, keyword) == 0)
			return &handlers[i];
	return NULL;
}

static void entry_free(struct manifest_entry *entry)
{
	free(entry->name);
	free(entry->location);
	for (size_t i = 0; i < entry->n_hard_links; i++)
		free(entry->hard_links[i]);
	free(entry->hard_links);
	free(entry->source);
}

static int parse_line(struct manifest *m, struct line *line)
{
	const struct handler *handler = find_handler(line->keyword);
	if (!handler)
		return line_error(
			line,
			"unknown keyword '%s'; expected file, dir, nod, slink, pipe, sock, module, binary, hook or "
			"hostonly",
			line->keyword);

	if (line->n_fields < handler->n_required) {
		const char *field;
		int len = usage_field(handler->usage, line->n_fields, &field);
		return line_error(line, "%s: missing %.*s; expected %s %s", line->keyword, len,
				  field, line->keyword, handler->usage);
	}
	if (line->n_fields > handler->n_required && !handler->more_allowed &&
	    handler->n_required == 0)
		return line_error(line, "%s: unexpected field '%s'; expected %s alone on its line",
				  line->keyword, line->fields[0], line->keyword);
	if (line->n_fields > handler->n_required && !handler->more_allowed) {
		const char *field;
		int len = usage_field(handler->usage, handler->n_required - 1, &field);
		return line_error(line, "%s: unexpected field '%s' after %.*s; expected %s %s",
				  line->keyword, line->fields[handler->n_required], len, field,
				  line->keyword, handler->usage);
	}

	int r = grow_array((void **)&m->entries, &m->capacity, m->n_entries + 1,
			   sizeof(*m->entries));
	if (r < 0)
		return r;
	struct manifest_entry entry = { .kind = handler->kind };
	if (asprintf(&entry.source, "%s:%u", line->ctx->display_name, line->number) < 0) {
		entry.source = NULL;
		return -ENOMEM;
	}
	r = handler->parse(line, &entry);
	if (r < 0) {
		entry_free(&entry);
		return r;
	}
	m->entries[m->n_entries++] = entry;
	return 0;
}

static bool is_blank(char c)
{
	/* '\r' too, so that a manifest saved with CRLF line ends reads the same. */
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits TEXT (modified in place) at blanks. Returns the number of words, or -ENOMEM. */
static int split_words(char *text, char ***out)
{
	size_t n = 0, capacity = 0;
	char **words = NULL;
	char *p = text;
	for (;;) {
		while (is_blank(*p))
			*p++ = '\0';
		if (!*p)
			break;
		if (grow_array((void **)&words, &capacity, n + 1, sizeof(*words)) < 0) {
			free(words);
			return -ENOMEM;
		}
		words[n++] = p;
		while (*p && !is_blank(*p))
			p++;
	}
	*out = words;
	return (int)n;
}

int manifest_parse_text(struct manifest *m, const struct manifest_context *ctx, const char *text,
			size_t len, char *err, size_t err_size)
{
	unsigned int number = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		number++;
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		struct line line = {
			.ctx = ctx, .number = number, .err = err, .err_size = err_size
		};
		if (memchr(p, '\0', (size_t)(eol - p)))
			return line_error(&line, "expected text, got a NUL byte");

		char *copy = strndup(p, (size_t)(eol - p));
		if (!copy)
			return -ENOMEM;
		char **words = NULL;
		int n = split_words(copy, &words);
		int r = n < 0 ? n : 0;
		/* As in gen_init_cpio, a comment is a line whose first word starts with '#'. */
		if (n > 0 && words[0][0] != '#') {
			line.keyword = words[0];
			line.fields = words + 1;
			line.n_fields = (size_t)n - 1;
			r = parse_line(m, &line);
		}
		free(words);
		free(copy);
		if (r < 0)
			return r;
		p = eol + 1;
	}
	return 0;
}

int manifest_parse_file(struct manifest *m, const char *path, const struct manifest_context *ctx,
			char *err, size_t err_size)
{
	char *text;
	size_t len;
	int r = read_whole_file(path, &text, &len);
	if (r < 0) {
		(void)snprintf(err, err_size, "unable to read %s: %s", path, strerror(-r));
		return r;
	}
	r = manifest_parse_text(m, ctx, text, len, err, err_size);
	free(text);
	return r;
}

void manifest_free(struct manifest *m)
{
	for (size_t i = 0; i < m->n_entries; i++)
		entry_free(&m->entries[i]);
	free(m->entries);
	*m = (struct manifest){ 0 };
}
