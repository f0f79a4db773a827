/* Loading drivers for the boot, with what went wrong noted in boot->drivers for the screen. */
#pragma once
#include "boot.h"
#include "cmdline.h"

/* Loads every module alias names, with dependencies and softdeps. Returns the number inserted
 * (0 also when the image has no module index: then all is taken to be built in), -ENOENT when
 * nothing matched, or -errno; logs a refusal. */
int load_modules(struct boot *boot, const char *alias);

/* Once per boot, before the first search: writes rd.driver.blacklist= where libkmod reads it, opens
 * libkmod on the image's modules (a warning when it cannot: then all is taken to be built in) and
 * loads rd.driver.pre=. */
void drivers_prepare(struct boot *boot);

/* load_modules() for each name of a comma list, prefixed with prefix ("fs-" for filesystem types). */
void drivers_load_list(struct boot *boot, const char *names, const char *prefix);

/* When root= first matched, the probed type of the device: its module loads in a child while the
 * devices settle and the pre-mount hooks run (nothing when one was started before the search). */
void drivers_load_filesystem(struct boot *boot, const char *type);

/* Before the mount: waits for the child that loads the root's filesystem module beside the device
 * search (drivers_prepare() starts it when the type is known: rootfstype=, or the only filesystem
 * module of the image), so that the module is live when the mount needs it. */
void drivers_wait_filesystem(struct boot *boot);

/* Whether the coldplug loads modalias's drivers before the mount: the disk's path (what
 * screen_lists_modalias() lists). Not the CPU's feature drivers (crct10dif-pclmul, aesni-intel:
 * 12 ms on the one-CPU bench, ahead of the disk's driver): a filesystem's checksum comes with its
 * module (ext4's softdep brings crc32c-intel) and the luks layer asks for the ciphers itself
 * (drivers_load_cpu()); the rest load with the other devices'. */
bool drivers_before_mount(const char *modalias);

/* Whether a bus's devices (/sys/bus/NAME) can have drivers_before_mount() modaliases: the
 * coldplug reads only those buses before the search. */
bool drivers_bus_before_mount(const char *bus);

/* Loads the drivers the CPUs' modaliases ask for (aesni-intel, sha256-ssse3), once, in PID 1:
 * dm-crypt takes its cipher when a mapping is made, and one made before aesni-intel is loaded
 * keeps the generic C cipher, or finds none (there is no modprobe for the kernel to ask). */
void drivers_load_cpu(struct boot *boot);

/* The coldplug's drivers_before_mount() modaliases, grouped by the first module each would
 * insert (at most a group per CPU), so that one controller's driver that sleeps while it probes
 * its ports (ahci: 330 ms for six empty SATA links under TCG) does not delay another's disk. */
struct driver_group {
	char module[MODULE_NAME_MAX];
	char modaliases[4096]; /* each NUL-ended, one after the other */
	size_t used;
};
struct driver_batch {
	struct driver_group groups[DRIVERS_LOADERS_MAX];
	unsigned count;
	unsigned cpus; /* online, at most DRIVERS_LOADERS_MAX: the most groups */
};

/* Adds modalias to the batch (batch must start all zero); on one CPU, and what has nothing to
 * insert (built in, loaded, no module matches) or finds no room, load_modules() takes at once. */
void drivers_batch_add(struct boot *boot, struct driver_batch *batch, const char *modalias);

/* Loads the batch: with two groups or more (two CPUs or more), a child each, whose notes come to
 * PID 1 with drivers_wait_coldplug(); else all in PID 1. */
void drivers_start_batch(struct boot *boot, const struct driver_batch *batch);

/* Loads what a uevent's modalias asks for. While the coldplug's children run, in a child of its
 * own: the kernel holds every module load until the asynchronous probes of the others end (the
 * async_synchronize_full() of do_init_module(): ahci's six empty SATA links, 330 ms under TCG, hold
 * virtio_blk's load), and PID 1 must read the disk's events meanwhile. Otherwise in PID 1. */
void drivers_load_event(struct boot *boot, const char *modalias);

/* Waits for drivers_start_batch()'s and drivers_load_event()'s children: before anything acts
 * on the devices (a layer, a resume, rd.driver.post=, the match of root=, the screen), so that each
 * controller the coldplug found has shown its disks. Returns how many were started since it last
 * waited. */
unsigned drivers_wait_coldplug(struct boot *boot);

/* The coldplug's second half: a child loads the drivers that the other devices ask for (what
 * drivers_before_mount() leaves: the CPU's among them), bus and class devices, at idle priority,
 * while the search and the mount go on. */
void drivers_start_others(struct boot *boot);

/* Before the switch (nothing of the image's may outlive it): asks drivers_start_others()'s child
 * to end once the module it is loading is in (never killed inside the kernel's load), and waits
 * for it. What it did not get to is the real system's: its udev's coldplug loads every device's
 * drivers. On one CPU the idle child may not have run at all: the boot does not wait for drivers
 * nobody needs to boot (15 ms on the one-CPU bench, the CPU's among them). */
void drivers_stop_others(struct boot *boot);

/* Once per boot, when the uevent queue has first gone empty after the coldplug (dracut's "settled"
 * initqueue): loads rd.driver.post=, which load_modules() held back until now. */
void drivers_load_post(struct boot *boot);
