/*
 * Kernel uevents, read straight from the NETLINK_KOBJECT_UEVENT socket. Without a udev daemon
 * libudev only wraps this socket, and it has no musl-static build: this is the same shape
 * (monitor, enumerate, device properties) in one small module.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define UEVENT_BUFFER_SIZE 8192 /* the kernel's UEVENT_BUFFER_SIZE is 2048 */

struct uevent {
	const char *action; /* add, remove, change, bind, ... */
	const char *devpath;
	const char *subsystem;
	const char *devname; /* without /dev/ */
	const char *devtype; /* disk, partition */
	const char *modalias;
	const char *major;
	const char *minor;
	const char *partn;
};

/*
 * Parses a netlink payload "action@devpath\0KEY=VALUE\0...". buf must hold len bytes plus one
 * byte for a terminating NUL, which this writes. Pointers in ev point into buf.
 * Returns 0 or -EBADMSG (no header, no ACTION/DEVPATH, header and properties disagree).
 */
int uevent_parse_netlink(char *buf, size_t len, struct uevent *ev);

/* Parses a sysfs "uevent" file ("KEY=VALUE\n" lines), as read for enumeration. */
int uevent_parse_sysfs(char *buf, size_t len, struct uevent *ev);

/* Large enough for a coldplug of a big machine; the kernel only grants it to root. */
#define UEVENT_RCVBUF_DEFAULT (16 * 1024 * 1024)
/* rd.uevent_buffer='s ceiling: kernel memory a flood of events may pin, 8 times the default. */
#define UEVENT_RCVBUF_MAX (128 * 1024 * 1024)

/* Opens the socket (non-blocking, close-on-exec, credentials on) with a receive buffer of
 * rcvbuf_bytes. */
int uevent_monitor_open(int rcvbuf_bytes);

/*
 * Receives one message into buf (UEVENT_BUFFER_SIZE + 1 bytes) and parses it.
 * Returns 0; -EAGAIN when nothing is queued; -ENOBUFS when the kernel dropped messages
 * (rescan); -EPERM for a message not sent by the kernel (wrong sender, group or uid);
 * -EBADMSG for truncated or malformed ones.
 */
int uevent_monitor_receive(int fd, char *buf, struct uevent *ev);

/* Where devices' modaliases are read: bus devices (/sys/bus/NAME/devices/DEV), whose drivers
 * make the class devices; class devices (/sys/class/NAME/DEV: input devices have one); or the
 * CPUs alone (/sys/bus/cpu/devices/DEV), for their feature drivers. */
enum uevent_collection {
	UEVENT_BUS,
	UEVENT_CLASS,
	UEVENT_CPUS
};

/* Calls visit with the modalias of each device of the collection that has one: what a coldplug
 * ("add" written to each uevent file) would have announced, read without the event stream (the
 * modalias attribute; a bus device without one, a CPU, from its uevent file). wants_bus, for
 * UEVENT_BUS, names the buses to read (NULL: all of them); visit returns false to end the walk.
 * Returns the number of modaliases visited, -ECANCELED when a visit ended the walk, or -errno. */
int uevent_enumerate_modaliases(enum uevent_collection where, bool (*wants_bus)(const char *bus),
				bool (*visit)(const char *modalias, void *ctx), void *ctx);

/* Calls visit for each block device in /sys/class/block with its uevent properties. */
int uevent_enumerate_block(void (*visit)(const struct uevent *ev, void *ctx), void *ctx);
