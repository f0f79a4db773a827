/* The command line as the kernel splits it, and the options rdinit takes from it. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "cmdline.h"
#include "uevent.h"

struct collected {
	char names[16][64];
	char values[16][256];
	bool has_value[16];
	int count;
};

static int collect(const char *name, const char *value, void *ctx)
{
	struct collected *c = ctx;
	if (c->count == 16)
		return -ENOSPC;
	snprintf(c->names[c->count], sizeof(c->names[0]), "%s", name);
	snprintf(c->values[c->count], sizeof(c->values[0]), "%s", value ? value : "");
	c->has_value[c->count] = value != NULL;
	c->count++;
	return 0;
}

static int split(const char *text, struct collected *c)
{
	char bad[64] = "";
	*c = (struct collected){ 0 };
	return cmdline_for_each(text, collect, c, bad, sizeof(bad));
}

static const char *problem(const struct boot_options *o, const char *param)
{
	for (size_t i = 0; i < o->problem_count; i++)
		if (strcmp(o->problems[i].param, param) == 0)
			return o->problems[i].reason;
	return NULL;
}

static void test_splitting(void)
{
	struct collected c;
	CHECK(split("  ro root=/dev/vda1   quiet ", &c) == 0 && c.count == 3,
	      "spaces separate, leading and trailing spaces ignored");
	CHECK_STR(c.names[0], "ro", "bare word name");
	CHECK(!c.has_value[0], "bare word has no value");
	CHECK_STR(c.names[1], "root", "name before '='");
	CHECK_STR(c.values[1], "/dev/vda1", "value after '='");

	CHECK(split("root=\"LABEL=my root\" rw", &c) == 0 && c.count == 2,
	      "quoted value with a space is one parameter");
	CHECK_STR(c.values[0], "LABEL=my root", "value quotes are removed");
	CHECK(split("\"root=LABEL=a b\" x", &c) == 0 && c.count == 2,
	      "a fully quoted parameter is one parameter");
	CHECK_STR(c.names[0], "root", "name of a fully quoted parameter");
	CHECK_STR(c.values[0], "LABEL=a b", "value of a fully quoted parameter");
	CHECK(split("a=b=c", &c) == 0 && c.count == 1, "only the first '=' splits");
	CHECK_STR(c.values[0], "b=c", "later '=' stay in the value");
	CHECK(split("empty= x", &c) == 0 && c.has_value[0] && c.values[0][0] == '\0',
	      "name= has an empty value");
	CHECK(split("quiet -- single root=/dev/evil", &c) == 0 && c.count == 1,
	      "parsing stops at --");
	CHECK(split("", &c) == 0 && c.count == 0, "empty line");
	CHECK(split("\t\n ", &c) == 0 && c.count == 0, "whitespace only");

	char bad[64] = "";
	c = (struct collected){ 0 };
	CHECK(cmdline_for_each("ro root=\"LABEL=x rw", collect, &c, bad, sizeof(bad)) == -EINVAL,
	      "unterminated quote is refused");
	CHECK(c.count == 1, "parameters before the unterminated quote were visited");
	CHECK_STR(bad, "root", "the unterminated parameter is named");

	char huge[CMDLINE_MAX + 10];
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	CHECK(split(huge, &c) == -E2BIG, "an overlong line is refused, not truncated");
}

/* A line longer than /init reads: cut between two parameters, the rest ignored and where said. */
static void test_overlong(void)
{
	static char line[CMDLINE_MAX + 200];
	struct boot_options o;
	size_t len = (size_t)snprintf(line, sizeof(line), "root=/dev/vda1 ");
	while (len < CMDLINE_MAX - 20)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "x=%04zu ", len);
	size_t last = len;
	(void)snprintf(line + len, sizeof(line) - len, "rdtest.long=%040d rd.debug rw", 0);
	boot_options_parse(line, &o);
	CHECK(o.cmdline_length == strlen(line), "the whole length is recorded (%zu)",
	      o.cmdline_length);
	CHECK(o.cmdline_cut == last - 1,
	      "cut at the blank before the parameter that would cross byte %d (%zu)",
	      CMDLINE_MAX - 1, o.cmdline_cut);
	CHECK(o.root_ok && !o.debug && !o.read_write, "what comes before is read, nothing after");

	char fitted[16];
	CHECK(cmdline_fit("root=\"LABEL=a b\" rw", fitted, sizeof(fitted)) == 0 && !fitted[0],
	      "never cut inside quotes");
	CHECK(cmdline_fit("a b", fitted, sizeof(fitted)) == 3, "a line that fits is not cut");
	CHECK(cmdline_fit("a=1 b=2 c=3 d=456", fitted, 12) == 11 &&
		      strcmp(fitted, "a=1 b=2 c=3") == 0,
	      "the part that fits in 11 bytes and a NUL");
	boot_options_parse("root=/dev/vda1 rd.timeout=x rd.timeout=y rd.timeout=z panic=a panic=b "
			   "rd.shell=c rd.shell=d rd.emergency=e rd.hook_timeout=f rootdelay=g",
			   &o);
	CHECK(o.problem_count == CMDLINE_MAX_PROBLEMS && o.problems_dropped == 2,
	      "problems past %d are counted, not dropped unseen (%u)", CMDLINE_MAX_PROBLEMS,
	      o.problems_dropped);
}

static void test_options(void)
{
	struct boot_options o;
	boot_options_parse(
		"root=UUID=ABCD-ef01 rootfstype=ext4 rootflags=noatime,data=journal rw init=/bin/x",
		&o);
	CHECK(o.root_ok && o.root_spec.kind == ROOT_BY_UUID, "root=UUID= parsed");
	CHECK_STR(o.root, "UUID=ABCD-ef01", "root= kept as written");
	CHECK_STR(o.rootfstype, "ext4", "rootfstype=");
	CHECK_STR(o.rootflags, "noatime,data=journal", "rootflags= keeps commas");
	CHECK(o.read_write, "rw");
	CHECK_STR(o.init, "/bin/x", "init=");
	CHECK(o.problem_count == 0, "no problems on a good line");

	boot_options_parse("root=/dev/sda1", &o);
	CHECK(!o.read_write, "read-only is the default, as the kernel's");
	CHECK(boot_options_root_timeout(&o) == DEFAULT_ROOT_TIMEOUT_S, "default timeout");

	boot_options_parse("root=/dev/sda1 root=/dev/vda2 rw ro", &o);
	CHECK_STR(o.root_spec.value, "vda2", "repeated root=: the last wins");
	CHECK(!o.read_write, "rw then ro: the last wins");

	boot_options_parse("root=/dev/vda1 frobnicate=3 foo rd.unknown=1", &o);
	CHECK(o.root_ok && o.problem_count == 0, "unknown parameters are ignored");

	boot_options_parse("root=/dev/vda1 rd.timeout=0", &o);
	CHECK(boot_options_root_timeout(&o) == -1, "rd.timeout=0 waits forever, as dracut's");
	boot_options_parse("root=/dev/vda1 rootwait", &o);
	CHECK(boot_options_root_timeout(&o) == -1, "rootwait waits forever");
	boot_options_parse("root=/dev/vda1 rootwait=12", &o);
	CHECK(boot_options_root_timeout(&o) == 12, "rootwait=N waits N s");
	boot_options_parse("root=/dev/vda1 rootwait rd.timeout=5", &o);
	CHECK(boot_options_root_timeout(&o) == 5, "rd.timeout wins over rootwait");
	boot_options_parse("root=/dev/vda1 rootdelay=3 panic=-1 rd.debug quiet", &o);
	CHECK(o.rootdelay_s == 3 && o.panic_set && o.panic_s == -1 && o.debug && o.quiet,
	      "rootdelay, panic, rd.debug, quiet");

	boot_options_parse("root=/dev/vda1 rd.timeout=abc panic=1x rootdelay=-4 ro=1 init=relative",
			   &o);
	CHECK(o.problem_count == 5, "five malformed values reported (got %zu)", o.problem_count);
	CHECK(problem(&o, "rd.timeout") && o.rd_timeout_s == -1,
	      "rd.timeout=abc rejected, default kept");
	CHECK(problem(&o, "panic") && !o.panic_set, "panic=1x rejected");
	CHECK(problem(&o, "rootdelay") && o.rootdelay_s == 0, "negative rootdelay rejected");
	CHECK(problem(&o, "ro"), "ro=1 rejected");
	CHECK(problem(&o, "init") && o.init[0] == '\0', "relative init= rejected");

	boot_options_parse("root=/dev/vda1 root=", &o);
	CHECK(!o.root_ok && problem(&o, "root"), "a later empty root= cancels an earlier good one");
	boot_options_parse("root=UUID=", &o);
	CHECK(!o.root_ok && problem(&o, "root"), "root=UUID= with nothing after it is rejected");
	boot_options_parse("root=/dev/vda1 root=\"LABEL=x", &o);
	CHECK(!o.root_ok && problem(&o, "root"),
	      "root= with an unterminated quote is rejected, naming root");

	boot_options_parse("root=/dev/vda1", &o);
	CHECK(o.shell == -1 && o.break_stage == STAGE_NONE &&
		      o.emergency_action == EMERGENCY_DEFAULT &&
		      o.hook_timeout_s == DEFAULT_HOOK_TIMEOUT_S,
	      "failure policy defaults: shell unset, no break, no action");
	boot_options_parse(
		"root=/dev/vda1 rd.shell rd.break rd.emergency=poweroff rd.hook_timeout=5", &o);
	CHECK(o.shell == 1, "rd.shell turns the shell on");
	CHECK(o.break_stage == STAGE_PRE_PIVOT,
	      "bare rd.break stops before the switch, as dracut's");
	CHECK(o.emergency_action == EMERGENCY_POWEROFF, "rd.emergency=poweroff");
	CHECK(o.hook_timeout_s == 5, "rd.hook_timeout=5");
	boot_options_parse("root=/dev/vda1 rd.shell=0 rd.break=pre-mount rd.emergency=halt", &o);
	CHECK(o.shell == 0 && o.break_stage == STAGE_PRE_MOUNT &&
		      o.emergency_action == EMERGENCY_HALT,
	      "rd.shell=0, rd.break=pre-mount, rd.emergency=halt");
	boot_options_parse("root=/dev/vda1 rd.break=pre-udev rd.emergency=reboot", &o);
	CHECK(o.break_stage == STAGE_PRE_UDEV && o.emergency_action == EMERGENCY_REBOOT,
	      "rd.break=pre-udev, rd.emergency=reboot");
	CHECK_STR(boot_stage_name(o.break_stage), "pre-udev", "stage names read back");
	boot_options_parse(
		"root=/dev/vda1 rd.break=later rd.emergency=explode rd.hook_timeout=0 rd.shell=maybe",
		&o);
	CHECK(problem(&o, "rd.break") && o.break_stage == STAGE_NONE,
	      "an unknown rd.break stage is rejected");
	CHECK(problem(&o, "rd.emergency") && o.emergency_action == EMERGENCY_DEFAULT,
	      "an unknown rd.emergency action is rejected");
	CHECK(problem(&o, "rd.hook_timeout") && o.hook_timeout_s == DEFAULT_HOOK_TIMEOUT_S,
	      "rd.hook_timeout=0 is rejected");
	CHECK(problem(&o, "rd.shell") && o.shell == -1, "rd.shell=maybe is rejected");

	boot_options_parse("root=/dev/vda1", &o);
	CHECK(o.uevent_buffer == UEVENT_RCVBUF_DEFAULT, "the uevent buffer defaults to 16 MiB");
	boot_options_parse("root=/dev/vda1 rd.uevent_buffer=4096", &o);
	CHECK(o.uevent_buffer == 4096, "rd.uevent_buffer=4096");
	boot_options_parse("root=/dev/vda1 rd.uevent_buffer=100 rd.uevent_buffer=2GiB", &o);
	CHECK(o.uevent_buffer == UEVENT_RCVBUF_DEFAULT && problem(&o, "rd.uevent_buffer"),
	      "a too small or unreadable rd.uevent_buffer is rejected");
	CHECK(o.settle_ms == DEFAULT_SETTLE_MS, "rd.settle_ms defaults to %d", DEFAULT_SETTLE_MS);
	boot_options_parse("root=/dev/vda1 rd.settle_ms=0", &o);
	CHECK(o.settle_ms == 0 && o.problem_count == 0, "rd.settle_ms=0");
	boot_options_parse("root=/dev/vda1 rd.settle_ms=1500 rd.settle_ms=60001 rd.settle_ms=-1",
			   &o);
	CHECK(o.settle_ms == 1500 && problem(&o, "rd.settle_ms"),
	      "rd.settle_ms out of range is rejected");
	boot_options_parse("root=/dev/vda1 rd.uevent_buffer=134217728", &o);
	CHECK(o.uevent_buffer == 134217728, "rd.uevent_buffer=128 MiB, the ceiling");
	boot_options_parse("root=/dev/vda1 rd.uevent_buffer=134217729", &o);
	CHECK(o.uevent_buffer == UEVENT_RCVBUF_DEFAULT && problem(&o, "rd.uevent_buffer"),
	      "a byte above the ceiling is rejected");

	boot_options_parse("root=/dev/mapper/vg0-root", &o);
	CHECK(o.lvm && o.lvm_vg_count == 0,
	      "the lvm layer is on, for every volume group, by default");
	boot_options_parse("rd.lvm.vg=vg0 root=/dev/mapper/vg0-root rd.lvm.vg=my_vg.2 rd.lvm=0",
			   &o);
	CHECK(!o.lvm, "rd.lvm=0 turns it off");
	CHECK(o.lvm_vg_count == 2 && strcmp(o.lvm_vg[0], "vg0") == 0 &&
		      strcmp(o.lvm_vg[1], "my_vg.2") == 0,
	      "rd.lvm.vg= repeats, in order");
	boot_options_parse("rd.lvm.vg=--select rd.lvm.vg=a;b rd.lvm.vg= rd.lvm.vg=ok", &o);
	CHECK(o.lvm_vg_count == 1 && strcmp(o.lvm_vg[0], "ok") == 0 && problem(&o, "rd.lvm.vg"),
	      "an rd.lvm.vg= that lvm would take for an option, or that is no name, is refused");
	boot_options_parse(
		"rd.lvm.vg=a rd.lvm.vg=b rd.lvm.vg=c rd.lvm.vg=d rd.lvm.vg=e rd.lvm.vg=f rd.lvm.vg=g "
		"rd.lvm.vg=h rd.lvm.vg=i",
		&o);
	CHECK(o.lvm_vg_count == CMDLINE_LIST_MAX && problem(&o, "rd.lvm.vg"),
	      "a ninth rd.lvm.vg= is refused, and said so");

	/* LUKS, in dracut's, systemd's and mkinitcpio's words. */
	const struct luks_options *l = &o.luks;
	boot_options_parse("root=/dev/mapper/root", &o);
	CHECK(l->enabled && l->crypttab && l->uuid_count == 0 && l->timeout_s == 0 &&
		      !l->cryptdevice[0],
	      "LUKS defaults: on, the image's crypttab read, nothing named");
	boot_options_parse(
		"rd.luks.uuid=luks-0A1B2C3D-1111-2222-3333-444455556666 rd.luks.uuid=0a1b "
		"rd.luks.uuid=nothex rd.luks.crypttab=0 rd.luks.timeout=30",
		&o);
	CHECK(l->uuid_count == 2 &&
		      strcmp(l->uuids[0], "0a1b2c3d-1111-2222-3333-444455556666") == 0 &&
		      strcmp(l->uuids[1], "0a1b") == 0,
	      "rd.luks.uuid=: luks- dropped, lowercased, a prefix kept as given");
	CHECK(problem(&o, "rd.luks.uuid") && !l->crypttab && l->timeout_s == 30,
	      "a UUID that is not hex is refused; rd.luks.crypttab=0; rd.luks.timeout=30");
	boot_options_parse(
		"rd.luks.name=0a1b2c3d-1111-2222-3333-444455556666=cryptroot rd.luks.name=nope rd.luks=0",
		&o);
	CHECK(l->name_count == 1 &&
		      strcmp(l->names[0].uuid, "0a1b2c3d-1111-2222-3333-444455556666") == 0 &&
		      strcmp(l->names[0].name, "cryptroot") == 0 && problem(&o, "rd.luks.name") &&
		      !l->enabled,
	      "rd.luks.name=UUID=NAME; one without a UUID is refused; rd.luks=0");
	boot_options_parse(
		"rd.luks.key=/etc/keys/all.key rd.luks.key=0a1b=/k/one.key:UUID=ffff0000-0000-0000-0000-000000000000 "
		"rd.luks.key=/k/d.key:/dev/sdb1:UUID=1234 rd.luks.key=relative.key",
		&o);
	CHECK(l->key_count == 3, "three rd.luks.key= read, the relative one refused");
	CHECK(!l->keys[0].uuid[0] && strcmp(l->keys[0].path, "/etc/keys/all.key") == 0 &&
		      !l->keys[0].device[0],
	      "systemd's KEYFILE: for every device, in the image");
	CHECK(strcmp(l->keys[1].uuid, "0a1b") == 0 && strcmp(l->keys[1].path, "/k/one.key") == 0 &&
		      strcmp(l->keys[1].device, "UUID=ffff0000-0000-0000-0000-000000000000") == 0,
	      "systemd's UUID=KEYFILE:KEYDEV");
	CHECK(strcmp(l->keys[2].uuid, "1234") == 0 && strcmp(l->keys[2].path, "/k/d.key") == 0 &&
		      strcmp(l->keys[2].device, "/dev/sdb1") == 0,
	      "dracut's KEYFILE:KEYDEV:LUKSDEV");
	boot_options_parse(
		"rd.luks.options=discard,tries=5 rd.luks.options=0a1b=readonly rd.luks.allow-discards "
		"rd.luks.allow-discards=luks-0a1b",
		&o);
	CHECK(l->options_count == 2 && !l->options[0].uuid[0] &&
		      strcmp(l->options[0].options, "discard,tries=5") == 0 &&
		      strcmp(l->options[1].uuid, "0a1b") == 0 &&
		      strcmp(l->options[1].options, "readonly") == 0,
	      "rd.luks.options=OPTIONS and UUID=OPTIONS");
	CHECK(l->discard_all && l->discard_count == 1 && strcmp(l->discard_uuids[0], "0a1b") == 0,
	      "rd.luks.allow-discards, bare and =UUID");
	boot_options_parse(
		"cryptdevice=UUID=0a1b2c3d-1111-2222-3333-444455556666:cryptroot:allow-discards "
		"cryptkey=rootfs:/crypto_keyfile.bin",
		&o);
	CHECK(strcmp(l->cryptdevice,
		     "UUID=0a1b2c3d-1111-2222-3333-444455556666:cryptroot:allow-discards") == 0 &&
		      strcmp(l->cryptkey, "rootfs:/crypto_keyfile.bin") == 0,
	      "mkinitcpio's cryptdevice= and cryptkey=");
	boot_options_parse("cryptdevice=/dev/sda2", &o);
	CHECK(!l->cryptdevice[0] && problem(&o, "cryptdevice"),
	      "a cryptdevice= without a name is refused");

	char longroot[700] = "root=/dev/";
	memset(longroot + 10, 'x', 600);
	longroot[610] = '\0';
	boot_options_parse(longroot, &o);
	CHECK(!o.root_ok && problem(&o, "root"), "overlong root= rejected");
}

/* systemd's mount.usr=, mount.usrfstype=, mount.usrflags=: /usr mounted before the switch. */
static void test_usr(void)
{
	struct boot_options o;
	boot_options_parse("root=/dev/vda1 mount.usr=PARTLABEL=usr mount.usrfstype=xfs "
			   "mount.usrflags=noatime,nodev",
			   &o);
	CHECK(o.usr_ok && o.usr_spec.kind == ROOT_BY_PARTLABEL, "mount.usr=PARTLABEL= parsed");
	CHECK_STR(o.usr_spec.value, "usr", "its value");
	CHECK_STR(o.usr, "PARTLABEL=usr", "mount.usr= kept as written");
	CHECK_STR(o.usrfstype, "xfs", "mount.usrfstype=");
	CHECK_STR(o.usrflags, "noatime,nodev", "mount.usrflags= keeps commas");
	CHECK(o.problem_count == 0, "no problems");
	boot_options_parse("root=/dev/vda1", &o);
	CHECK(!o.usr_ok && !o.usr[0], "no mount.usr=: the fstab says");
	boot_options_parse("root=/dev/vda1 mount.usr=UUID=", &o);
	CHECK(!o.usr_ok && o.problem_count == 1 && strcmp(o.problems[0].param, "mount.usr") == 0,
	      "a malformed mount.usr= is named as a problem");
}

/* dracut's rd.driver.blacklist=, rd.driver.pre= and rd.driver.post=: comma lists, repeatable, '-' as '_'. */
static void test_driver_options(void)
{
	struct boot_options o;
	boot_options_parse(
		"root=/dev/vda1 rd.driver.blacklist=virtio-blk,e1000 "
		"rd.driver.blacklist=floppy rd.driver.pre=loop rd.driver.post=dm-mod,raid1",
		&o);
	CHECK(o.problem_count == 0, "good rd.driver.* values raise no problem");
	CHECK(o.driver_blacklist.count == 3, "rd.driver.blacklist= twice: 3 names (%zu)",
	      o.driver_blacklist.count);
	CHECK_STR(o.driver_blacklist.names[0], "virtio_blk",
		  "'-' is kept as '_', as kmod names it");
	CHECK_STR(o.driver_blacklist.names[2], "floppy",
		  "a second rd.driver.blacklist= adds to the first");
	CHECK(module_names_contain(&o.driver_blacklist, "virtio-blk") &&
		      module_names_contain(&o.driver_blacklist, "virtio_blk") &&
		      !module_names_contain(&o.driver_blacklist, "virtio"),
	      "a name matches with '-' or '_', and only whole");
	CHECK(o.driver_pre.count == 1 && strcmp(o.driver_pre.names[0], "loop") == 0,
	      "rd.driver.pre=");
	CHECK(o.driver_post.count == 2 && strcmp(o.driver_post.names[0], "dm_mod") == 0 &&
		      strcmp(o.driver_post.names[1], "raid1") == 0,
	      "rd.driver.post=");

	boot_options_parse("root=/dev/vda1 rd.driver.blacklist=a,a,a-b rd.driver.blacklist=a_b",
			   &o);
	CHECK(o.driver_blacklist.count == 2 && o.problem_count == 0,
	      "a name given twice is kept once (%zu)", o.driver_blacklist.count);

	boot_options_parse("root=/dev/vda1 rd.driver.blacklist rd.driver.pre= rd.driver.post", &o);
	CHECK(problem(&o, "rd.driver.blacklist") && problem(&o, "rd.driver.pre") &&
		      problem(&o, "rd.driver.post"),
	      "an empty or missing value is a problem naming the option");

	boot_options_parse("root=/dev/vda1 rd.driver.blacklist=good,ba/d,,also_good,x.ko", &o);
	CHECK(problem(&o, "rd.driver.blacklist") && o.driver_blacklist.count == 2 &&
		      strcmp(o.driver_blacklist.names[0], "good") == 0 &&
		      strcmp(o.driver_blacklist.names[1], "also_good") == 0,
	      "bad names ('/', '.', empty) are said and left out, the good ones kept");
	CHECK(o.root_ok, "and the boot goes on: root= still read");

	char many[1024] = "rd.driver.pre=";
	for (int i = 0; i < 20; i++)
		(void)snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sm%d",
			       i ? "," : "", i);
	boot_options_parse(many, &o);
	CHECK(o.driver_pre.count == CMDLINE_MODULES_MAX && problem(&o, "rd.driver.pre"),
	      "past %d names the rest is ignored, and said", CMDLINE_MODULES_MAX);

	char longname[128] = "rd.driver.post=";
	memset(longname + 15, 'x', MODULE_NAME_MAX);
	longname[15 + MODULE_NAME_MAX] = '\0';
	boot_options_parse(longname, &o);
	CHECK(o.driver_post.count == 0 && problem(&o, "rd.driver.post"),
	      "a name longer than a module's is refused");
}

int main(void)
{
	test_driver_options();
	test_overlong();
	test_splitting();
	test_options();
	test_usr();
	return check_done();
}
