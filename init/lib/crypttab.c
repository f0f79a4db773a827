/* crypttab(5) lines and options, the subset an initramfs needs to unlock LUKS: no plain dm-crypt,
 * TrueCrypt or BitLocker, no keyscripts, no swap or tmp formatting. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypttab.h"

void crypt_target_init(struct crypt_target *target)
{
	*target = (struct crypt_target){ .tries = CRYPT_TRIES_DEFAULT, .keyslot = -1 };
}

static int parse_number(const char *value, unsigned long long max, unsigned long long *out)
{
	if (!value || !isdigit((unsigned char)*value))
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(value, &end, 10);
	if (errno || *end || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

static void note_unsupported(char *list, size_t size, const char *option, size_t len)
{
	size_t used = strlen(list);
	(void)snprintf(list + used, size - used, "%s%.*s", used ? "," : "", (int)len, option);
}

/* Options that change nothing in an initramfs, or that systemd and Debian use to say when to
 * unlock: accepted as they are. */
static const char *const harmless[] = {
	"luks",
	"initramfs",
	"x-initrd.attach",
	"_netdev",
	"no-read-workqueue",
	"no-write-workqueue",
	"same-cpu-crypt",
	"submit-from-crypt-cpus",
	"headless=false",
};

static int apply_option(struct crypt_target *t, const char *opt, size_t len, char *unsupported,
			size_t unsupported_size, const char **reason)
{
	char text[CRYPT_OPTIONS_MAX];
	(void)snprintf(text, sizeof(text), "%.*s", (int)len, opt);
	char *value = strchr(text, '=');
	if (value)
		*value++ = '\0';
	unsigned long long n;

	if (strcmp(text, "discard") == 0 && !value)
		t->discard = true;
	else if ((strcmp(text, "readonly") == 0 || strcmp(text, "read-only") == 0) && !value)
		t->readonly = true;
	else if (strcmp(text, "noauto") == 0 && !value)
		t->noauto = true;
	else if (strcmp(text, "nofail") == 0 && !value)
		t->nofail = true;
	else if (strcmp(text, "tries") == 0) {
		if (parse_number(value, 1000, &n) < 0) {
			*reason = "tries= takes a number (0: no limit)";
			return -EINVAL;
		}
		t->tries = (int)n;
	} else if (strcmp(text, "keyfile-offset") == 0 || strcmp(text, "keyfile-size") == 0) {
		if (parse_number(value, 1ULL << 40, &n) < 0) {
			*reason = "keyfile-offset= and keyfile-size= take a number of bytes";
			return -EINVAL;
		}
		*(text[8] == 'o' ? &t->keyfile_offset : &t->keyfile_size) = n;
	} else if (strcmp(text, "key-slot") == 0 || strcmp(text, "keyslot") == 0) {
		if (parse_number(value, 31, &n) < 0) {
			*reason = "key-slot= takes a key slot number, 0 to 31";
			return -EINVAL;
		}
		t->keyslot = (int)n;
	} else if (strcmp(text, "header") == 0) {
		if (!value || value[0] != '/' || strlen(value) >= sizeof(t->header)) {
			*reason = "header= takes an absolute path";
			return -EINVAL;
		}
		(void)snprintf(t->header, sizeof(t->header), "%s", value);
	} else {
		for (size_t i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++)
			if (strncmp(opt, harmless[i], len) == 0 && harmless[i][len] == '\0')
				return 0;
		note_unsupported(unsupported, unsupported_size, opt, len);
	}
	return 0;
}

int crypt_target_options(struct crypt_target *target, const char *options, char *unsupported,
			 size_t unsupported_size, const char **reason)
{
	unsupported[0] = '\0';
	for (const char *p = options; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len > 0) {
			int r = apply_option(target, p, len, unsupported, unsupported_size, reason);
			if (r < 0)
				return r;
		}
		p += len + (p[len] == ',');
	}
	return 0;
}

/* The next whitespace-separated field of *line into field (size bytes), or "" at the end. */
static int next_field(const char **line, char *field, size_t size)
{
	const char *p = *line + strspn(*line, " \t");
	size_t len = strcspn(p, " \t\n");
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(field, p, len);
	field[len] = '\0';
	*line = p + len;
	return 0;
}

int crypttab_parse_line(const char *line, struct crypt_target *target, char *unsupported,
			size_t unsupported_size, const char **reason)
{
	char name[CRYPT_NAME_MAX], source[ROOT_SPEC_VALUE_MAX + 32], keyfile[CRYPT_PATH_MAX * 2];
	char options[CRYPT_OPTIONS_MAX], extra[8];
	crypt_target_init(target);
	unsupported[0] = '\0';
	const char *p = line + strspn(line, " \t");
	if (*p == '\0' || *p == '\n' || *p == '#')
		return 0;
	if (next_field(&p, name, sizeof(name)) < 0 || next_field(&p, source, sizeof(source)) < 0 ||
	    next_field(&p, keyfile, sizeof(keyfile)) < 0 ||
	    next_field(&p, options, sizeof(options)) < 0) {
		*reason = "a field is too long";
		return -EINVAL;
	}
	if (next_field(&p, extra, sizeof(extra)) < 0 || extra[0]) {
		*reason = "more than four fields (NAME SOURCE KEYFILE OPTIONS)";
		return -EINVAL;
	}
	if (!source[0]) {
		*reason = "no device after the name (NAME SOURCE KEYFILE OPTIONS)";
		return -EINVAL;
	}
	/* A name is what /dev/mapper/ shows: no '/', and not a path of its own. */
	if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		*reason = "the name cannot hold '/'";
		return -EINVAL;
	}
	(void)snprintf(target->name, sizeof(target->name), "%s", name);
	if (root_spec_parse(source, &target->source, reason) < 0)
		return -EINVAL;

	if (keyfile[0] && strcmp(keyfile, "none") != 0 && strcmp(keyfile, "-") != 0) {
		/* systemd's PATH:DEVICE: the key is on another device, which is mounted to read it. */
		char *colon = strchr(keyfile, ':');
		if (colon) {
			*colon = '\0';
			if (root_spec_parse(colon + 1, &target->keydev, reason) < 0)
				return -EINVAL;
			target->keydev_set = true;
		}
		if (keyfile[0] != '/' || strlen(keyfile) >= sizeof(target->keyfile)) {
			*reason = "the key file is not an absolute path";
			return -EINVAL;
		}
		(void)snprintf(target->keyfile, sizeof(target->keyfile), "%.*s",
			       (int)sizeof(target->keyfile) - 1, keyfile);
	}
	int r = crypt_target_options(target, options, unsupported, unsupported_size, reason);
	return r < 0 ? r : 1;
}
