/*
 * The uevent monitor against forged and real messages (needs root). In a private network
 * namespace, so that the forged messages reach no other listener (a namespace owned by the initial
 * user namespace still gets the kernel's device uevents, which are not tagged with a namespace).
 * Another socket of this process sends well-formed "add" messages for a block device, unicast to
 * the monitor and multicast to the kernel's group: each must be refused with -EPERM (CVE-2009-1185),
 * never returned as an event. A real kernel uevent (writing "change" to /sys/class/mem/null/uevent)
 * is accepted; a monitor whose small receive buffer overflows reports -ENOBUFS; truncated and empty
 * messages are -EBADMSG.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "sys.h"
#include "uevent.h"

#define NULL_UEVENT "/sys/class/mem/null/uevent"
#define NULL_DEVPATH "/devices/virtual/mem/null"
#define FORGED_DEVPATH "/devices/virtual/block/rdinit-forged"

/* A block device "add" as the kernel would write it, for a device that does not exist. */
static const char forged[] =
	"add@" FORGED_DEVPATH "\0ACTION=add\0DEVPATH=" FORGED_DEVPATH
	"\0SUBSYSTEM=block\0MAJOR=254\0MINOR=99\0DEVNAME=rdinit-forged\0DEVTYPE=disk\0SEQNUM=1";

static char buf[UEVENT_BUFFER_SIZE + 1];

static void must(int r, const char *what)
{
	if (r < 0) {
		printf("Bail out! %s: %s\n", what, strerror(errno));
		exit(1);
	}
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * The next result of uevent_monitor_receive() that concerns us: events accepted for other devices
 * (the machine keeps living) are passed over, unless devpath is NULL. -ETIMEDOUT when nothing
 * came within timeout_ms.
 */
static int next_result(int fd, const char *devpath, int timeout_ms, struct uevent *ev)
{
	long deadline = now_ms() + timeout_ms;
	for (;;) {
		int r = uevent_monitor_receive(fd, buf, ev);
		if (r == 0 && devpath && strcmp(ev->devpath, devpath) != 0)
			continue;
		if (r != -EAGAIN)
			return r;
		long left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		(void)poll(&p, 1, (int)left);
	}
}

/* Empties the monitor's queue, including an overflow it has to report. */
static void drain(int fd)
{
	struct uevent ev;
	while (uevent_monitor_receive(fd, buf, &ev) != -EAGAIN)
		;
}

static int forger(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	must(fd, "forging socket");
	return fd;
}

static ssize_t send_to(int fd, const void *payload, size_t len, unsigned pid, unsigned groups)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = pid, .nl_groups = groups };
	return sendto(fd, payload, len, 0, (struct sockaddr *)&to, sizeof(to));
}

static void test_forged(int mon, unsigned port)
{
	struct uevent ev;
	char copy[sizeof(forged)];
	memcpy(copy, forged, sizeof(forged));
	CHECK(uevent_parse_netlink(copy, sizeof(forged) - 1, &ev) == 0 &&
		      strcmp(ev.subsystem, "block") == 0,
	      "the forged payload is a well-formed block device uevent");

	int fd = forger();
	must((int)send_to(fd, forged, sizeof(forged) - 1, port, 0), "unicast to the monitor");
	int r = next_result(mon, FORGED_DEVPATH, 2000, &ev);
	CHECK(r == -EPERM, "a unicast to the monitor's port is refused with -EPERM (got %d)", r);

	must((int)send_to(fd, forged, sizeof(forged) - 1, 0, 1), "multicast to group 1");
	r = next_result(mon, FORGED_DEVPATH, 2000, &ev);
	CHECK(r == -EPERM, "a multicast to the kernel's group 1 is refused with -EPERM (got %d)",
	      r);

	/* A shorter one (no SEQNUM, the last property without its NUL): refused as well. */
	static const char minimal[] = "add@" FORGED_DEVPATH "\0ACTION=add\0DEVPATH=" FORGED_DEVPATH
				      "\0SUBSYSTEM=block";
	must((int)send_to(fd, minimal, sizeof(minimal) - 1, 0, 1), "multicast");
	r = next_result(mon, FORGED_DEVPATH, 2000, &ev);
	CHECK(r == -EPERM, "a second multicast is refused too (got %d)", r);

	/* An unprivileged process: the kernel refuses its unicasts on this family (no
	 * NL_CFG_F_NONROOT_SEND); were one to get through, the monitor must refuse it. */
	pid_t pid = fork();
	must(pid, "fork");
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		int u = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
		if (u < 0)
			_exit(3);
		_exit(send_to(u, forged, sizeof(forged) - 1, port, 0) > 0 ? 0
			      : errno == EPERM				  ? 1
									  : 4);
	}
	int status;
	must(waitpid(pid, &status, 0), "waitpid");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r = next_result(mon, FORGED_DEVPATH, 2000, &ev);
		CHECK(r == -EPERM, "a unicast from uid 65534 is refused with -EPERM (got %d)", r);
	} else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		      "uid 65534 cannot even send to the monitor: the kernel says EPERM (status %d)",
		      status);

	/* Too long for the buffer: cut by recvmsg, so refused before anything is read from it. At
	 * exactly the buffer's size nothing is cut, and it is the sender that is refused. */
	static char big[UEVENT_BUFFER_SIZE + 100];
	memset(big, 'A', sizeof(big));
	memcpy(big, forged, sizeof(forged));
	must((int)send_to(fd, big, sizeof(big), port, 0), "oversized unicast");
	r = next_result(mon, FORGED_DEVPATH, 2000, &ev);
	CHECK(r == -EBADMSG,
	      "a message longer than UEVENT_BUFFER_SIZE is refused as truncated: -EBADMSG (got %d)",
	      r);
	must((int)send_to(fd, big, UEVENT_BUFFER_SIZE, port, 0), "unicast of UEVENT_BUFFER_SIZE");
	r = next_result(mon, FORGED_DEVPATH, 2000, &ev);
	CHECK(r == -EPERM,
	      "a message of exactly UEVENT_BUFFER_SIZE bytes is not truncated: -EPERM (got %d)", r);
	/* An empty message: Linux refuses to send one (ENODATA), older kernels deliver it. */
	if (send_to(fd, "", 0, port, 0) == 0) {
		r = next_result(mon, FORGED_DEVPATH, 2000, &ev);
		CHECK(r == -EBADMSG, "an empty message is refused with -EBADMSG (got %d)", r);
	} else if (errno == ENODATA)
		CHECK(true, "# SKIP this kernel does not send an empty netlink message");
	else
		CHECK(false, "an empty message could not be sent: %s", strerror(errno));
	close(fd);
}

static void test_kernel(int mon)
{
	struct uevent ev;
	drain(mon);
	int r = sys_write_file(NULL_UEVENT, "change");
	CHECK(r == 0, "\"change\" written to " NULL_UEVENT " (%d)", r);
	r = next_result(mon, NULL_DEVPATH, 5000, &ev);
	CHECK(r == 0,
	      "the kernel's uevent reaches the monitor in a private network namespace (got %d)", r);
	if (r == 0) {
		CHECK_STR(ev.action, "change", "ACTION");
		CHECK_STR(ev.subsystem, "mem", "SUBSYSTEM");
		CHECK_STR(ev.devname, "null", "DEVNAME");
	}
}

/* A monitor opened the same way but with the smallest receive buffer overflows, and says so; the
 * real one, with its 16 MiB, takes the whole burst. */
static void test_overflow(int mon)
{
	enum {
		BURST = 200
	};
	int small = uevent_monitor_open(UEVENT_RCVBUF_DEFAULT);
	CHECK(small >= 0, "a second monitor opens (%d)", small);
	if (small < 0)
		return;
	int one = 1;
	must(setsockopt(small, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)), "SO_RCVBUF");
	drain(mon);

	int written = 0;
	for (int i = 0; i < BURST; i++)
		written += sys_write_file(NULL_UEVENT, "change") == 0;
	CHECK(written == BURST, "%d \"change\" events triggered", written);

	struct uevent ev;
	int r, received = 0, refused = 0, nobufs = 0;
	while ((r = next_result(small, NULL, 1000, &ev)) != -ETIMEDOUT)
		nobufs += r == -ENOBUFS;
	CHECK(nobufs >= 1, "the overflowing monitor reports -ENOBUFS (%d times)", nobufs);

	while ((r = next_result(mon, NULL, 1000, &ev)) != -ETIMEDOUT) {
		if (r == 0 && strcmp(ev.devpath, NULL_DEVPATH) == 0)
			received++;
		else if (r < 0)
			refused++;
	}
	CHECK(received >= BURST && refused == 0,
	      "the 16 MiB monitor received all %d without loss (%d, %d errors)", BURST, received,
	      refused);
	close(small);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root for a private network namespace and sysfs uevent files\n");
		return 0;
	}
	if (access(NULL_UEVENT, W_OK) != 0) {
		printf("1..0 # SKIP %s is not writable here\n", NULL_UEVENT);
		return 0;
	}
	must(unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)");

	int mon = uevent_monitor_open(UEVENT_RCVBUF_DEFAULT);
	if (mon < 0) {
		printf("Bail out! uevent_monitor_open: %s\n", strerror(-mon));
		return 1;
	}
	int flags = fcntl(mon, F_GETFL), fdflags = fcntl(mon, F_GETFD), rcvbuf = 0;
	socklen_t len = sizeof(rcvbuf);
	CHECK(flags >= 0 && (flags & O_NONBLOCK) && fdflags >= 0 && (fdflags & FD_CLOEXEC),
	      "the monitor is non-blocking and close-on-exec");
	CHECK(getsockopt(mon, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) == 0 &&
		      rcvbuf >= 16 * 1024 * 1024,
	      "the monitor got its 16 MiB receive buffer (%d bytes)", rcvbuf);
	struct sockaddr_nl self;
	len = sizeof(self);
	must(getsockname(mon, (struct sockaddr *)&self, &len), "getsockname");
	CHECK(self.nl_pid != 0 && self.nl_groups == 1, "the monitor is bound to group 1 (port %u)",
	      self.nl_pid);
	drain(mon);

	test_forged(mon, self.nl_pid);
	test_kernel(mon);
	test_overflow(mon);
	close(mon);
	return check_done();
}
