/* Which LUKS devices get unlocked, under which name and with which key, from the image's crypttab and
 * each peer's command line. */
#include <string.h>

#include "../check.h"
#include "luksplan.h"

#define U1 "0a1b2c3d-1111-2222-3333-444455556666"
#define U2 "ffff0000-aaaa-bbbb-cccc-ddddeeeeffff"

static struct boot_options o;
static struct luks_plan p;

static void plan(const char *cmdline, const char *crypttab)
{
	boot_options_parse(cmdline, &o);
	luks_plan(&o.luks, crypttab, &p);
}

static const struct crypt_target *named(const char *name)
{
	for (size_t i = 0; i < p.count; i++)
		if (strcmp(p.targets[i].name, name) == 0)
			return &p.targets[i];
	return NULL;
}

static const char *debian = "# <target name> <source device> <key file> <options>\n"
			    "nvme0n1p3_crypt UUID=" U1 " none luks,discard\n"
			    "data UUID=" U2 " /etc/keys/data.key luks\n"
			    "later /dev/sdz1 none luks,noauto\n";

int main(void)
{
	const struct crypt_target *t;
	plan("root=/dev/mapper/vg-root", NULL);
	CHECK(p.count == 0 && p.any_device,
	      "nothing named anywhere: every LUKS device, once root cannot be found");
	CHECK(p.template.tries == CRYPT_TRIES_DEFAULT, "with cryptsetup-initramfs's 3 tries");

	plan("root=/dev/mapper/vg-root", debian);
	CHECK(p.count == 2 && !p.any_device,
	      "the crypttab's lines are the targets, noauto ones left out");
	t = named("nvme0n1p3_crypt");
	CHECK(t && t->discard && !t->keyfile[0],
	      "Debian's installer line: its name, discard, a passphrase");
	t = named("data");
	CHECK(t && strcmp(t->keyfile, "/etc/keys/data.key") == 0, "a key file of the crypttab");

	plan("rd.luks.uuid=luks-" U2, debian);
	CHECK(p.count == 1 && named("data") && !p.any_device,
	      "rd.luks.uuid= names the only device, with its crypttab line's name and key (systemd)");
	plan("rd.luks.uuid=" U2 " rd.luks.crypttab=0", debian);
	CHECK(p.count == 1 && named("luks-" U2) && !named("data"),
	      "rd.luks.crypttab=0: the crypttab is not read, the device is luks-UUID");
	plan("rd.luks.uuid=0a1b2c3d", NULL);
	CHECK(p.count == 1 && p.uuid_prefix[0] && named("luks-0a1b2c3d"),
	      "dracut's UUID start is kept as a prefix");
	struct blockdev dev = { .name = "vda3", .major = 254, .minor = 3 };
	strcpy(dev.type, "crypto_LUKS");
	strcpy(dev.uuid, U1);
	struct devices known = { .count = 0 };
	CHECK(luks_plan_target(&p, &dev, &known) == 0,
	      "which matches a device whose UUID it begins");
	strcpy(dev.uuid, U2);
	CHECK(luks_plan_target(&p, &dev, &known) == -1, "and not another");

	plan("rd.luks.name=" U1 "=cryptroot rd.luks.uuid=" U1, debian);
	CHECK(p.count == 1 && named("cryptroot") && named("cryptroot")->discard,
	      "rd.luks.name=UUID=NAME renames the crypttab's line, keeping its options; no duplicate for rd.luks.uuid=");
	plan("rd.luks=0", debian);
	CHECK(p.count == 0 && !p.any_device, "rd.luks=0: nothing at all");

	plan("rd.luks.key=/etc/all.key rd.luks.options=tries=5,readonly rd.luks.allow-discards",
	     debian);
	CHECK(strcmp(named("nvme0n1p3_crypt")->keyfile, "/etc/all.key") == 0 &&
		      strcmp(named("data")->keyfile, "/etc/keys/data.key") == 0,
	      "a key for every device goes to those with none; a crypttab key file stays");
	CHECK(named("data")->tries == 5 && named("data")->readonly && named("data")->discard &&
		      p.template.tries == 5 && p.template.discard,
	      "options and discards for all, the template included");
	plan("rd.luks.key=" U2 "=/k/d.key:UUID=" U1 " rd.luks.options=" U1
	     "=tries=1 rd.luks.allow-discards=" U2,
	     debian);
	t = named("data");
	CHECK(t && strcmp(t->keyfile, "/k/d.key") == 0 && t->keydev_set &&
		      t->keydev.kind == ROOT_BY_UUID && t->discard,
	      "per-UUID key on another device, and discards");
	CHECK(named("nvme0n1p3_crypt")->tries == 1 && named("data")->tries == CRYPT_TRIES_DEFAULT,
	      "per-UUID options reach only that device");
	plan("rd.luks.options=" U2 "=tries=1", NULL);
	CHECK(p.problem_count == 1 && strstr(p.problems[0], U2),
	      "a setting for a UUID no target has is said");

	plan("cryptdevice=UUID=" U1 ":cryptroot:allow-discards cryptkey=rootfs:/crypto_keyfile.bin",
	     NULL);
	t = named("cryptroot");
	CHECK(p.count == 1 && t && t->discard && strcmp(t->keyfile, "/crypto_keyfile.bin") == 0 &&
		      !t->keydev_set,
	      "mkinitcpio's cryptdevice= with allow-discards and cryptkey=rootfs:PATH");
	plan("cryptdevice=/dev/sda2:root cryptkey=LABEL=usbkey:vfat:/keys/root.key", NULL);
	t = named("root");
	CHECK(t && t->source.kind == ROOT_BY_DEVNAME && t->keydev_set &&
		      t->keydev.kind == ROOT_BY_LABEL && strcmp(t->keyfile, "/keys/root.key") == 0,
	      "cryptkey=DEVICE:FSTYPE:PATH");
	plan("cryptdevice=/dev/sda2:root cryptkey=/dev/sdb:2048:64", NULL);
	CHECK(p.problem_count == 1 && strstr(p.problems[0], "cryptkey="),
	      "a raw key at an offset is not supported, and said so");

	plan("",
	     "bad line with too many fields here\nx UUID=zz none luks\ny /dev/sda1 none luks,keyscript=/bin/k\n");
	CHECK(p.count == 1 && named("y") && p.problem_count == 3,
	      "malformed crypttab lines are said, unsupported options too");
	CHECK(strstr(p.problems[0], "line 1") && strstr(p.problems[2], "keyscript="),
	      "naming the line and the option");
	return check_done();
}
