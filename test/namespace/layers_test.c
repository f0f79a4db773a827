/*
 * The storage layers' table as /init drives it, with the lvm layer (needs root; private mount
 * namespace): a tmpfs over /usr/sbin holds a fake lvm that records its arguments and exits with the
 * status a case asks for, so the layer runs it as it would run the image's lvm. Cases: a member
 * makes the layer run once the queue is quiet, and only then; rd.lvm.vg= names the groups; rd.lvm=0
 * and an image without lvm skip it, saying why; a failed activation is noted, not fatal; a device
 * of another TYPE is no member. The md layer likewise, with a fake mdadm: a member's level asked, then
 * --incremental; once only; --incremental --run --scan late; rd.md.uuid= and rd.md=0.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "boot.h"
#include "fixture.h"
#include "layers.h"

static char dir[64];

static const char *at(const char *name)
{
	static char paths[4][128];
	static int next;
	char *p = paths[next++ % 4];
	(void)snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

/* A boot from command line text, with one device of type TYPE added and the layers settled.
 * Returns what the fake lvm and mdadm were called with ("" for not at all), one call a line. */
static const char *settle(struct boot *boot, const char *cmdline, const char *type, int status,
			  bool *ran)
{
	char text[16];
	memset(boot, 0, sizeof(*boot));
	boot_init(boot, NULL);
	boot_options_parse(cmdline, &boot->opts);
	(void)snprintf(text, sizeof(text), "%d\n", status);
	write_file(at("status"), text, 0644);
	(void)unlink(at("calls"));
	struct blockdev dev = { .name = "vdb1",
				.major = 254,
				.minor = 17,
				.uuid = "335684f2-7fba-4c0e-a43f-0708d2da28db" };
	(void)snprintf(dev.type, sizeof(dev.type), "%s", type);
	(void)devices_add(&boot->devices, &dev);
	layers_add_member(boot, &dev);
	int r = layers_settle(boot);
	/* The lvm layer ran when it counted a run; its failure is no failure of the boot. */
	*ran = boot->layers[LAYER_LVM].runs > 0;
	if (r < 0)
		printf("# layers_settle: %d\n", r);
	int fd = open(at("calls"), O_RDONLY | O_CLOEXEC);
	static char calls[1024];
	ssize_t n = fd < 0 ? 0 : read(fd, calls, sizeof(calls) - 1);
	calls[n > 0 ? n - 1 : 0] = '\0'; /* without the newline */
	if (fd >= 0)
		(void)close(fd);
	return calls;
}

int main(void)
{
	enter_private_mount_namespace();
	/* As in PID 1: the spawn helper waits for SIGCHLD with sigtimedwait(), which sees it blocked. */
	sigset_t chld;
	(void)sigemptyset(&chld);
	(void)sigaddset(&chld, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &chld, NULL);
	must(mkdir("/tmp", 01777) < 0 && errno != EEXIST ? -1 : 0, "/tmp");
	(void)snprintf(dir, sizeof(dir), "/tmp/layers_test.XXXXXX");
	must(mkdtemp(dir) ? 0 : -1, "mkdtemp");
	must(mount("tmpfs", "/usr/sbin", "tmpfs", 0, "mode=0755"), "tmpfs on /usr/sbin");
	char script[512];
	(void)snprintf(script, sizeof(script),
		       "#!/bin/sh\necho \"lvm $*\" >>%s/calls\nexit $(cat %s/status)\n", dir, dir);
	write_file("/usr/sbin/lvm", script, 0755);
	/* mdadm --examine --export says what level the member's array has, as the real one does. */
	(void)snprintf(script, sizeof(script),
		       "#!/bin/sh\necho \"mdadm $*\" >>%s/calls\n"
		       "[ \"$1\" = --examine ] && echo MD_LEVEL=raid1 && echo MD_DEVICES=2\n"
		       "exit $(cat %s/status)\n",
		       dir, dir);
	write_file("/usr/sbin/mdadm", script, 0755);

	struct boot *boot = calloc(1, sizeof(*boot));
	bool ran;
	const char *calls = settle(boot, "root=/dev/mapper/vg-root", "LVM2_member", 0, &ran);
	CHECK(ran, "a member appeared: the lvm layer runs when the queue is quiet");
	CHECK_STR(calls, "lvm vgchange --sysinit --activate y", "it activates every volume group");
	CHECK_STR(boot->layers[LAYER_LVM].note, "activated volume groups: all", "and says so");
	CHECK(boot->layers[LAYER_LVM].members == 1 && boot->layers[LAYER_LVM].runs == 1,
	      "one member, one run");
	CHECK(layers_settle(boot) == 0 && boot->layers[LAYER_LVM].runs == 1,
	      "without new members it does not run again");

	calls = settle(boot, "rd.lvm.vg=vg0 root=/dev/mapper/vg0-root rd.lvm.vg=vg1", "LVM2_member",
		       0, &ran);
	CHECK_STR(calls, "lvm vgchange --sysinit --activate y vg0 vg1",
		  "rd.lvm.vg= names the groups");
	CHECK_STR(boot->layers[LAYER_LVM].note, "activated volume groups: vg0 vg1",
		  "and the note too");

	calls = settle(boot, "rd.lvm=0", "LVM2_member", 0, &ran);
	CHECK(!ran && !calls[0], "rd.lvm=0: lvm is not run");
	CHECK_STR(boot->layers[LAYER_LVM].note, "not run: rd.lvm=0", "the screen will say why");

	calls = settle(boot, "", "LVM2_member", 5, &ran);
	CHECK(ran && strcmp(calls, "lvm vgchange --sysinit --activate y") == 0,
	      "a failing lvm ran (and settling did not stop)");
	CHECK(boot->layers[LAYER_LVM].pending, "and runs again once more devices appear");
	CHECK_STR(boot->layers[LAYER_LVM].note,
		  "lvm vgchange --activate y failed with exit status 5",
		  "its status is noted for the screen");

	calls = settle(boot, "", "ext4", 0, &ran);
	CHECK(!ran && !calls[0] && boot->layers[LAYER_LVM].members == 0,
	      "an ext4 device is no member: nothing runs");

	calls = settle(boot, "", "linux_raid_member", 0, &ran);
	CHECK_STR(calls, "mdadm --examine --export /dev/vdb1\nmdadm --incremental /dev/vdb1",
		  "an md member: its level asked, then handed to mdadm --incremental");
	CHECK_STR(boot->layers[LAYER_MD].note, "1 member(s) handed to mdadm, 1 in all",
		  "and noted");
	CHECK(layers_settle(boot) == 0 && boot->md.handled_count == 1,
	      "settling again hands it over once only");
	(void)unlink(at("calls"));
	layers_late(boot);
	int fd = open(at("calls"), O_RDONLY | O_CLOEXEC);
	char late[128] = "";
	(void)!read(fd, late, sizeof(late) - 1);
	(void)close(fd);
	CHECK_STR(late, "mdadm --incremental --run --scan\n",
		  "at half the wait, arrays short of members are started");
	calls = settle(boot, "rd.md.uuid=ffffffff:00000000:11111111:22222222", "linux_raid_member",
		       0, &ran);
	CHECK(!strstr(calls, "--incremental"),
	      "rd.md.uuid= naming another array: the member is left alone");
	calls = settle(boot, "rd.md.uuid=335684f2:7fba4c0e:a43f0708:d2da28db", "linux_raid_member",
		       0, &ran);
	CHECK(strstr(calls, "mdadm --incremental /dev/vdb1") != NULL,
	      "rd.md.uuid= in mdadm's form names this one's array");
	calls = settle(boot, "rd.md=0", "linux_raid_member", 0, &ran);
	CHECK(!calls[0] && strcmp(boot->layers[LAYER_MD].note, "not run: rd.md=0") == 0,
	      "rd.md=0: mdadm is not run");

	must(unlink("/usr/sbin/lvm"), "remove the fake lvm");
	calls = settle(boot, "", "LVM2_member", 0, &ran);
	CHECK(!ran, "an image without lvm: the layer is skipped");
	CHECK_STR(boot->layers[LAYER_LVM].note, "not run: the image has no lvm", "saying so");

	free(boot);
	(void)umount("/usr/sbin");
	(void)unlink(at("status"));
	(void)unlink(at("calls"));
	(void)rmdir(dir);
	return check_done();
}
