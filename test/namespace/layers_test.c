/*
 * The storage layers' table as /init drives it, with the lvm layer (needs root; private mount
 * namespace): a tmpfs over /usr/sbin holds a fake lvm that records its arguments and exits with the
 * status a case asks for, so the layer runs it as it would run the image's lvm. Cases: a member
 * makes the layer run once the queue is quiet, and only then; rd.lvm.vg= names the groups; rd.lvm=0
 * and an image without lvm skip it, saying why; a failed activation is noted, not fatal; a device
 * of another TYPE is no member.
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
 * Returns what the fake lvm was called with ("" for not at all). */
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
	struct blockdev dev = { .name = "vdb1", .major = 254, .minor = 17 };
	(void)snprintf(dev.type, sizeof(dev.type), "%s", type);
	layers_add_member(boot, &dev);
	int r = layers_settle(boot);
	/* The lvm layer ran when it counted a run; its failure is no failure of the boot. */
	*ran = boot->layers[LAYER_LVM].runs > 0;
	if (r < 0)
		printf("# layers_settle: %d\n", r);
	int fd = open(at("calls"), O_RDONLY | O_CLOEXEC);
	static char calls[256];
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
