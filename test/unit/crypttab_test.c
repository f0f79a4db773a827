/* crypttab lines as Debian's installer, systemd and users write them; malformed ones refused with a
 * reason, unsupported options named. */
#include <errno.h>
#include <string.h>

#include "../check.h"
#include "crypttab.h"

static struct crypt_target t;
static char unsupported[128];
static const char *reason;

static int parse(const char *line)
{
	reason = NULL;
	return crypttab_parse_line(line, &t, unsupported, sizeof(unsupported), &reason);
}

int main(void)
{
	CHECK(parse("# a comment\n") == 0, "a comment is no entry");
	CHECK(parse("   \n") == 0 && parse("") == 0, "a blank line is no entry");

	CHECK(parse("nvme0n1p3_crypt UUID=0a1b2c3d-1111-2222-3333-444455556666 none luks,discard\n") ==
		      1,
	      "Debian's installer line parses");
	CHECK_STR(t.name, "nvme0n1p3_crypt", "its name");
	CHECK(t.source.kind == ROOT_BY_UUID &&
		      strcmp(t.source.value, "0a1b2c3d-1111-2222-3333-444455556666") == 0,
	      "its source is the LUKS UUID");
	CHECK(t.keyfile[0] == '\0' && t.discard && !t.readonly && t.tries == CRYPT_TRIES_DEFAULT &&
		      t.keyslot == -1 && !unsupported[0],
	      "no key file: a passphrase; discard; the default 3 tries");

	CHECK(parse("data\t/dev/sdb1\t/etc/keys/data.key\tluks,keyfile-offset=512,keyfile-size=64,tries=5,readonly") ==
		      1,
	      "tabs separate, a /dev path, a key file and value options");
	CHECK(t.source.kind == ROOT_BY_DEVNAME && strcmp(t.source.value, "sdb1") == 0,
	      "the /dev path");
	CHECK_STR(t.keyfile, "/etc/keys/data.key", "the key file");
	CHECK(t.keyfile_offset == 512 && t.keyfile_size == 64 && t.tries == 5 && t.readonly,
	      "keyfile-offset=, keyfile-size=, tries=, readonly");

	CHECK(parse("home PARTUUID=9f1e0a2b-0000-4000-8000-000000000001 - luks,header=/etc/home.hdr,noauto,key-slot=2") ==
		      1,
	      "PARTUUID=, '-' for no key file, header=, noauto, key-slot=");
	CHECK(t.source.kind == ROOT_BY_PARTUUID && !t.keyfile[0] &&
		      strcmp(t.header, "/etc/home.hdr") == 0 && t.noauto && t.keyslot == 2,
	      "all read");

	CHECK(parse("k LABEL=vault /keys/k.bin:UUID=1234abcd-0000-0000-0000-000000000000 luks") ==
		      1,
	      "systemd's PATH:DEVICE key file");
	CHECK(t.keydev_set && t.keydev.kind == ROOT_BY_UUID &&
		      strcmp(t.keyfile, "/keys/k.bin") == 0,
	      "the key's device is parsed as a device");

	CHECK(parse("swap /dev/sda2 /dev/urandom swap,cipher=aes-xts-plain64,size=256") == 1 &&
		      strcmp(unsupported, "swap,cipher=aes-xts-plain64,size=256") == 0,
	      "plain swap's options are named as unsupported, all of them");
	CHECK(parse("c /dev/sdc none luks,keyscript=/lib/cryptsetup/scripts/passdev,initramfs,x-initrd.attach") ==
			      1 &&
		      strcmp(unsupported, "keyscript=/lib/cryptsetup/scripts/passdev") == 0,
	      "keyscript= is unsupported; initramfs and x-initrd.attach are fine");
	CHECK(parse("t /dev/sdd none tcrypt") == 1 && strcmp(unsupported, "tcrypt") == 0,
	      "tcrypt is unsupported");

	CHECK(parse("onlyname") == -EINVAL && reason, "a name without a device is refused");
	CHECK(parse("a/b UUID=12 none luks") == -EINVAL, "a name with '/' is refused");
	CHECK(parse("x UUID=nothex none luks") == -EINVAL && reason,
	      "a malformed UUID= is refused, with the reason");
	CHECK(parse("x /dev/sda1 relative.key luks") == -EINVAL, "a relative key file is refused");
	CHECK(parse("x /dev/sda1 none tries=many") == -EINVAL && reason, "tries=many is refused");
	CHECK(parse("x /dev/sda1 none luks,header=rel") == -EINVAL,
	      "a relative header= is refused");
	CHECK(parse("x /dev/sda1 none luks extra") == -EINVAL && reason,
	      "a fifth field is refused");
	CHECK(parse("x /dev/sda1 none key-slot=32") == -EINVAL, "key-slot=32 is refused");
	return check_done();
}
