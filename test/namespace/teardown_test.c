/*
 * The shutdown's unmounting (teardown_unmount_below) in a private mount namespace: a tree of mounts
 * under a folder standing in for /oldroot, one of them with a space in its name (mountinfo escapes
 * it), one kept busy by a process's working folder, one next to the tree that must be left alone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "fixture.h"
#include "teardown.h"

static char top[64], beside[80];

static void tmpfs_at(const char *path)
{
	must(mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0, path);
	must(mount("tmpfs", path, "tmpfs", 0, "mode=0755"), path);
}

static bool is_mount_point(const char *path, const char *parent)
{
	struct stat a, b;
	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

int main(void)
{
	enter_private_mount_namespace();
	char base[] = "/tmp/teardown-test.XXXXXX";
	must(mkdtemp(base) ? 0 : -1, "mkdtemp");
	must(mount("tmpfs", base, "tmpfs", 0, "mode=0755"), base);
	snprintf(top, sizeof(top), "%s/oldroot", base);
	snprintf(beside, sizeof(beside), "%s/oldroot-beside", base);
	tmpfs_at(top);
	tmpfs_at(beside);
	char path[256];
	const char *const subs[] = { "a", "a/b", "a/b/c", "with space", "busy" };
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, subs[i]);
		tmpfs_at(path);
	}
	/* A child sits in busy/: that mount cannot go, only turn read-only. */
	snprintf(path, sizeof(path), "%s/busy", top);
	int ready[2];
	must(pipe(ready), "pipe");
	pid_t child = fork();
	must(child, "fork");
	if (child == 0) {
		if (chdir(path) < 0)
			_exit(1);
		(void)write(ready[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	must(read(ready[0], &c, 1) == 1 ? 0 : -1, "child ready");

	struct teardown_report report = { 0 };
	int r = teardown_unmount_below(top, &report);
	CHECK(r == 0, "teardown_unmount_below returns 0 (%d)", r);
	CHECK(report.unmounted == 5, "the deepest first, every free mount unmounted: 5 (%u)",
	      report.unmounted);
	CHECK(!is_mount_point(top, base), "%s itself unmounted (lazily, once busy/ was)", top);
	/* "with space" is "with\040space" in mountinfo: undecoded, its unmount would fail and count as busy. */
	CHECK(report.remounted_ro == 1 && report.busy == 0,
	      "the busy one remounted read-only (%u), none left as it was (%u)",
	      report.remounted_ro, report.busy);
	CHECK(strstr(report.kept, "/busy") != NULL, "and named: %s", report.kept);
	/* The child's folder is still the busy tmpfs, now read-only and detached. */
	char cwd[64];
	snprintf(cwd, sizeof(cwd), "/proc/%d/cwd", (int)child);
	struct statvfs vfs;
	CHECK(statvfs(cwd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY), "the busy mount is read-only");
	CHECK(is_mount_point(beside, base), "a mount beside the tree (%s) is left alone", beside);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	struct teardown_report none = { 0 };
	CHECK(teardown_unmount_below("/nonexistent-top", &none) == 0 && none.unmounted == 0,
	      "nothing below a folder with no mounts: nothing done");
	return check_done();
}
