/*
 * A test hook for rdinit's VM tests, installed as a pre-udev hook: it returns at once and leaves
 * a child behind that, depending on its name:
 *   *forge*  waits until PID 1's uevent socket exists, then sends uevents that claim to be the
 *            root device from userspace, by unicast to that socket and by multicast to the
 *            kernel's group: rdinit must ignore them;
 *   *storm*  makes the kernel send thousands of real "change" uevents, from before /init listens
 *            until after root appears; *storm-N* (qemu/bench --storm N) exactly N of them;
 *   *flood*  the same, without a pause, for FLOOD_S seconds: longer than the test's rd.timeout;
 *   *linger* (a pre-pivot hook) leaves three processes sleeping for ever: "@linger-kept", which
 *            may outlive the initramfs, "linger-left" and "linger-stubborn", which ignores SIGTERM;
 *   *busy*   keeps the CPU busy until the root is mounted on /sysroot, then sleeps: a child of
 *            PID 1 at idle priority gets next to nothing of it until then.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NETLINK_UEVENT_PROTOCOL 15

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* /proc/net/netlink: "sk Eth Pid Groups ..."; PID 1 listening to uevents is Eth 15, Pid 1. */
static int pid1_listens(void)
{
	FILE *f = fopen("/proc/net/netlink", "r");
	char line[256];
	int found = 0;
	unsigned long sk;
	int eth;
	unsigned pid;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %d %u", &sk, &eth, &pid) == 3 &&
		    eth == NETLINK_UEVENT_PROTOCOL && pid == 1)
			found = 1;
	if (f)
		fclose(f);
	return found;
}

static int forge(void)
{
	static const char msg[] =
		"add@/devices/virtual/block/vda1\0ACTION=add\0DEVPATH=/devices/virtual/block/vda1\0"
		"SUBSYSTEM=block\0MAJOR=254\0MINOR=1\0DEVNAME=vda1\0DEVTYPE=partition\0SEQNUM=1\0";
	int fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT);
	struct sockaddr_nl self = { .nl_family = AF_NETLINK };
	if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof(self)) < 0)
		return 0;
	int sent = 0;
	for (int round = 0; round < 3; round++) {
		struct sockaddr_nl unicast = { .nl_family = AF_NETLINK, .nl_pid = 1 };
		struct sockaddr_nl multicast = { .nl_family = AF_NETLINK, .nl_groups = 1 };
		sent += sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&unicast,
			       sizeof(unicast)) > 0;
		sent += sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&multicast,
			       sizeof(multicast)) > 0;
		sleep_ms(20);
	}
	return sent;
}

#define FLOOD_S 25

/* "change" to every device of /sys/class: 20 rounds, or, with for_s, rounds until then, or with
 * limit, rounds until that many were sent. */
static int storm(int for_s, long limit)
{
	int sent = 0;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int round = 0; for_s || limit ? 1 : round < 20; round++) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (for_s && now.tv_sec - start.tv_sec >= for_s)
			break;
		DIR *classes = opendir("/sys/class");
		struct dirent *c;
		while (classes && (c = readdir(classes))) {
			char path[512];
			snprintf(path, sizeof(path), "/sys/class/%s", c->d_name);
			DIR *devices = c->d_name[0] != '.' ? opendir(path) : NULL;
			struct dirent *d;
			while (devices && (d = readdir(devices))) {
				char uevent[1024];
				snprintf(uevent, sizeof(uevent), "%s/%s/uevent", path, d->d_name);
				if (limit && sent >= limit)
					break;
				int fd = d->d_name[0] != '.' ? open(uevent, O_WRONLY) : -1;
				if (fd >= 0) {
					sent += write(fd, "change", 6) == 6;
					close(fd);
				}
			}
			if (devices)
				closedir(devices);
		}
		if (classes)
			closedir(classes);
		if (limit && (sent >= limit || sent == 0))
			break;
	}
	return sent;
}

/* A leftover of the image: sleeps until killed, SIGTERM ignored when stubborn. */
_Noreturn static void linger(const char *name)
{
	if (strstr(name, "stubborn"))
		signal(SIGTERM, SIG_IGN);
	for (;;)
		pause();
}

/* A mount on /sysroot: another device than the initramfs's. */
static int root_mounted(void)
{
	struct stat image, sysroot;
	return stat("/", &image) == 0 && stat("/sysroot", &sysroot) == 0 &&
		image.st_dev != sysroot.st_dev;
}

_Noreturn static void busy(void)
{
	while (!root_mounted()) {
		struct timespec start, now;
		clock_gettime(CLOCK_MONOTONIC, &start);
		do
			clock_gettime(CLOCK_MONOTONIC, &now);
		while ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec <
		       10000000L);
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	(void)argc;
	if (strstr(argv[0], "busy")) {
		if (fork() == 0)
			busy();
		printf("uevent-noise: busy until the root is mounted\n");
		return 0;
	}
	if (strstr(argv[0], "linger-"))
		linger(argv[0]);
	if (strstr(argv[0], "linger")) {
		static const char *const names[] = { "@linger-kept", "linger-left",
						     "linger-stubborn" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (fork() == 0) {
				char *args[] = { (char *)names[i], NULL };
				execv("/proc/self/exe", args);
				_exit(127);
			}
		printf("uevent-noise: left 3 processes\n");
		return 0;
	}
	if (fork() != 0)
		return 0;
	int flooding = strstr(argv[0], "flood") != NULL;
	int storming = flooding || strstr(argv[0], "storm") != NULL;
	for (int i = 0; !storming && i < 3000 && !pid1_listens(); i++)
		sleep_ms(2);
	const char *count = strstr(argv[0], "storm-");
	long limit = count ? strtol(count + 6, NULL, 10) : 0;
	int n = storming ? storm(flooding ? FLOOD_S : 0, limit > 0 ? limit : 0) : forge();
	printf("uevent-noise: %s: %d uevents\n",
	       flooding		  ? "flood"
		       : storming ? "storm"
				  : "forged",
	       n);
	return 0;
}
