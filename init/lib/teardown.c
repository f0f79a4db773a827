/* Undoing the boot at shutdown: mounts, then device-mapper and md devices. */
#include "teardown.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libdevmapper.h>
#include <linux/major.h> /* MD_MAJOR, which md_u.h uses */
#include <linux/raid/md_u.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blockdev.h"
#include "sys.h"

int teardown_install(const char *dir)
{
	static const char *const dirs[] = { "dev", "proc", "sys", "run", "oldroot" };
	char path[256];
	int r = sys_mkdir_p(dir, 0755);
	for (size_t i = 0; r == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, dirs[i]);
		r = sys_mkdir_p(path, 0755);
	}
	if (r < 0)
		return r;
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	(void)snprintf(path, sizeof(path), "%s/shutdown", dir);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0755);
	if (out < 0) {
		r = -errno;
		(void)close(in);
		return r;
	}
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t done = 0, w; done < n; done += w)
			if ((w = write(out, buf + done, (size_t)(n - done))) < 0) {
				n = -1;
				break;
			}
	r = n < 0 ? -errno : 0;
	if (close(out) < 0 && r == 0)
		r = -errno;
	(void)close(in);
	return r;
}

/* mountinfo's fifth field, with its \040-style escapes decoded in place. */
static char *mount_point(char *line)
{
	char *p = line;
	for (int field = 0; field < 4 && p; field++)
		p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
	if (!p)
		return NULL;
	p[strcspn(p, " ")] = '\0';
	char *out = p;
	for (const char *in = p; *in; out++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] && in[3]) {
			*out = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 4;
		} else {
			*out = *in++;
		}
	}
	*out = '\0';
	return p;
}

int teardown_unmount_below(const char *top, struct teardown_report *report)
{
	static char text[1 << 20];
	ssize_t len = sys_read_file("/proc/self/mountinfo", text, sizeof(text));
	if (len < 0)
		return (int)len;
	/* Later lines were mounted later, on top of earlier ones: undo them from the last. */
	char *lines[4096];
	size_t count = 0, top_len = strlen(top);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && count < 4096;
	     line = strtok_r(NULL, "\n", &save)) {
		char *mp = mount_point(line);
		if (mp && strncmp(mp, top, top_len) == 0 &&
		    (mp[top_len] == '\0' || mp[top_len] == '/'))
			lines[count++] = mp;
	}
	while (count--) {
		const char *mp = lines[count];
		if (umount2(mp, 0) == 0) {
			report->unmounted++;
			continue;
		}
		/* Still busy (a process that outlived the shutdown, or the tmpfs this program runs from):
		 * keep its data safe read-only. */
		if (mount(NULL, mp, NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0)
			report->remounted_ro++;
		else
			report->busy++;
		size_t used = strlen(report->kept);
		if (used + strlen(mp) + 2 < sizeof(report->kept))
			(void)snprintf(report->kept + used, sizeof(report->kept) - used, "%s%s",
				       used ? " " : "", mp);
		(void)umount2(mp, MNT_DETACH);
	}
	return 0;
}

static bool has_holders(const char *name)
{
	char dir[300];
	(void)snprintf(dir, sizeof(dir), "/sys/block/%s", name);
	return blockdev_held(dir);
}

static int device_number(const char *name, unsigned *major, unsigned *minor)
{
	char path[300], text[32];
	(void)snprintf(path, sizeof(path), "/sys/block/%s/dev", name);
	ssize_t len = sys_read_file(path, text, sizeof(text));
	if (len < 0)
		return (int)len;
	return sscanf(text, "%u:%u", major, minor) == 2 ? 0 : -EINVAL;
}

static int dm_remove(unsigned major, unsigned minor)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_REMOVE);
	if (!dmt)
		return -ENOMEM;
	int ok = dm_task_set_major(dmt, (int)major) && dm_task_set_minor(dmt, (int)minor) &&
		dm_task_retry_remove(dmt) && dm_task_run(dmt);
	dm_task_destroy(dmt);
	return ok ? 0 : -EBUSY;
}

static int md_stop(unsigned major, unsigned minor)
{
	/* A node of our own: /dev may no longer have one, and names could point elsewhere. */
	char node[64];
	(void)snprintf(node, sizeof(node), "/dev/.rdinit-md-%u-%u", major, minor);
	(void)unlink(node);
	if (mknod(node, S_IFBLK | 0600, makedev(major, minor)) < 0)
		return -errno;
	int fd = open(node, O_RDONLY | O_CLOEXEC | O_EXCL);
	(void)unlink(node);
	if (fd < 0)
		return -errno;
	int r = ioctl(fd, STOP_ARRAY, 0) < 0 ? -errno : 0;
	(void)close(fd);
	return r;
}

int teardown_block_devices(struct teardown_report *report)
{
	dm_udev_set_sync_support(0); /* no udev to wait for */
	for (int round = 0; round < 8; round++) {
		DIR *dir = opendir("/sys/block");
		if (!dir)
			return -errno;
		unsigned changed = 0, left = 0;
		struct dirent *e;
		while ((e = readdir(dir))) {
			bool dm = strncmp(e->d_name, "dm-", 3) == 0,
			     md = strncmp(e->d_name, "md", 2) == 0;
			unsigned major, minor;
			if ((!dm && !md) || device_number(e->d_name, &major, &minor) < 0)
				continue;
			if (has_holders(e->d_name) ||
			    (dm ? dm_remove(major, minor) : md_stop(major, minor)) < 0) {
				left++;
				continue;
			}
			changed++;
			if (dm)
				report->dm_removed++;
			else
				report->md_stopped++;
		}
		(void)closedir(dir);
		report->left = left;
		if (!left || !changed)
			break;
	}
	return 0;
}
