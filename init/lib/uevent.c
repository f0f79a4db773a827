/* Kernel uevents: the netlink monitor, the payload parser, coldplug and block enumeration. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys.h"
#include "uevent.h"

#define UEVENT_GROUP_KERNEL 1

static void set_property(struct uevent *ev, const char *key, const char *value)
{
	static const struct {
		const char *key;
		size_t offset;
	} known[] = {
		{ "ACTION", offsetof(struct uevent, action) },
		{ "DEVPATH", offsetof(struct uevent, devpath) },
		{ "SUBSYSTEM", offsetof(struct uevent, subsystem) },
		{ "DEVNAME", offsetof(struct uevent, devname) },
		{ "DEVTYPE", offsetof(struct uevent, devtype) },
		{ "MODALIAS", offsetof(struct uevent, modalias) },
		{ "MAJOR", offsetof(struct uevent, major) },
		{ "MINOR", offsetof(struct uevent, minor) },
		{ "PARTN", offsetof(struct uevent, partn) },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(key, known[i].key) == 0)
			*(const char **)((char *)ev + known[i].offset) = value;
}

/* Splits buf[0..len) at sep into KEY=VALUE properties; entries without '=' are skipped. */
static void parse_properties(char *buf, size_t len, char sep, struct uevent *ev)
{
	char *p = buf, *end = buf + len;
	while (p < end) {
		char *next = memchr(p, sep, (size_t)(end - p));
		if (!next)
			next = end;
		*next = '\0';
		char *eq = strchr(p, '=');
		if (eq && eq != p) {
			*eq = '\0';
			/* The kernel ends some values with a newline (a CPU's MODALIAS does). */
			char *value = eq + 1;
			size_t value_len = strlen(value);
			while (value_len && value[value_len - 1] == '\n')
				value[--value_len] = '\0';
			set_property(ev, p, value);
		}
		p = next + 1;
	}
}

int uevent_parse_netlink(char *buf, size_t len, struct uevent *ev)
{
	*ev = (struct uevent){ 0 };
	buf[len] = '\0';
	size_t header_len = strnlen(buf, len);
	char *at = memchr(buf, '@', header_len);
	/* udev's own messages start "libudev\0": the kernel's always "action@devpath\0". */
	if (!at || header_len == len || at == buf)
		return -EBADMSG;
	*at = '\0';
	const char *header_action = buf, *header_devpath = at + 1;
	parse_properties(buf + header_len + 1, len - header_len - 1, '\0', ev);
	if (!ev->action || !ev->devpath || !ev->subsystem ||
	    strcmp(ev->action, header_action) != 0 || strcmp(ev->devpath, header_devpath) != 0)
		return -EBADMSG;
	return 0;
}

int uevent_parse_sysfs(char *buf, size_t len, struct uevent *ev)
{
	*ev = (struct uevent){ 0 };
	buf[len] = '\0';
	parse_properties(buf, len, '\n', ev);
	return 0;
}

int uevent_monitor_open(int rcvbuf_bytes)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -errno;
	int size = rcvbuf_bytes, on = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = UEVENT_GROUP_KERNEL };
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = -errno;
		(void)close(fd);
		return e;
	}
	return fd;
}

int uevent_monitor_receive(int fd, char *buf, struct uevent *ev)
{
	struct sockaddr_nl sender;
	char control[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, UEVENT_BUFFER_SIZE };
	struct msghdr msg = {
		.msg_name = &sender,
		.msg_namelen = sizeof(sender),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	ssize_t len;
	do
		len = recvmsg(fd, &msg, MSG_DONTWAIT);
	while (len < 0 && errno == EINTR);
	if (len < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC) || len == 0)
		return -EBADMSG;

	/* CVE-2009-1185: only the kernel (port 0, multicast group 1, uid 0) may tell us about
	 * devices; anything else could make us mount an attacker's root. */
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	if (msg.msg_namelen != sizeof(sender) || sender.nl_pid != 0 ||
	    sender.nl_groups != UEVENT_GROUP_KERNEL)
		return -EPERM;
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_CREDENTIALS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(struct ucred)))
		return -EPERM;
	struct ucred cred;
	memcpy(&cred, CMSG_DATA(cmsg), sizeof(cred));
	if (cred.uid != 0)
		return -EPERM;
	return uevent_parse_netlink(buf, (size_t)len, ev);
}

/* What a visit returns to end the walk of for_each_entry() and every walk around it. */
#define FOR_EACH_END (-ECANCELED)

static int for_each_entry(int dirfd, int (*visit)(int dirfd, const char *name, void *ctx),
			  void *ctx)
{
	DIR *dir = fdopendir(dirfd);
	if (!dir) {
		int e = -errno;
		(void)close(dirfd);
		return e;
	}
	int count = 0;
	struct dirent *entry;
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.')
			continue;
		int r = visit(dirfd, entry->d_name, ctx);
		if (r > 0)
			count += r;
		if (r == FOR_EACH_END)
			break;
	}
	(void)closedir(dir);
	return count;
}

struct modalias_ctx {
	bool (*wants_bus)(const char *bus);
	bool (*visit)(const char *modalias, void *ctx);
	void *ctx;
	bool uevent_fallback; /* a device without the attribute: its uevent file */
	bool ended;	      /* visit said so */
};

/* Reads DIR/uevent (relative to dirfd) into buf (UEVENT_BUFFER_SIZE + 1 bytes) and parses it. */
static int read_uevent_at(int dirfd, const char *dir, char *buf, struct uevent *ev)
{
	char path[512];
	(void)snprintf(path, sizeof(path), "%s/uevent", dir);
	ssize_t len = sys_read_fileat(dirfd, path, buf, UEVENT_BUFFER_SIZE + 1);
	if (len < 0)
		return (int)len;
	return uevent_parse_sysfs(buf, (size_t)len, ev);
}

static int read_modalias(int dirfd, const char *name, void *ctx)
{
	struct modalias_ctx *m = ctx;
	char path[512], buf[UEVENT_BUFFER_SIZE + 1];
	(void)snprintf(path, sizeof(path), "%s/modalias", name);
	ssize_t len = sys_read_fileat(dirfd, path, buf, sizeof(buf));
	const char *modalias = buf;
	if (len >= 0) {
		buf[strcspn(buf, "\n")] = '\0';
	} else {
		/* Not every bus device with a modalias has the attribute: a CPU's (which asks for
		 * crc32c-intel, aesni-intel and the other feature drivers, hundreds of bytes long) is
		 * only in its uevent file. Reading that file has the kernel build the whole event,
		 * which costs more: only where the attribute is missing, and not for the hundreds of
		 * class devices, whose modaliases (an input device's) have the attribute. */
		struct uevent ev;
		if (len != -ENOENT || !m->uevent_fallback ||
		    read_uevent_at(dirfd, name, buf, &ev) < 0)
			return 0;
		modalias = ev.modalias;
	}
	if (!modalias || !modalias[0])
		return 0;
	if (!m->visit(modalias, m->ctx)) {
		m->ended = true;
		return FOR_EACH_END;
	}
	return 1;
}

/* The modaliases of the devices below dirfd/path: their count, or FOR_EACH_END once a visit
 * ended the walk. */
static int modaliases_below(int dirfd, const char *path, struct modalias_ctx *m)
{
	int fd = sys_openat(dirfd, path, O_RDONLY | O_DIRECTORY, 0);
	int count = fd < 0 ? 0 : for_each_entry(fd, read_modalias, m);
	return m->ended ? FOR_EACH_END : count;
}

static int modaliases_of_bus(int dirfd, const char *name, void *ctx)
{
	struct modalias_ctx *m = ctx;
	if (m->wants_bus && !m->wants_bus(name))
		return 0;
	char path[512];
	(void)snprintf(path, sizeof(path), "%s/devices", name);
	return modaliases_below(dirfd, path, m);
}

static int modaliases_of_class(int dirfd, const char *name, void *ctx)
{
	return modaliases_below(dirfd, name, ctx);
}

int uevent_enumerate_modaliases(enum uevent_collection where, bool (*wants_bus)(const char *bus),
				bool (*visit)(const char *modalias, void *ctx), void *ctx)
{
	struct modalias_ctx m = { wants_bus, visit, ctx, where != UEVENT_CLASS, false };
	static const char *const dirs[] = { [UEVENT_BUS] = "/sys/bus",
					    [UEVENT_CLASS] = "/sys/class",
					    [UEVENT_CPUS] = "/sys/bus/cpu/devices" };
	int fd = sys_open(dirs[where], O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	int count = for_each_entry(fd,
				   where == UEVENT_BUS		   ? modaliases_of_bus
					   : where == UEVENT_CLASS ? modaliases_of_class
								   : read_modalias,
				   &m);
	return m.ended ? -ECANCELED : count;
}

struct enumerate_ctx {
	void (*visit)(const struct uevent *ev, void *ctx);
	void *ctx;
};

static int enumerate_one(int dirfd, const char *name, void *ctx)
{
	struct enumerate_ctx *e = ctx;
	char buf[UEVENT_BUFFER_SIZE + 1];
	struct uevent ev;
	if (read_uevent_at(dirfd, name, buf, &ev) < 0)
		return 0;
	ev.action = "add";
	ev.subsystem = "block";
	e->visit(&ev, e->ctx);
	return 1;
}

int uevent_enumerate_block(void (*visit)(const struct uevent *ev, void *ctx), void *ctx)
{
	struct enumerate_ctx e = { visit, ctx };
	int fd = sys_open("/sys/class/block", O_RDONLY | O_DIRECTORY, 0);
	return fd < 0 ? fd : for_each_entry(fd, enumerate_one, &e);
}
