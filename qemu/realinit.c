/*
 * realinit - the "real init" of the QEMU test root (/sbin/init on the disk qemu/mkdisk makes).
 *
 * rdinit switches to the test root and execs this. It reports what it was handed, one line per fact
 * on stdout (the console), in shapes the QEMU tests grep:
 *
 *   realinit: pid=<pid>
 *   realinit: argv=<argv[0]> <argv[1]> ...
 *   realinit: env=<NAME=value>                 one line per environment variable
 *   realinit: root source=<dev> fstype=<type> options=<options>
 *                                              the last /proc/self/mountinfo entry for "/"; options as
 *                                              mount(8) shows them: rw|ro, per-mount, then super options
 *   realinit: stdin=<open|closed>              whether fd 0 was open when main() started
 *   realinit: process <pid> <argv[0]>          every other user-space process alive then: what the
 *                                              initramfs left running
 *   realinit: module compression=<xz|zstd|gzip|none>
 *                                              what the kernel decompresses itself (/sys/module/compression)
 *   realinit: uptime_ms=<ms>                   CLOCK_MONOTONIC when main() started
 *   realinit: kmsg <text>                      every /dev/kmsg record whose text holds "rdinit:"
 *   realinit: done
 *
 *   realinit: hibernating to MAJ:MIN            with realinit.hibernate=MAJ:MIN on the command line: swapon, the
 *   realinit: resumed from hibernation         resume device named, disk to /sys/power/state; the second once a
 *                                              later boot resumed the image
 *
 * then syncs and powers the machine off, so QEMU exits. With "realinit.stay" in its arguments or on the
 * kernel command line (the kernel keeps dotted words from init's argv) it stays up, sleeping forever. Mounts /proc (proc) and /dev (devtmpfs) itself when they are missing, and
 * opens /dev/console as stdout when it has none, so it also works as the initramfs' /init.
 * Run as anything but PID 1 it prints the same report and exits 0: it never powers off a host.
 * Problems are reported as "realinit: unable to <verb> <object>: <reason>" lines; none is fatal.
 *
 * A test program: plain libc, no stdio, built static against musl.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* --- output: one write() per line, so kernel messages do not split our lines --- */

static char out[4096];
static size_t outlen;

static void flush(void)
{
	size_t off = 0;

	while (off < outlen) {
		ssize_t n = write(STDOUT_FILENO, out + off, outlen - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	outlen = 0;
}

static void put(const char *s, size_t len)
{
	while (len > 0) {
		size_t n = sizeof(out) - outlen;
		if (n == 0) {
			flush();
			continue;
		}
		if (n > len)
			n = len;
		memcpy(out + outlen, s, n);
		outlen += n;
		s += n;
		len -= n;
	}
}

static void puts0(const char *s)
{
	put(s, strlen(s));
}

static void putu(unsigned long long v)
{
	char b[24];
	size_t i = sizeof(b);

	do
		b[--i] = (char)('0' + v % 10);
	while (v /= 10);
	put(b + i, sizeof(b) - i);
}

static void endline(void)
{
	put("\n", 1);
	flush();
}

static void unable(const char *what, int err)
{
	puts0("realinit: unable to ");
	puts0(what);
	puts0(": ");
	puts0(strerror(err));
	endline();
}

/* --- setup --- */

/* Mount a @type filesystem on @dir unless @probe exists. Returns 0 or -errno. */
static int ensure_mounted(const char *probe, const char *dir, const char *type)
{
	if (access(probe, F_OK) == 0)
		return 0;
	(void)mkdir(dir, 0755);
	if (mount(type, dir, type, MS_NOSUID | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}

/* Give us a stdout (and stderr) on /dev/console when the kernel or rdinit left none. */
static void ensure_console(void)
{
	int fd;

	if (fcntl(STDOUT_FILENO, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	if (fd != STDOUT_FILENO)
		(void)dup2(fd, STDOUT_FILENO);
	if (fcntl(STDERR_FILENO, F_GETFD) < 0)
		(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		(void)close(fd);
}

/* --- /proc/self/mountinfo --- */

/* Read a whole (proc) file into a NUL-terminated malloc'ed buffer. Returns NULL with errno set. */
static char *slurp(const char *path)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap), *nbuf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			nbuf = realloc(buf, cap * 2);
			if (!nbuf)
				goto fail;
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	(void)close(fd);
	return buf;
fail : {
	int err = errno;
	free(buf);
	if (fd >= 0)
		(void)close(fd);
	errno = err;
}
	return NULL;
}

static int has_opt(const char *list, const char *opt)
{
	size_t len = strlen(opt);

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == len && strncmp(p, opt, len) == 0)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Put the options of @list other than rw and ro, each preceded by a comma. */
static void put_opts_but_rwro(const char *list)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n > 0 && !(n == 2 && (strncmp(p, "rw", 2) == 0 || strncmp(p, "ro", 2) == 0))) {
			put(",", 1);
			put(p, n);
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

/*
 * mountinfo: "id parent maj:min root mountpoint vfsopts [optional...] - fstype source superopts".
 * Report the last entry mounted on "/" (the one a process sees), options merged like libmount does.
 */
static void report_root(void)
{
	char *buf = slurp("/proc/self/mountinfo");
	char *line, *next, *f[64];
	char *source = NULL, *fstype = NULL, *vfsopts = NULL, *superopts = NULL;

	if (!buf) {
		unable("read /proc/self/mountinfo", errno);
		return;
	}
	for (line = buf; *line; line = next) {
		size_t nf = 0, sep;

		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		for (char *p = line; *p && nf < sizeof(f) / sizeof(f[0]);) {
			f[nf++] = p;
			p += strcspn(p, " ");
			if (*p)
				*p++ = '\0';
		}
		for (sep = 6; sep < nf && strcmp(f[sep], "-") != 0; sep++)
			;
		if (sep + 3 >= nf || strcmp(f[4], "/") != 0)
			continue;
		vfsopts = f[5];
		fstype = f[sep + 1];
		source = f[sep + 2];
		superopts = f[sep + 3];
	}
	if (!source) {
		puts0("realinit: root source=? fstype=? options=?");
		endline();
		free(buf);
		return;
	}
	puts0("realinit: root source=");
	puts0(source);
	puts0(" fstype=");
	puts0(fstype);
	puts0(" options=");
	puts0(has_opt(vfsopts, "ro") || has_opt(superopts, "ro") ? "ro" : "rw");
	put_opts_but_rwro(vfsopts);
	put_opts_but_rwro(superopts);
	endline();
	free(buf);
}

/* Whether the kernel command line holds @word as a whole word. */
static int cmdline_has(const char *word)
{
	char *buf = slurp("/proc/cmdline");
	size_t len = strlen(word);
	int found = 0;

	for (char *p = buf; p && *p && !found;) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		found = n == len && strncmp(p, word, len) == 0;
		p += n;
	}
	free(buf);
	return found;
}

/* --- processes --- */

/* Every process but this one that has a command line (kernel threads have none): what the initramfs left. */
static void report_processes(void)
{
	DIR *dir = opendir("/proc");
	struct dirent *entry;

	if (!dir) {
		unable("read /proc", errno);
		return;
	}
	while ((entry = readdir(dir))) {
		char path[64], *end, *cmdline;
		unsigned long pid = strtoul(entry->d_name, &end, 10);

		if (*end || pid == 0 || pid == (unsigned long)getpid() ||
		    strlen(entry->d_name) > 20)
			continue;
		strcpy(path, "/proc/");
		strcat(path, entry->d_name);
		strcat(path, "/cmdline");
		cmdline = slurp(path);
		if (cmdline && *cmdline) {
			puts0("realinit: process ");
			putu(pid);
			put(" ", 1);
			puts0(cmdline);
			endline();
		}
		free(cmdline);
	}
	(void)closedir(dir);
}

/* --- /dev/kmsg --- */

/* Records are "pri,seq,ts,flags;text\n" plus " KEY=value\n" continuation lines. */
static void report_kmsg(void)
{
	static char rec[8192];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		unable("open /dev/kmsg", errno);
		return;
	}
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *text;

		if (n < 0 &&
		    (errno == EINTR || errno == EPIPE)) /* EPIPE: records overwritten, go on */
			continue;
		if (n < 0 && errno != EAGAIN)
			unable("read /dev/kmsg", errno);
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		text[strcspn(text, "\n")] = '\0';
		if (strstr(text, "rdinit:")) {
			puts0("realinit: kmsg ");
			puts0(text);
			endline();
		}
	}
	(void)close(fd);
}

/* What the kernel decompresses itself: a test of compressed modules needs to know whether rdinit had to. */
static void report_module_compression(void)
{
	char *text = slurp("/sys/module/compression");
	if (text)
		text[strcspn(text, "\n")] = '\0';
	puts0("realinit: module compression=");
	puts0(text && *text ? text : "none");
	endline();
	free(text);
}

/* With realinit.hibernate=MAJ:MIN on the command line: swap on that device, name it as the resume device and
 * hibernate (the kernel writes the image and powers off); when this returns, the machine was resumed from it,
 * or hibernating failed: say which. */
static void hibernate_if_asked(void)
{
	char *cmdline = slurp("/proc/cmdline");
	char *arg = cmdline ? strstr(cmdline, "realinit.hibernate=") : NULL;
	char devnum[32] = "", *end;
	const char *node = "/dev/realinit-swap";
	size_t len = arg ? strcspn(arg + 19, " \t\n") : 0;
	if (len && len < sizeof(devnum))
		memcpy(devnum, arg + 19, len);
	free(cmdline);
	if (!devnum[0])
		return;
	unsigned long major = strtoul(devnum, &end, 10),
		      minor = *end == ':' ? strtoul(end + 1, &end, 10) : 0;
	if (*end || !strchr(devnum, ':')) {
		unable("read realinit.hibernate=MAJ:MIN", EINVAL);
		return;
	}
	(void)unlink(node);
	if (mknod(node, S_IFBLK | 0600, makedev(major, minor)) < 0 || swapon(node, 0) < 0) {
		unable("swap on the hibernation device", errno);
		return;
	}
	int fd = open("/sys/power/resume", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, devnum, strlen(devnum)) < 0)
		unable("name the resume device in /sys/power/resume", errno);
	if (fd >= 0)
		(void)close(fd);
	puts0("realinit: hibernating to ");
	puts0(devnum);
	endline();
	sync();
	fd = open("/sys/power/state", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "disk", 4) < 0) {
		unable("hibernate (disk to /sys/power/state)", errno);
	} else {
		puts0("realinit: resumed from hibernation");
		endline();
	}
	if (fd >= 0)
		(void)close(fd);
}

int main(int argc, char **argv)
{
	struct timespec ts;
	int stay = 0, proc_err, dev_err, stdin_open;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	stdin_open = fcntl(STDIN_FILENO, F_GETFD) >= 0;
	proc_err = ensure_mounted("/proc/self/mountinfo", "/proc", "proc");
	dev_err = ensure_mounted("/dev/kmsg", "/dev", "devtmpfs");
	ensure_console();
	if (proc_err < 0)
		unable("mount proc on /proc", -proc_err);
	if (dev_err < 0)
		unable("mount devtmpfs on /dev", -dev_err);

	puts0("realinit: pid=");
	putu((unsigned long long)getpid());
	endline();

	puts0("realinit: argv=");
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			put(" ", 1);
		puts0(argv[i]);
		if (strcmp(argv[i], "realinit.stay") == 0)
			stay = 1;
	}
	endline();

	for (char **e = environ; e && *e; e++) {
		puts0("realinit: env=");
		puts0(*e);
		endline();
	}

	puts0(stdin_open ? "realinit: stdin=open" : "realinit: stdin=closed");
	endline();
	report_processes();
	report_root();
	report_module_compression();

	puts0("realinit: uptime_ms=");
	putu((unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000);
	endline();

	report_kmsg();
	if (getpid() == 1)
		hibernate_if_asked();

	puts0("realinit: done");
	endline();

	if (getpid() != 1)
		return 0;
	if (stay || cmdline_has("realinit.stay")) {
		puts0("realinit: staying up");
		endline();
		for (;;)
			(void)pause();
	}
	sync();
	(void)reboot(RB_POWER_OFF);
	unable("power off", errno);
	for (;;)
		(void)pause();
}
