/* root= in every form the kernel and the initramfs tools accept, and matching it. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rootspec.h"

static bool starts_with(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);
	if (strncmp(s, prefix, n) != 0)
		return false;
	*rest = s + n;
	return true;
}

int copy_lower_hex(char *dst, size_t size, const char *src, size_t len, const char **reason)
{
	if (len == 0) {
		*reason = "empty identifier";
		return -EINVAL;
	}
	if (len >= size) {
		*reason = "identifier too long";
		return -ENAMETOOLONG;
	}
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)src[i]) && src[i] != '-') {
			*reason = "identifier is not hexadecimal";
			return -EINVAL;
		}
		dst[i] = (char)tolower((unsigned char)src[i]);
	}
	dst[len] = '\0';
	return 0;
}

/* udev's by-label links escape unsafe bytes as \xHH (a space is \x20). */
static int copy_unescaped(char *dst, const char *src, const char **reason)
{
	size_t o = 0;
	for (size_t i = 0; src[i]; i++) {
		char c = src[i];
		if (c == '\\' && src[i + 1] == 'x' && isxdigit((unsigned char)src[i + 2]) &&
		    isxdigit((unsigned char)src[i + 3])) {
			char hex[3] = { src[i + 2], src[i + 3], '\0' };
			c = (char)strtol(hex, NULL, 16);
			i += 3;
			/* A NUL would end the label early: "a\x00b" would match a device labelled "a". */
			if (c == '\0') {
				*reason = "\\x00 in a label";
				return -EINVAL;
			}
		}
		if (o + 1 >= ROOT_SPEC_VALUE_MAX) {
			*reason = "identifier too long";
			return -ENAMETOOLONG;
		}
		dst[o++] = c;
	}
	if (o == 0) {
		*reason = "empty identifier";
		return -EINVAL;
	}
	dst[o] = '\0';
	return 0;
}

static int parse_partuuid(const char *text, struct root_spec *spec, const char **reason)
{
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	int r = copy_lower_hex(spec->value, sizeof(spec->value), text, len, reason);
	if (r < 0 || !slash)
		return r;
	const char *off;
	if (!starts_with(slash, "/PARTNROFF=", &off) || !*off) {
		*reason = "expected /PARTNROFF=N after the PARTUUID";
		return -EINVAL;
	}
	char *end;
	errno = 0;
	long n = strtol(off, &end, 10);
	if (errno || *end || n < -255 || n > 255) {
		*reason = "PARTNROFF is not a small number";
		return -EINVAL;
	}
	spec->partnroff = (int)n;
	return 0;
}

static bool parse_unsigned(const char *s, size_t len, int base, unsigned long max,
			   unsigned long *out)
{
	if (len == 0 || len > 16)
		return false;
	char buf[17];
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (base == 10 ? !isdigit((unsigned char)buf[i]) : !isxdigit((unsigned char)buf[i]))
			return false;
	errno = 0;
	unsigned long n = strtoul(buf, NULL, base);
	if (errno || n > max)
		return false;
	*out = n;
	return true;
}

static int parse_devnum(const char *text, struct root_spec *spec, const char **reason)
{
	const char *colon = strchr(text, ':');
	unsigned long major, minor, dev;
	if (colon) {
		if (!parse_unsigned(text, (size_t)(colon - text), 10, 0xfff, &major) ||
		    !parse_unsigned(colon + 1, strlen(colon + 1), 10, 0xfffff, &minor)) {
			*reason = "expected MAJOR:MINOR in decimal";
			return -EINVAL;
		}
	} else if (parse_unsigned(text, strlen(text), 16, 0xffffffffUL, &dev)) {
		/* The kernel's new_decode_dev(): 12 bits of major, 20 of minor, interleaved. */
		major = (dev & 0xfff00) >> 8;
		minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
	} else {
		*reason = "not a recognised root= form (/dev/..., UUID=, LABEL=, PARTUUID=, "
			  "PARTLABEL=, MAJ:MIN)";
		return -EINVAL;
	}
	spec->kind = ROOT_BY_DEVNUM;
	spec->major = (unsigned)major;
	spec->minor = (unsigned)minor;
	return 0;
}

/* /dev/VG/LV is the logical volume LV of volume group VG, whose device-mapper name is VG-LV with each
 * '-' of VG and LV doubled (lvm's dm_build_dm_name()). */
static int parse_vg_lv(const char *vg_lv, struct root_spec *spec, const char **reason)
{
	const char *slash = strchr(vg_lv, '/');
	const char *lv = slash + 1;
	if (slash == vg_lv || !*lv || strchr(lv, '/') || strstr(vg_lv, "..") || vg_lv[0] == '.') {
		*reason = "not a device name under /dev/, nor /dev/VG/LV";
		return -EINVAL;
	}
	size_t o = 0;
	for (const char *p = vg_lv; *p; p++) {
		size_t need = *p == '-' ? 2 : 1;
		if (o + need >= sizeof((struct blockdev *)0)->dm_name) {
			*reason = "volume group and logical volume names too long";
			return -ENAMETOOLONG;
		}
		if (*p == '/') {
			spec->value[o++] = '-';
			continue;
		}
		spec->value[o++] = *p;
		if (*p == '-')
			spec->value[o++] = '-';
	}
	spec->value[o] = '\0';
	spec->kind = ROOT_BY_DM_NAME;
	return 0;
}

int root_spec_parse(const char *text, struct root_spec *spec, const char **reason)
{
	const char *rest;
	*spec = (struct root_spec){ 0 };
	*reason = "invalid";
	if (!text || !*text) {
		*reason = "empty value";
		return -EINVAL;
	}
	if (strlen(text) >= ROOT_SPEC_VALUE_MAX + 32) {
		*reason = "value too long";
		return -ENAMETOOLONG;
	}

	if (starts_with(text, "/dev/disk/by-uuid/", &rest) || starts_with(text, "UUID=", &rest)) {
		spec->kind = ROOT_BY_UUID;
		return copy_lower_hex(spec->value, sizeof(spec->value), rest, strlen(rest), reason);
	}
	if (starts_with(text, "/dev/disk/by-partuuid/", &rest) ||
	    starts_with(text, "PARTUUID=", &rest)) {
		spec->kind = ROOT_BY_PARTUUID;
		return parse_partuuid(rest, spec, reason);
	}
	if (starts_with(text, "/dev/disk/by-label/", &rest) || starts_with(text, "LABEL=", &rest)) {
		spec->kind = ROOT_BY_LABEL;
		return copy_unescaped(spec->value, rest, reason);
	}
	if (starts_with(text, "/dev/disk/by-partlabel/", &rest) ||
	    starts_with(text, "PARTLABEL=", &rest)) {
		spec->kind = ROOT_BY_PARTLABEL;
		return copy_unescaped(spec->value, rest, reason);
	}
	if (starts_with(text, "/dev/mapper/", &rest)) {
		spec->kind = ROOT_BY_DM_NAME;
		if (!*rest || strchr(rest, '/') ||
		    strlen(rest) >= sizeof((struct blockdev *)0)->dm_name) {
			*reason = "not a device-mapper name under /dev/mapper/";
			return -EINVAL;
		}
		memcpy(spec->value, rest, strlen(rest) + 1);
		return 0;
	}
	if (starts_with(text, "/dev/md/", &rest)) {
		spec->kind = ROOT_BY_MD_NAME;
		if (!*rest || strchr(rest, '/') ||
		    strlen(rest) >= sizeof((struct blockdev *)0)->md_name) {
			*reason = "not an md array's name under /dev/md/";
			return -EINVAL;
		}
		memcpy(spec->value, rest, strlen(rest) + 1);
		return 0;
	}
	if (starts_with(text, "/dev/", &rest) && !starts_with(rest, "disk/", &rest) &&
	    strchr(rest, '/'))
		return parse_vg_lv(rest, spec, reason);
	if (starts_with(text, "/dev/disk/", &rest)) {
		*reason =
			"only the by-uuid, by-label, by-partuuid and by-partlabel links are understood";
		return -EINVAL;
	}
	if (starts_with(text, "/dev/", &rest)) {
		size_t len = strlen(rest);
		if (len == 0 || len >= sizeof((struct blockdev *)0)->name || strstr(rest, "..")) {
			*reason = "not a device name under /dev/";
			return -EINVAL;
		}
		spec->kind = ROOT_BY_DEVNAME;
		memcpy(spec->value, rest, len + 1);
		return 0;
	}
	return parse_devnum(text, spec, reason);
}

static const struct blockdev *find_by_partuuid(const char *partuuid, const struct blockdev *known,
					       size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (known[i].partuuid[0] && strcasecmp(known[i].partuuid, partuuid) == 0)
			return &known[i];
	return NULL;
}

bool root_spec_matches(const struct root_spec *spec, const struct blockdev *dev,
		       const struct blockdev *known, size_t known_count)
{
	switch (spec->kind) {
	case ROOT_BY_DEVNAME:
		return strcmp(dev->name, spec->value) == 0;
	case ROOT_BY_UUID:
		return dev->uuid[0] && strcasecmp(dev->uuid, spec->value) == 0;
	case ROOT_BY_LABEL:
		return dev->label[0] && strcmp(dev->label, spec->value) == 0;
	case ROOT_BY_PARTLABEL:
		return dev->partlabel[0] && strcmp(dev->partlabel, spec->value) == 0;
	case ROOT_BY_DEVNUM:
		return dev->major == spec->major && dev->minor == spec->minor;
	case ROOT_BY_DM_NAME:
		return dev->dm_name[0] && strcmp(dev->dm_name, spec->value) == 0;
	case ROOT_BY_MD_NAME: {
		/* The superblock says HOST:NAME when the array was made with a homehost. */
		const char *colon = strchr(dev->md_name, ':');
		return dev->md_name[0] &&
			(strcmp(dev->md_name, spec->value) == 0 ||
			 (colon && strcmp(colon + 1, spec->value) == 0));
	}
	case ROOT_BY_PARTUUID:
		if (spec->partnroff == 0)
			return dev->partuuid[0] && strcasecmp(dev->partuuid, spec->value) == 0;
		if (dev->partno == 0)
			return false;
		const struct blockdev *base = find_by_partuuid(spec->value, known, known_count);
		if (!base && dev->partuuid[0] && strcasecmp(dev->partuuid, spec->value) == 0)
			base = dev;
		return base && base->partno > 0 && dev->disk_major == base->disk_major &&
			dev->disk_minor == base->disk_minor &&
			dev->partno == base->partno + spec->partnroff;
	}
	return false;
}

const char *root_spec_kind_name(enum root_kind kind)
{
	switch (kind) {
	case ROOT_BY_DEVNAME:
		return "device name";
	case ROOT_BY_UUID:
		return "UUID";
	case ROOT_BY_LABEL:
		return "LABEL";
	case ROOT_BY_PARTUUID:
		return "PARTUUID";
	case ROOT_BY_PARTLABEL:
		return "PARTLABEL";
	case ROOT_BY_DEVNUM:
		return "MAJ:MIN";
	case ROOT_BY_DM_NAME:
		return "device-mapper name";
	case ROOT_BY_MD_NAME:
		return "md array name";
	}
	return "?";
}
