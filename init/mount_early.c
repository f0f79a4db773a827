/* Stage: mount the API filesystems every later stage needs, and make sure of a console. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "stages.h"
#include "sys.h"

static void ensure_console(void)
{
	/* The kernel opens /dev/console for us when the image has the node; else use devtmpfs's. */
	if (fcntl(STDIN_FILENO, F_GETFD) >= 0)
		return;
	int fd = sys_open("/dev/console", O_RDWR | O_NOCTTY, 0);
	if (fd < 0)
		return;
	/* The lowest free descriptor is 0 itself, opened close-on-exec: dup2(0, 0) would keep that flag,
	 * and hooks, the shell and the real init would start with no stdin. */
	for (int i = 0; i < 3; i++)
		if (i == fd)
			(void)fcntl(fd, F_SETFD, 0);
		else
			(void)dup2(fd, i);
	if (fd > 2)
		(void)close(fd);
}

int mount_early_filesystems(struct boot *boot)
{
	static const struct {
		const char *fstype, *target;
		unsigned long flags;
		const char *data;
	} mounts[] = {
		{ "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
		{ "sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
		{ "devtmpfs", "/dev", MS_NOSUID, "mode=0755" },
		/* systemd's INITRD_INTERFACE: /run as it will keep it, strictatime included. */
		{ "tmpfs", "/run", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=0755" },
	};
	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		(void)mkdir(mounts[i].target, 0755);
		int r = sys_mount(mounts[i].fstype, mounts[i].target, mounts[i].fstype,
				  mounts[i].flags, mounts[i].data);
		if (r < 0 && r != -EBUSY)
			return boot_fail_final(boot, r, "unable to mount %s on %s: %s",
					       mounts[i].fstype, mounts[i].target, strerror(-r));
	}
	ensure_console();
	log_open();
	boot_mark(boot, "early mounts done");
	return 0;
}
