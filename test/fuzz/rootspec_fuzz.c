/*
 * Fuzz target for root=: root_spec_parse() on the input (a NUL ends it), then
 * root_spec_matches() against a fixed table of devices.
 *
 * Beyond not crashing: a refusal always gives a reason; an accepted spec is never empty
 * (anything but MAJ:MIN has a non-empty value, with no byte lost to a NUL), UUIDs are lowercase
 * hex, device numbers fit Linux's dev_t, labels decode as udev escapes them (a reference
 * decoder in this file), and the spec written back as text parses to the same spec. Matching:
 * the table's identifiers are all different, so a spec matches at most one device, and only
 * through a non-empty identifier that equals its value; the blank device (no identifiers at
 * all) matches only by name or number.
 */
#define FUZZ_TARGET "rootspec_fuzz"
#include <ctype.h>
#include <errno.h>
#include <strings.h>

#include "fuzz.h"
#include "rootspec.h"

static const struct blockdev table[] = {
	{ .name = "vda", .major = 254, .minor = 0, .disk_major = 254, .disk_minor = 0 },
	{ .name = "vda1",
	  .major = 254,
	  .minor = 1,
	  .partno = 1,
	  .disk_major = 254,
	  .disk_minor = 0,
	  .type = "vfat",
	  .uuid = "ABCD-1234",
	  .label = "EFI",
	  .partuuid = "0fc63daf-8483-4772-8e79-3d69d8477de4",
	  .partlabel = "EFI system" },
	{ .name = "vda2",
	  .major = 254,
	  .minor = 2,
	  .partno = 2,
	  .disk_major = 254,
	  .disk_minor = 0,
	  .type = "ext4",
	  .uuid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
	  .label = "my root",
	  .partuuid = "0FC63DAF-8483-4772-8E79-3D69D8477DE5",
	  .partlabel = "root" },
	{ .name = "sda", .major = 8, .minor = 0, .disk_major = 8, .disk_minor = 0 },
	{ .name = "sda1",
	  .major = 8,
	  .minor = 1,
	  .partno = 1,
	  .disk_major = 8,
	  .disk_minor = 0,
	  .type = "ext4",
	  .uuid = "11111111-2222-3333-4444-555555555555",
	  .partuuid = "1234abcd-01" },
	{ .name = "sda2",
	  .major = 8,
	  .minor = 2,
	  .partno = 2,
	  .disk_major = 8,
	  .disk_minor = 0,
	  .type = "xfs",
	  .uuid = "66666666-7777-8888-9999-aaaaaaaaaaaa",
	  .label = "data\\x20",
	  .partuuid = "1234abcd-02",
	  .partlabel = "a\tb" },
	{ .name = "sr0", .major = 11, .minor = 0, .disk_major = 11, .disk_minor = 0 },
	{ .name = "nvme0n1p3",
	  .major = 259,
	  .minor = 65536,
	  .partno = 3,
	  .disk_major = 259,
	  .disk_minor = 0,
	  .type = "btrfs",
	  .uuid = "c0ffee00-0000-4000-8000-000000000001",
	  .label = "\xc3\xa9t\xc3\xa9",
	  .partuuid = "c0ffee00-0000-4000-8000-0000000000ff",
	  .partlabel = "linux" },
};
#define TABLE_SIZE (sizeof(table) / sizeof(table[0]))

static bool same_spec(const struct root_spec *a, const struct root_spec *b)
{
	return a->kind == b->kind && strcmp(a->value, b->value) == 0 && a->major == b->major &&
		a->minor == b->minor && a->partnroff == b->partnroff;
}

/* udev's escaping, decoded independently of rootspec.c: \xHH is one byte, anything else is itself.
 * Returns the decoded length; out gets at most out_size bytes. */
static size_t reference_decode(const char *s, char *out, size_t out_size)
{
	size_t n = 0;
	for (size_t i = 0; s[i]; n++) {
		char c = s[i];
		if (s[i] == '\\' && s[i + 1] == 'x' && isxdigit((unsigned char)s[i + 2]) &&
		    isxdigit((unsigned char)s[i + 3])) {
			c = (char)(((isdigit((unsigned char)s[i + 2])
					     ? s[i + 2] - '0'
					     : (tolower(s[i + 2]) - 'a' + 10))
				    << 4) |
				   (isdigit((unsigned char)s[i + 3])
					    ? s[i + 3] - '0'
					    : (tolower(s[i + 3]) - 'a' + 10)));
			i += 4;
		} else
			i++;
		if (n < out_size)
			out[n] = c;
	}
	return n;
}

/* The spec as a user would write it; a backslash is escaped so that it decodes back to itself. */
static bool render(const struct root_spec *spec, char *out, size_t size)
{
	static const char *const prefix[] = {
		[ROOT_BY_DEVNAME] = "/dev/",	    [ROOT_BY_UUID] = "UUID=",
		[ROOT_BY_LABEL] = "LABEL=",	    [ROOT_BY_PARTUUID] = "PARTUUID=",
		[ROOT_BY_PARTLABEL] = "PARTLABEL=", [ROOT_BY_DM_NAME] = "/dev/mapper/",
		[ROOT_BY_MD_NAME] = "/dev/md/",
	};
	if (spec->kind == ROOT_BY_DEVNUM)
		return (size_t)snprintf(out, size, "%u:%u", spec->major, spec->minor) < size;
	size_t o = (size_t)snprintf(out, size, "%s", prefix[spec->kind]);
	bool escape = spec->kind == ROOT_BY_LABEL || spec->kind == ROOT_BY_PARTLABEL;
	for (const char *p = spec->value; *p; p++) {
		if (o + 5 >= size)
			return false;
		if (escape && *p == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\x5c");
		else
			out[o++] = *p;
	}
	out[o] = '\0';
	if (spec->kind == ROOT_BY_PARTUUID && spec->partnroff)
		return (size_t)snprintf(out + o, size - o, "/PARTNROFF=%d", spec->partnroff) <
			size - o;
	return true;
}

static bool has_partuuid(const struct blockdev *d, const char *value)
{
	return d->partuuid[0] && strcasecmp(d->partuuid, value) == 0;
}

/* Why spec may match d, written apart from rootspec.c's switch. */
static bool may_match(const struct root_spec *spec, const struct blockdev *d)
{
	switch (spec->kind) {
	case ROOT_BY_DEVNAME:
		return strcmp(d->name, spec->value) == 0;
	case ROOT_BY_UUID:
		return d->uuid[0] && strcasecmp(d->uuid, spec->value) == 0;
	case ROOT_BY_LABEL:
		return d->label[0] && strcmp(d->label, spec->value) == 0;
	case ROOT_BY_PARTLABEL:
		return d->partlabel[0] && strcmp(d->partlabel, spec->value) == 0;
	case ROOT_BY_DEVNUM:
		return d->major == spec->major && d->minor == spec->minor;
	case ROOT_BY_DM_NAME:
		return d->dm_name[0] && strcmp(d->dm_name, spec->value) == 0;
	case ROOT_BY_MD_NAME:
		return d->md_name[0] &&
			(strcmp(d->md_name, spec->value) == 0 ||
			 (strchr(d->md_name, ':') &&
			  strcmp(strchr(d->md_name, ':') + 1, spec->value) == 0));
	case ROOT_BY_PARTUUID:
		if (!spec->partnroff)
			return has_partuuid(d, spec->value);
		for (size_t i = 0; i < TABLE_SIZE; i++)
			if (has_partuuid(&table[i], spec->value) && table[i].partno > 0 &&
			    d->partno > 0 && table[i].disk_major == d->disk_major &&
			    table[i].disk_minor == d->disk_minor &&
			    d->partno == table[i].partno + spec->partnroff)
				return true;
		return false;
	}
	return false;
}

static size_t matches(const struct root_spec *spec, const struct blockdev **which)
{
	size_t n = 0;
	for (size_t i = 0; i < TABLE_SIZE; i++) {
		if (!root_spec_matches(spec, &table[i], table, TABLE_SIZE))
			continue;
		require(may_match(spec, &table[i]), "%s matched %s without reason",
			root_spec_kind_name(spec->kind), table[i].name);
		require(spec->kind == ROOT_BY_DEVNAME || spec->kind == ROOT_BY_DEVNUM ||
				spec->kind == ROOT_BY_DM_NAME || spec->kind == ROOT_BY_MD_NAME ||
				table[i].uuid[0] || table[i].partuuid[0],
			"the blank device %s matched by %s", table[i].name,
			root_spec_kind_name(spec->kind));
		*which = &table[i];
		n++;
	}
	return n;
}

/* udev's escaping of a by-label link name: anything but [A-Za-z0-9#+-.:=@_] as \xHH. */
static void escape(const char *s, char *out, size_t size)
{
	size_t o = 0;
	for (; *s && o + 5 < size; s++)
		if (isalnum((unsigned char)*s) || strchr("#+-.:=@_", *s))
			out[o++] = *s;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", (unsigned char)*s);
	out[o] = '\0';
}

/* Once: every identifier in the table, in each of its forms, finds exactly its own device. */
static void check_table(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	for (size_t i = 0; i < TABLE_SIZE; i++) {
		const struct blockdev *d = &table[i];
		char forms[8][320];
		size_t n = 0;
		(void)snprintf(forms[n++], sizeof(forms[0]), "/dev/%.*s", (int)sizeof(d->name),
			       d->name);
		(void)snprintf(forms[n++], sizeof(forms[0]), "%u:%u", d->major, d->minor);
		if (d->uuid[0])
			(void)snprintf(forms[n++], sizeof(forms[0]), "UUID=%s", d->uuid);
		if (d->partuuid[0])
			(void)snprintf(forms[n++], sizeof(forms[0]), "/dev/disk/by-partuuid/%s",
				       d->partuuid);
		char escaped[256];
		if (d->label[0]) {
			escape(d->label, escaped, sizeof(escaped));
			(void)snprintf(forms[n++], sizeof(forms[0]), "/dev/disk/by-label/%s",
				       escaped);
		}
		if (d->partlabel[0]) {
			escape(d->partlabel, escaped, sizeof(escaped));
			(void)snprintf(forms[n++], sizeof(forms[0]), "PARTLABEL=%s", escaped);
		}
		for (size_t j = 0; j < TABLE_SIZE; j++)
			if (j != i && d->partno && table[j].partno && table[j].partuuid[0] &&
			    table[j].disk_major == d->disk_major &&
			    table[j].disk_minor == d->disk_minor) {
				(void)snprintf(forms[n++], sizeof(forms[0]),
					       "PARTUUID=%s/PARTNROFF=%d", table[j].partuuid,
					       d->partno - table[j].partno);
				break;
			}
		for (size_t f = 0; f < n; f++) {
			struct root_spec spec;
			const char *reason, *which = NULL;
			const struct blockdev *found = NULL;
			require(root_spec_parse(forms[f], &spec, &reason) == 0,
				"table form %s refused: %s", forms[f], reason);
			size_t count = matches(&spec, &found);
			which = found ? found->name : "nothing";
			require(count == 1 && found == d,
				"%s matches %zu devices (%s), not just %s", forms[f], count, which,
				d->name);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_table();
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct root_spec spec;
	const char *reason = NULL;
	int r = root_spec_parse(text, &spec, &reason);
	require(r == 0 || r == -EINVAL || r == -ENAMETOOLONG, "root_spec_parse returned %d", r);
	require(reason && reason[0], "no reason given");
	require(r < 0 || text[0], "an empty root= accepted");
	if (r < 0) {
		free(text);
		return 0;
	}

	require(spec.kind <= ROOT_BY_MD_NAME, "kind %d", (int)spec.kind);
	require(strnlen(spec.value, sizeof(spec.value)) < sizeof(spec.value),
		"value is not NUL-terminated");
	const char *rest = strchr(text, '=') ? strchr(text, '=') + 1 : text;
	switch (spec.kind) {
	case ROOT_BY_DEVNUM:
		require(spec.major <= 0xfff && spec.minor <= 0xfffff && !spec.value[0], "%u:%u",
			spec.major, spec.minor);
		break;
	case ROOT_BY_DEVNAME:
		require(spec.value[0] && strlen(spec.value) < sizeof(table[0].name) &&
				!strstr(spec.value, "..") && strcmp(text + 5, spec.value) == 0,
			"device name '%s' from '%s'", spec.value, text);
		break;
	case ROOT_BY_DM_NAME: {
		/* /dev/mapper/NAME as it is; /dev/VG/LV as lvm names it: '-' doubled, '/' a '-'. */
		char want[2 * ROOT_SPEC_VALUE_MAX] = "";
		if (strncmp(text, "/dev/mapper/", 12) == 0) {
			(void)snprintf(want, sizeof(want), "%s", text + 12);
		} else {
			size_t o = 0;
			for (const char *p = text + 5; *p && o + 2 < sizeof(want); p++) {
				want[o++] = *p == '/' ? '-' : *p;
				if (*p == '-')
					want[o++] = '-';
			}
			want[o] = '\0';
		}
		require(spec.value[0] && !strchr(spec.value, '/') &&
				strlen(spec.value) < sizeof(table[0].dm_name) &&
				strcmp(want, spec.value) == 0,
			"device-mapper name '%s' from '%s'", spec.value, text);
		break;
	}
	case ROOT_BY_MD_NAME:
		require(spec.value[0] && !strchr(spec.value, '/') &&
				strlen(spec.value) < sizeof(table[0].md_name) &&
				strcmp(text + strlen("/dev/md/"), spec.value) == 0,
			"md name '%s' from '%s'", spec.value, text);
		break;
	case ROOT_BY_UUID:
	case ROOT_BY_PARTUUID:
		require(spec.value[0] &&
				strspn(spec.value, "0123456789abcdef-") == strlen(spec.value),
			"UUID '%s' is not lowercase hex", spec.value);
		require(spec.kind == ROOT_BY_PARTUUID || spec.partnroff == 0,
			"PARTNROFF on a UUID");
		break;
	case ROOT_BY_LABEL:
	case ROOT_BY_PARTLABEL: {
		if (strncmp(text, "/dev/disk/", 10) == 0)
			rest = strchr(text + 10, '/') + 1;
		char want[ROOT_SPEC_VALUE_MAX];
		size_t n = reference_decode(rest, want, sizeof(want));
		require(spec.value[0], "an empty label accepted from '%s'", text);
		require(n == strlen(spec.value) && memcmp(want, spec.value, n) == 0,
			"'%s' decodes to %zu bytes, the spec holds '%s' (%zu)", rest, n, spec.value,
			strlen(spec.value));
		break;
	}
	}

	char again_text[4 * ROOT_SPEC_VALUE_MAX + 64];
	if (render(&spec, again_text, sizeof(again_text)) &&
	    strlen(again_text) < ROOT_SPEC_VALUE_MAX + 32) {
		struct root_spec again;
		require(root_spec_parse(again_text, &again, &reason) == 0 &&
				same_spec(&again, &spec),
			"'%s' written back as '%s' parses differently", text, again_text);
	}

	const struct blockdev *found = NULL;
	size_t count = matches(&spec, &found);
	require(count <= 1, "'%s' matches %zu devices of a table whose identifiers all differ",
		text, count);
	free(text);
	return 0;
}
