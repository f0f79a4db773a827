/* udevdb: what udev would have recorded for the device-mapper devices the image made.
 *
 * libdevmapper in the image runs without udev (its nodes made by itself), so the real root's udev
 * meets each dm device first at coldplug, an "add" with nothing in its database. lvm2's 55-dm.rules
 * reads DM_UDEV_PRIMARY_SOURCE_FLAG from the database for such an event and, without it, takes the
 * device for one that is still being set up: no /dev/mapper link, SYSTEMD_READY=0, and a unit
 * waiting for the device times out. booster and ugrd write the same one line. */
#include "udevdb.h"
#include "sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char entry[] = "E:DM_UDEV_PRIMARY_SOURCE_FLAG=1\n";

/* The first line of sys_block/name/attr, without its newline. */
static int read_attr(const char *sys_block, const char *name, const char *attr, char *buf,
		     size_t size)
{
	char path[512];
	(void)snprintf(path, sizeof(path), "%s/%s/%s", sys_block, name, attr);
	ssize_t n = sys_read_file(path, buf, size);
	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* data_dir/bMAJ:MIN, unless there already. Returns 1 when written, 0 when there, or -errno. */
static int write_entry(const char *data_dir, const char *dev)
{
	char path[600];
	(void)snprintf(path, sizeof(path), "%s/b%s", data_dir, dev);
	int fd = sys_open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return fd == -EEXIST ? 0 : fd;
	int r = write(fd, entry, sizeof(entry) - 1) == (ssize_t)(sizeof(entry) - 1) ? 1 : -EIO;
	if (close(fd) < 0 && r > 0)
		r = -errno;
	return r;
}

/* mapper_dir/name, when it is a node of device number rdev, replaced by the link ../kname (made
 * beside it, then renamed over it: never a moment without either). Returns 1 when replaced, 0 when
 * left alone, or -errno. */
static int link_mapper(const char *mapper_dir, const char *name, const char *kname, dev_t rdev)
{
	char path[600], tmp[640], target[300];
	struct stat st;
	(void)snprintf(path, sizeof(path), "%s/%s", mapper_dir, name);
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISBLK(st.st_mode) || st.st_rdev != rdev)
		return 0;
	(void)snprintf(tmp, sizeof(tmp), "%s/.#%s.rdinit", mapper_dir, name);
	(void)snprintf(target, sizeof(target), "../%s", kname);
	(void)unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -errno;
	if (rename(tmp, path) < 0) {
		int e = errno;
		(void)unlink(tmp);
		return -e;
	}
	return 1;
}

int udevdb_hand_over_dm(const char *sys_block, const char *data_dir, const char *mapper_dir,
			struct udevdb_report *report)
{
	*report = (struct udevdb_report){ 0 };
	DIR *dir = opendir(sys_block);
	if (!dir)
		return -errno;
	int r = 0;
	bool made = false;
	struct dirent *d;
	while (r == 0 && (d = readdir(dir))) {
		char dev[32], name[256];
		unsigned major, minor;
		char rest;
		if (strncmp(d->d_name, "dm-", 3) != 0 ||
		    read_attr(sys_block, d->d_name, "dev", dev, sizeof(dev)) < 0 ||
		    sscanf(dev, "%u:%u%c", &major, &minor, &rest) != 2)
			continue;
		if (!made) {
			made = true;
			r = sys_mkdir_p(data_dir, 0755);
			if (r < 0)
				break;
		}
		r = write_entry(data_dir, dev);
		if (r > 0)
			report->entries++;
		if (r >= 0 && read_attr(sys_block, d->d_name, "dm/name", name, sizeof(name)) == 0 &&
		    name[0] && !strchr(name, '/')) {
			r = link_mapper(mapper_dir, name, d->d_name, makedev(major, minor));
			if (r > 0)
				report->links++;
		}
		r = r < 0 ? r : 0;
	}
	(void)closedir(dir);
	return r;
}
