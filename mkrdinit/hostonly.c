/* hostonly: which modules the running machine needs to reach its root filesystem, read from sysfs.
 *
 * The kernel already knows the chain: /sys/dev/block/MAJ:MIN leads to the device's folder in /sys/devices, whose
 * parents are the partition's disk, its controller and the buses above it. Each bound driver names its module
 * (driver/module), and each modalias is what udev would ask modprobe for, which matters when the image is for
 * another kernel than the running one, where a builtin driver may have become a module. */
#include "hostonly.h"
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* dm on md on dm...: deeper than this is a loop in a broken sysfs. */
#define MAX_STACK_DEPTH 16

struct walk {
	struct hostonly_set *set;
	char devices[PATH_MAX]; /* canonical SYSFS/devices: where the walk up stops */
	char *err;
	size_t err_size;
};

void hostonly_set_free(struct hostonly_set *set)
{
	for (size_t i = 0; i < set->n_items; i++) {
		free(set->items[i].name);
		free(set->items[i].origin);
	}
	free(set->items);
	free(set->root_device);
	free(set->fstype);
	for (size_t i = 0; i < set->n_crypt_names; i++)
		free(set->crypt_names[i]);
	free(set->crypt_names);
	for (size_t i = 0; i < set->n_md_names; i++)
		free(set->md_names[i]);
	free(set->md_names);
	for (size_t i = 0; i < set->n_keyboards; i++)
		free(set->keyboards[i]);
	free(set->keyboards);
	*set = (struct hostonly_set){ 0 };
}

static int add_item(struct hostonly_set *set, const char *name, const char *origin)
{
	for (size_t i = 0; i < set->n_items; i++)
		if (strcmp(set->items[i].name, name) == 0)
			return 0;
	int r = grow_array((void **)&set->items, &set->capacity, set->n_items + 1,
			   sizeof(*set->items));
	if (r < 0)
		return r;
	struct hostonly_item item = { .name = strdup(name), .origin = strdup(origin) };
	if (!item.name || !item.origin) {
		free(item.name);
		free(item.origin);
		return -ENOMEM;
	}
	set->items[set->n_items++] = item;
	return 0;
}

/* NAME once in the list of names *LIST (*N of them, room for *CAPACITY). */
static int add_name(char ***list, size_t *n, size_t *capacity, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], name) == 0)
			return 0;
	int r = grow_array((void **)list, capacity, *n + 1, sizeof(**list));
	if (r == 0 && !((*list)[*n] = strdup(name)))
		r = -ENOMEM;
	if (r == 0)
		(*n)++;
	return r;
}

/* The first line of a small sysfs attribute, without its newline; -errno when it cannot be read. */
static int read_line(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	int r = n < 0 ? -errno : 0;
	(void)close(fd);
	if (r < 0)
		return r;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The bound driver's module and the modalias of DIR and of every folder above it, up to SYSFS/devices. */
static int walk_up(struct walk *w, const char *device)
{
	char dir[PATH_MAX];
	(void)snprintf(dir, sizeof(dir), "%s", device);
	size_t stop = strlen(w->devices);
	int r = 0;
	while (r == 0 && strlen(dir) > stop) {
		char path[PATH_MAX + 32], target[PATH_MAX], value[4096];
		(void)snprintf(path, sizeof(path), "%s/driver/module", dir);
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			const char *slash = strrchr(target, '/');
			r = add_item(w->set, slash ? slash + 1 : target, path);
		}
		(void)snprintf(path, sizeof(path), "%s/modalias", dir);
		if (r == 0 && read_line(path, value, sizeof(value)) == 0 && value[0])
			r = add_item(w->set, value, path);
		char *slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	return r;
}

static int walk_block(struct walk *w, const char *device, int depth);

/* A stacked device (dm, md) rests on the devices in its slaves/ folder. */
static int walk_slaves(struct walk *w, const char *device, int depth)
{
	char path[PATH_MAX + 16];
	(void)snprintf(path, sizeof(path), "%s/slaves", device);
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return 0;
	int r = 0;
	for (int i = 0; i < n; i++) {
		if (r == 0 && names[i]->d_name[0] != '.') {
			char link[PATH_MAX * 2], slave[PATH_MAX];
			(void)snprintf(link, sizeof(link), "%s/%s", path, names[i]->d_name);
			if (realpath(link, slave))
				r = walk_block(w, slave, depth + 1);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

static int walk_block(struct walk *w, const char *device, int depth)
{
	if (depth > MAX_STACK_DEPTH) {
		(void)snprintf(w->err, w->err_size,
			       "unable to follow the devices under '/': more than %d stacked at %s",
			       MAX_STACK_DEPTH, device);
		return -ELOOP;
	}
	char path[PATH_MAX + 32], value[256];
	int r = 0;
	(void)snprintf(path, sizeof(path), "%s/dm", device);
	if (exists(path)) {
		r = add_item(w->set, "dm-mod", path);
		(void)snprintf(path, sizeof(path), "%s/dm/uuid", device);
		if (r == 0 && read_line(path, value, sizeof(value)) == 0 &&
		    strncmp(value, "CRYPT-", 6) == 0) {
			r = add_item(w->set, "dm-crypt", path);
			(void)snprintf(path, sizeof(path), "%s/dm/name", device);
			if (r == 0 && read_line(path, value, sizeof(value)) == 0 && value[0])
				r = add_name(&w->set->crypt_names, &w->set->n_crypt_names,
					     &w->set->crypt_capacity, value);
		}
	}
	(void)snprintf(path, sizeof(path), "%s/md/level", device);
	if (r == 0 && read_line(path, value, sizeof(value)) == 0 && value[0] &&
	    strcmp(value, "container") != 0) {
		char alias[300];
		(void)snprintf(alias, sizeof(alias), "md-%s", value);
		r = add_item(w->set, alias, path);
		const char *slash = strrchr(device, '/');
		if (r == 0)
			r = add_name(&w->set->md_names, &w->set->n_md_names, &w->set->md_capacity,
				     slash ? slash + 1 : device);
	}
	if (r == 0)
		r = walk_up(w, device);
	if (r == 0)
		r = walk_slaves(w, device, depth);
	return r;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *out = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else
			*out++ = *p;
	}
	*out = '\0';
}

struct root_mount {
	unsigned int major, minor;
	char fstype[64];
	char source[PATH_MAX];
};

static int find_root_mount(const char *mountinfo, struct root_mount *root, char *err,
			   size_t err_size)
{
	FILE *f = fopen(mountinfo, "re");
	if (!f) {
		int r = -errno;
		(void)snprintf(err, err_size, "unable to read %s: %s", mountinfo, strerror(-r));
		return r;
	}
	char *line = NULL;
	size_t capacity = 0;
	bool found = false;
	while (getline(&line, &capacity, f) > 0) {
		unsigned int major, minor;
		char mount_point[PATH_MAX];
		/* ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS */
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &major, &minor, mount_point) != 3)
			continue;
		unescape(mount_point);
		const char *dash = strstr(line, " - ");
		if (strcmp(mount_point, "/") != 0 || !dash)
			continue;
		char fstype[64], source[PATH_MAX];
		if (sscanf(dash + 3, "%63s %4095s", fstype, source) != 2)
			continue;
		unescape(source);
		root->major = major;
		root->minor = minor;
		(void)snprintf(root->fstype, sizeof(root->fstype), "%s", fstype);
		(void)snprintf(root->source, sizeof(root->source), "%s", source);
		found = true;
	}
	free(line);
	(void)fclose(f);
	if (!found) {
		(void)snprintf(err, err_size, "unable to find the filesystem mounted on '/' in %s",
			       mountinfo);
		return -ENOENT;
	}
	return 0;
}

/* The canonical SYSFS/devices, where a walk up stops. */
static int walk_start(const char *sysfs, struct walk *w)
{
	char path[PATH_MAX + 16];
	(void)snprintf(path, sizeof(path), "%s/devices", sysfs);
	if (!realpath(path, w->devices)) {
		int r = -errno;
		(void)snprintf(w->err, w->err_size, "unable to read %s: %s", path, strerror(-r));
		return r;
	}
	return 0;
}

int hostonly_add_device(const char *sysfs, unsigned major, unsigned minor, struct hostonly_set *out,
			char *err, size_t err_size)
{
	struct walk w = { .set = out, .err = err, .err_size = err_size };
	char path[PATH_MAX + 64], device[PATH_MAX];
	int r = walk_start(sysfs, &w);
	if (r < 0)
		return r;
	(void)snprintf(path, sizeof(path), "%s/dev/block/%u:%u", sysfs, major, minor);
	if (!realpath(path, device)) {
		r = -errno;
		(void)snprintf(err, err_size, "unable to find the block device %u:%u in %s: %s",
			       major, minor, sysfs, strerror(-r));
		return r;
	}
	return walk_block(&w, device, 0);
}

int hostonly_detect(const char *sysfs, const char *mountinfo, struct hostonly_set *out, char *err,
		    size_t err_size)
{
	struct root_mount root;
	int r = find_root_mount(mountinfo, &root, err, err_size);
	if (r < 0)
		return r;

	/* btrfs (and others with several devices) give the mount an anonymous device number: its source names the
	 * device. */
	if (root.major == 0) {
		struct stat st;
		if (root.source[0] != '/' || stat(root.source, &st) < 0 || !S_ISBLK(st.st_mode)) {
			(void)snprintf(
				err, err_size,
				"unable to find the block device that holds '/': it is %s from '%s'",
				root.fstype, root.source);
			return -ENODEV;
		}
		root.major = major(st.st_rdev);
		root.minor = minor(st.st_rdev);
	}

	struct walk w = { .set = out, .err = err, .err_size = err_size };
	char path[PATH_MAX + 64], device[PATH_MAX];
	r = walk_start(sysfs, &w);
	if (r < 0)
		return r;
	(void)snprintf(path, sizeof(path), "%s/dev/block/%u:%u", sysfs, root.major, root.minor);
	if (!realpath(path, device)) {
		r = -errno;
		(void)snprintf(
			err, err_size,
			"unable to find the block device %u:%u that holds '/' (%s from '%s') in %s: %s",
			root.major, root.minor, root.fstype, root.source, sysfs, strerror(-r));
		return r == -ENOENT ? -ENODEV : r;
	}

	out->root_device = strdup(device);
	out->fstype = strdup(root.fstype);
	if (!out->root_device || !out->fstype)
		return -ENOMEM;
	r = walk_block(&w, device, 0);
	if (r == 0) {
		char alias[80];
		(void)snprintf(alias, sizeof(alias), "fs-%s", root.fstype);
		r = add_item(out, alias, mountinfo);
	}
	return r;
}

/* A keyboard has the keys of its first row, which a power button, a lid switch or a mouse lack: the lowest word of
 * capabilities/key (the last, most significant first) has bits 1 to 31 (KEY_ESC to KEY_D), udev's test. */
static bool is_keyboard(const char *input)
{
	char path[PATH_MAX + 32], value[4096];
	(void)snprintf(path, sizeof(path), "%s/capabilities/key", input);
	if (read_line(path, value, sizeof(value)) < 0)
		return false;
	const char *last = strrchr(value, ' ');
	unsigned long long word = strtoull(last ? last + 1 : value, NULL, 16);
	return (word & 0xFFFFFFFEull) == 0xFFFFFFFEull;
}

int hostonly_add_keyboards(const char *sysfs, struct hostonly_set *out, char *err, size_t err_size)
{
	struct walk w = { .set = out, .err = err, .err_size = err_size };
	int r = walk_start(sysfs, &w);
	if (r < 0)
		return r;
	char class[PATH_MAX + 16];
	(void)snprintf(class, sizeof(class), "%s/class/input", sysfs);
	struct dirent **names;
	int n = scandir(class, &names, NULL, alphasort);
	if (n < 0) {
		r = -errno;
		if (r == -ENOENT)
			return 0;
		(void)snprintf(err, err_size, "unable to read %s: %s", class, strerror(-r));
		return r;
	}
	for (int i = 0; i < n; i++) {
		char link[PATH_MAX * 2], input[PATH_MAX];
		(void)snprintf(link, sizeof(link), "%s/%s", class, names[i]->d_name);
		/* The input device, not its event and mouse nodes; and not the input device's own modalias,
		 * which asks for evdev and joydev: a keyboard types on the console without them. */
		if (r == 0 && strncmp(names[i]->d_name, "input", 5) == 0 && realpath(link, input) &&
		    is_keyboard(input)) {
			r = add_name(&out->keyboards, &out->n_keyboards, &out->keyboard_capacity,
				     input);
			char *slash = strrchr(input, '/');
			if (r == 0 && slash) {
				*slash = '\0';
				r = walk_up(&w, input);
			}
		}
		free(names[i]);
	}
	free(names);
	return r;
}
