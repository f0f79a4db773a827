/*
 * Fuzz target for crypttab lines: crypttab_parse_line() on the input (a NUL ends it).
 *
 * Beyond not crashing: a refused line always gives a reason; an entry has a name with no '/', a
 * source root_spec_parse() accepts on its own, an absolute key file or none, tries and key slot in
 * range, and a list of unsupported options that fits its buffer and names only options of the
 * line; written back as a line, an entry parses to the same entry.
 */
#define FUZZ_TARGET "crypttab_fuzz"
#include <errno.h>

#include "crypttab.h"
#include "fuzz.h"

static bool same_target(const struct crypt_target *a, const struct crypt_target *b)
{
	return strcmp(a->name, b->name) == 0 && a->source.kind == b->source.kind &&
		strcmp(a->source.value, b->source.value) == 0 &&
		strcmp(a->keyfile, b->keyfile) == 0 && strcmp(a->header, b->header) == 0 &&
		a->keyfile_offset == b->keyfile_offset && a->keyfile_size == b->keyfile_size &&
		a->tries == b->tries && a->keyslot == b->keyslot && a->discard == b->discard &&
		a->readonly == b->readonly && a->noauto == b->noauto;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[1024];
	size_t len = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	memcpy(line, data, len);
	line[len] = '\0';

	struct crypt_target t;
	char unsupported[64];
	const char *reason = NULL;
	int r = crypttab_parse_line(line, &t, unsupported, sizeof(unsupported), &reason);
	require(r == 1 || r == 0 || r == -EINVAL, "result %d", r);
	if (r < 0) {
		require(reason && *reason, "a refusal without a reason");
		return 0;
	}
	if (r == 0)
		return 0;
	require(t.name[0] && !strchr(t.name, '/'), "name '%s'", t.name);
	require(strlen(unsupported) < sizeof(unsupported), "unsupported list overran");
	require(!t.keyfile[0] || t.keyfile[0] == '/', "key file '%s' is not absolute", t.keyfile);
	require(!t.header[0] || t.header[0] == '/', "header '%s' is not absolute", t.header);
	require(t.tries >= 0 && t.tries <= 1000 && t.keyslot >= -1 && t.keyslot <= 31,
		"tries %d, key slot %d", t.tries, t.keyslot);
	if (!unsupported[0] && !t.keydev_set && t.source.kind != ROOT_BY_LABEL &&
	    t.source.kind != ROOT_BY_PARTLABEL && t.source.kind != ROOT_BY_DEVNUM) {
		/* Written back in a canonical form, the entry reads the same. */
		char again[1400], options[400];
		(void)snprintf(options, sizeof(options),
			       "luks%s%s%s,tries=%d,keyfile-offset=%llu,keyfile-size=%llu",
			       t.discard ? ",discard" : "", t.readonly ? ",readonly" : "",
			       t.noauto ? ",noauto" : "", t.tries, t.keyfile_offset,
			       t.keyfile_size);
		if (t.keyslot >= 0)
			(void)snprintf(options + strlen(options), sizeof(options) - strlen(options),
				       ",key-slot=%d", t.keyslot);
		if (t.header[0])
			(void)snprintf(options + strlen(options), sizeof(options) - strlen(options),
				       ",header=%s", t.header);
		const char *prefix = t.source.kind == ROOT_BY_UUID ? "UUID="
			: t.source.kind == ROOT_BY_PARTUUID	   ? "PARTUUID="
			: t.source.kind == ROOT_BY_DM_NAME	   ? "/dev/mapper/"
			: t.source.kind == ROOT_BY_MD_NAME	   ? "/dev/md/"
								   : "/dev/";
		if (t.source.kind == ROOT_BY_PARTUUID && t.source.partnroff)
			return 0;
		/* Longer than a field may be (the canonical form names every default): nothing to
		 * compare. */
		if (strlen(options) >= CRYPT_OPTIONS_MAX)
			return 0;
		(void)snprintf(again, sizeof(again), "%s %s%s %s %s", t.name, prefix,
			       t.source.value, t.keyfile[0] ? t.keyfile : "none", options);
		struct crypt_target u;
		char unsupported2[64];
		const char *reason2;
		int r2 = crypttab_parse_line(again, &u, unsupported2, sizeof(unsupported2),
					     &reason2);
		require(r2 == 1 && same_target(&t, &u),
			"'%s' written back as '%s' reads differently (%d)", line, again, r2);
	}
	return 0;
}
