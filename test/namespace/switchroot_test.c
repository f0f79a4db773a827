/*
 * The switch against a fixture root in a private mount namespace: a tmpfs stands in for the
 * initramfs, another tmpfs mounted inside it for the new root. Every file of the new root
 * must survive, every file of the old root must go, and nothing is deleted when a check fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "fixture.h"
#include "switchroot.h"

static char base[64], outside[64];

static void put(const char *dir, const char *name, const char *content, mode_t mode)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, content, mode);
}

static void dir(const char *parent, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", parent, name);
	must(mkdir(path, 0755), path);
}

static void tmpfs(const char *parent, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s%s%s", parent, *name ? "/" : "", name);
	must(mount("tmpfs", path, "tmpfs", 0, "mode=0755"), path);
}

static void build_fixture(void)
{
	/* The old root: files, a nested tree, links of every kind pointing into the new root. */
	tmpfs(base, "");
	put(base, "init", "old init", 0755);
	dir(base, "etc");
	put(base, "etc/old.conf", "old", 0644);
	dir(base, "lib");
	dir(base, "lib/modules");
	put(base, "lib/modules/m.ko", "module", 0644);
	put(base, "hardlinked", "two names", 0644);
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/hardlinked", base);
	snprintf(b, sizeof(b), "%s/etc/hardlink", base);
	must(link(a, b), "link");
	for (const char *const *d = (const char *const[]){ "dev", "proc", "sys", "run", "sysroot",
							   "outside-bind", "newroot-bind", NULL };
	     *d; d++)
		dir(base, *d);
	/* Stand-ins for the API filesystems, each with a marker to find after the move. */
	tmpfs(base, "dev");
	put(base, "dev/marker", "devtmpfs", 0644);
	tmpfs(base, "run");
	put(base, "run/marker", "run", 0644);

	/* The new root. */
	tmpfs(base, "sysroot");
	snprintf(a, sizeof(a), "%s/sysroot", base);
	put(a, "keep", "new root file", 0644);
	dir(a, "sbin");
	put(a, "sbin/real-init", "#!/bin/sh\n", 0755);
	put(a, "sbin/not-executable", "x", 0644);
	dir(a, "data");
	put(a, "data/precious", "precious data", 0600);
	for (const char *const *d = (const char *const[]){ "dev", "proc", "sys", "run", NULL }; *d;
	     d++)
		dir(a, *d);
	/* /sbin/init as an absolute symlink, which must resolve inside the new root. */
	must(symlink("/sbin/real-init", strcat(a, "/sbin/init")), "symlink sbin/init");

	must(symlink("sysroot/keep", strcat(strcpy(a, base), "/relative-link")), "symlink");
	snprintf(b, sizeof(b), "%s/sysroot/data", base);
	must(symlink(b, strcat(strcpy(a, base), "/absolute-link")), "symlink");
	/* A directory of the new root bind-mounted into the old one, and one from elsewhere. */
	snprintf(a, sizeof(a), "%s/newroot-bind", base);
	must(mount(b, a, NULL, MS_BIND, NULL), "bind new root's data");
	put(outside, "outside-file", "outside", 0644);
	snprintf(a, sizeof(a), "%s/outside-bind", base);
	must(mount(outside, a, NULL, MS_BIND, NULL), "bind outside");
}

static int old_root_entries(int fd)
{
	int n = 0;
	for (const char *const *name =
		     (const char *const[]){ "init", "etc", "lib", "hardlinked", "relative-link",
					    "absolute-link", NULL };
	     *name; name++)
		n += exists_at(fd, *name);
	return n;
}

static void test_refusals(void)
{
	char new_root[128], same_dev[128];
	snprintf(new_root, sizeof(new_root), "%s/sysroot", base);
	snprintf(same_dev, sizeof(same_dev), "%s/etc", base);
	struct switch_root_report report;
	int oldfd = open(base, O_RDONLY | O_DIRECTORY);

	struct switch_root_request req = { base, same_dev, "/sbin/init", false };
	CHECK(switch_root(&req, &report) == -EXDEV,
	      "a new root on the old root's device is refused");
	CHECK(report.failed_check && strstr(report.failed_check, "separate mount"),
	      "and the report names the check");

	req = (struct switch_root_request){ base, new_root, "/sbin/missing", false };
	CHECK(switch_root(&req, &report) == -ENOENT, "a missing init is refused");
	req.init = "/sbin/not-executable";
	CHECK(switch_root(&req, &report) == -EACCES, "an init without exec permission is refused");
	req.init = "/data";
	CHECK(switch_root(&req, &report) == -EACCES, "a directory as init is refused");

	req = (struct switch_root_request){ "/proc", new_root, "/sbin/init", false };
	CHECK(switch_root(&req, &report) == -EPERM,
	      "an old root that is not ramfs or tmpfs is refused");

	/* execve() would refuse every file of a noexec mount, past the point of no return. */
	must(mount(NULL, new_root, NULL, MS_REMOUNT | MS_BIND | MS_NOEXEC, NULL), "remount noexec");
	req = (struct switch_root_request){ base, new_root, "/sbin/init", false };
	CHECK(root_has_executable(new_root, "/sbin/init") == -EACCES,
	      "an init on a noexec mount is not executable");
	CHECK(switch_root(&req, &report) == -EACCES && !report.point_of_no_return,
	      "a new root mounted noexec is refused before anything moved");
	must(mount(NULL, new_root, NULL, MS_REMOUNT | MS_BIND, NULL), "remount exec");

	CHECK(old_root_entries(oldfd) == 6, "no refusal deleted anything");
	CHECK(root_has_executable(new_root, "/sbin/init") == 0,
	      "an absolute symlink init resolves inside the new root");

	req = (struct switch_root_request){ base, new_root, "/sbin/init", true };
	CHECK(switch_root(&req, &report) == 0, "dry run succeeds");
	CHECK(report.files_freed >= 9, "dry run counts the old root's files (%lu)",
	      report.files_freed);
	CHECK(report.kept_mounts >= 5, "dry run steps around the mounts (%lu)", report.kept_mounts);
	CHECK(old_root_entries(oldfd) == 6, "dry run deleted nothing");
	close(oldfd);
}

static void test_switch(void)
{
	int oldfd = open(base, O_RDONLY | O_DIRECTORY);
	pid_t pid = fork();
	must(pid, "fork");
	if (pid == 0) {
		char new_root[128];
		snprintf(new_root, sizeof(new_root), "%s/sysroot", base);
		struct switch_root_request req = { base, new_root, "/sbin/init", false };
		struct switch_root_report report;
		int r = switch_root(&req, &report);
		/* Inside the new root now: its files are where the real init expects them. */
		bool inside = r == 0 &&
			strcmp(content_at(AT_FDCWD, "/keep"), "new root file") == 0 &&
			strcmp(content_at(AT_FDCWD, "/dev/marker"), "devtmpfs") == 0;
		_exit(inside ? 0 : r < 0 ? 2 : 3);
	}
	int status;
	must(waitpid(pid, &status, 0), "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "switch succeeded and the child sees the new root as / (status %d)", status);

	/* The new root now covers base; the old root is reachable only through oldfd. */
	int newfd = open(base, O_RDONLY | O_DIRECTORY);
	CHECK_STR(content_at(newfd, "keep"), "new root file", "new root: keep intact");
	CHECK_STR(content_at(newfd, "data/precious"), "precious data",
		  "new root: data/precious intact");
	CHECK_STR(content_at(newfd, "sbin/real-init"), "#!/bin/sh\n", "new root: init intact");
	CHECK(exists_at(newfd, "sbin/init"), "new root: the init symlink intact");
	CHECK_STR(content_at(newfd, "dev/marker"), "devtmpfs", "/dev moved into the new root");
	CHECK_STR(content_at(newfd, "run/marker"), "run", "/run moved into the new root");
	close(newfd);

	CHECK(old_root_entries(oldfd) == 0,
	      "old root: files, folders, hard and symbolic links gone");
	CHECK(!exists_at(oldfd, "sysroot/keep"), "old root: the new root is no longer under it");
	CHECK_STR(content_at(oldfd, "outside-bind/outside-file"), "outside",
		  "a bind mount from elsewhere was not entered");
	CHECK_STR(content_at(oldfd, "newroot-bind/precious"), "precious data",
		  "a bind mount of the new root was not entered");
	int out = open(outside, O_RDONLY | O_DIRECTORY);
	CHECK_STR(content_at(out, "outside-file"), "outside", "the bind mount's source is intact");
	close(out);
	close(oldfd);
}

int main(void)
{
	enter_private_mount_namespace();
	strcpy(base, "/tmp/rdinit-switch-XXXXXX");
	strcpy(outside, "/tmp/rdinit-outside-XXXXXX");
	must(mkdtemp(base) ? 0 : -1, "mkdtemp");
	must(mkdtemp(outside) ? 0 : -1, "mkdtemp");
	build_fixture();

	test_refusals();
	test_switch();

	/* The namespace dies with us and takes the mounts along; the folders are the host's. */
	while (umount2(base, MNT_DETACH) == 0)
		;
	char path[128];
	snprintf(path, sizeof(path), "%s/outside-file", outside);
	(void)unlink(path);
	(void)rmdir(outside);
	(void)rmdir(base);
	return check_done();
}
