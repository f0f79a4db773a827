/* open_in_root(): a path resolved inside a folder as if it were "/", as for a kernel without openat2():
 * absolute links from the folder, relative ones from where they are, ".." clamped at the folder, loops
 * refused; nothing outside the folder is ever reached. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../check.h"
#include "switchroot.h"

static char root[64];

static void make(const char *rel, const char *link_to)
{
	char path[256];
	(void)snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (link_to) {
		(void)symlink(link_to, path);
	} else if (rel[strlen(rel) - 1] == '/') {
		(void)mkdir(path, 0755);
	} else {
		int fd = open(path, O_WRONLY | O_CREAT, 0755);
		(void)!write(fd, rel, strlen(rel));
		(void)close(fd);
	}
}

/* Which file of the tree path opens: its content names it; "" for a folder, or -errno. */
static const char *opens(int rootfd, const char *path)
{
	static char what[64];
	int fd = open_in_root(rootfd, path);
	if (fd < 0) {
		(void)snprintf(what, sizeof(what), "%s", strerror(-fd));
		return what;
	}
	char proc[64];
	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	int rd = open(proc, O_RDONLY | O_CLOEXEC);
	ssize_t n = rd < 0 ? 0 : read(rd, what, sizeof(what) - 1);
	what[n > 0 ? n : 0] = '\0';
	if (rd >= 0)
		(void)close(rd);
	(void)close(fd);
	return what;
}

/* This process' openat2() fails with ENOSYS, as on a kernel before 5.6. */
static int without_openat2(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -1;
	return 0;
}

/* root_has_executable() where openat2() is missing: each result, as a bit of the exit status. */
static void check_without_openat2(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (without_openat2() < 0)
			_exit(64);
		int wrong = 0;
		if (root_has_executable(root, "/sbin/init-abs") != 0)
			wrong |= 1;
		if (root_has_executable(root, "/bin/passwd") != -ENOENT)
			wrong |= 2;
		_exit(wrong);
	}
	int status = 0;
	(void)waitpid(pid, &status, 0);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	CHECK(code != 64, "a seccomp filter stands in for a kernel without openat2()");
	CHECK(code != 64 && !(code & 1),
	      "without openat2(), an absolute link for init resolves inside the new root");
	CHECK(code != 64 && !(code & 2),
	      "without openat2(), a link to /etc/passwd is not the machine's /etc/passwd");
}

int main(void)
{
	(void)snprintf(root, sizeof(root), "/tmp/openinroot.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	make("sbin/", NULL);
	make("bin/", NULL);
	make("usr/", NULL);
	make("usr/lib/", NULL);
	make("usr/lib/systemd/", NULL);
	make("usr/lib/systemd/systemd", NULL);
	make("sbin/init", "/usr/lib/systemd/systemd");
	make("bin/init-rel", "../sbin/init");
	make("bin/escape", "../../../../../../usr/lib/systemd/systemd");
	make("bin/loop", "loop");
	make("bin/passwd", "/etc/passwd");
	make("lib", "usr/lib");
	make("rdinit-test-only/", NULL);
	make("rdinit-test-only/init", NULL);
	make("sbin/init-abs", "/rdinit-test-only/init");
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	CHECK_STR(opens(rootfd, "/usr/lib/systemd/systemd"), "usr/lib/systemd/systemd",
		  "a plain path");
	CHECK_STR(
		opens(rootfd, "/sbin/init"), "usr/lib/systemd/systemd",
		"an absolute link resolves inside the folder (/sbin/init -> /usr/lib/systemd/systemd)");
	CHECK_STR(opens(rootfd, "bin/init-rel"), "usr/lib/systemd/systemd",
		  "a relative link to an absolute one");
	CHECK_STR(opens(rootfd, "/bin/escape"), "usr/lib/systemd/systemd",
		  "'..' stops at the folder");
	CHECK_STR(opens(rootfd, "/lib/systemd/systemd"), "usr/lib/systemd/systemd",
		  "a link in the middle (merged /usr)");
	CHECK_STR(opens(rootfd, "/bin/../bin/./init-rel"), "usr/lib/systemd/systemd",
		  "'.' and '..' in the path");
	CHECK_STR(opens(rootfd, "/bin/loop"), strerror(ELOOP), "a link to itself is refused");
	CHECK_STR(opens(rootfd, "/bin/passwd"), strerror(ENOENT),
		  "/etc/passwd is looked for inside the folder, never the machine's");
	CHECK_STR(opens(rootfd, "/"), "", "/ is the folder itself");
	check_without_openat2();
	char cmd[128];
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	(void)!system(cmd);
	return check_done();
}
