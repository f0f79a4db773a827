/* udevdb_hand_over_dm(): for each dm device of a fixture /sys/block, one udev database entry, in a
 * folder it makes, and its /dev/mapper node replaced by udev's link; other devices, unreadable dev
 * files, entries already there, links and nodes of other devices are left alone. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../check.h"
#include "udevdb.h"

static char top[64];

static void put(const char *rel, const char *content)
{
	char path[256], cmd[300];
	(void)snprintf(path, sizeof(path), "%s/%s", top, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	(void)snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	(void)!system(cmd);
	*slash = '/';
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	(void)!write(fd, content, strlen(content));
	(void)close(fd);
}

static const char *content(const char *rel)
{
	static char buf[256];
	char path[256];
	(void)snprintf(path, sizeof(path), "%s/%s", top, rel);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* What mapper/name is now: "link TARGET", "node MAJ:MIN", "missing" or "other". */
static const char *what(const char *name)
{
	static char buf[300];
	char path[256];
	struct stat st;
	(void)snprintf(path, sizeof(path), "%s/dev/mapper/%s", top, name);
	if (lstat(path, &st) < 0)
		return "missing";
	if (S_ISLNK(st.st_mode)) {
		char target[200];
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		(void)snprintf(buf, sizeof(buf), "link %s", target);
	} else if (S_ISBLK(st.st_mode)) {
		(void)snprintf(buf, sizeof(buf), "node %u:%u", major(st.st_rdev),
			       minor(st.st_rdev));
	} else {
		return "other";
	}
	return buf;
}

static void node(const char *name, unsigned maj, unsigned min)
{
	char path[256];
	(void)snprintf(path, sizeof(path), "%s/dev/mapper/%s", top, name);
	(void)mknod(path, S_IFBLK | 0600, makedev(maj, min));
}

int main(void)
{
	(void)snprintf(top, sizeof(top), "/tmp/udevdb-test.XXXXXX");
	if (!mkdtemp(top))
		return 1;
	char sys[128], data[128], mapper[128];
	(void)snprintf(sys, sizeof(sys), "%s/sys/block", top);
	(void)snprintf(data, sizeof(data), "%s/run/udev/data", top);
	(void)snprintf(mapper, sizeof(mapper), "%s/dev/mapper", top);
	{
		char devdir[128];
		(void)snprintf(devdir, sizeof(devdir), "%s/dev", top);
		(void)mkdir(devdir, 0755);
	}
	struct udevdb_report rep;

	CHECK(udevdb_hand_over_dm(sys, data, mapper, &rep) == -ENOENT && rep.entries == 0,
	      "no /sys/block: -ENOENT, nothing written");

	put("sys/block/vda/dev", "254:0\n");
	put("sys/block/md127/dev", "9:127\n");
	CHECK(udevdb_hand_over_dm(sys, data, mapper, &rep) == 0 && rep.entries == 0,
	      "no dm device: nothing written");
	struct stat st;
	CHECK(stat(data, &st) < 0 && errno == ENOENT,
	      "no dm device: /run/udev/data not made either");

	put("sys/block/dm-0/dev", "253:0\n");
	put("sys/block/dm-0/dm/name", "vda3_crypt\n");
	put("sys/block/dm-1/dev", "253:1\n");
	put("sys/block/dm-1/dm/name", "vg-root\n");
	put("sys/block/dm-2/dev", "not a device number\n");
	put("sys/block/dm-3/size", "8\n"); /* no dev file */
	put("sys/block/dm-4/dev", "253:4\n");
	put("sys/block/dm-4/dm/name", "vg-swap\n");
	put("run/udev/data/b253:1", "E:KEPT=1\n");
	bool root = geteuid() == 0;
	if (root) {
		(void)mkdir(mapper, 0755);
		node("vda3_crypt", 253, 0);
		node("vg-root", 253, 1);
		node("vg-swap", 8, 1); /* a node of another device under that name */
	}
	CHECK(udevdb_hand_over_dm(sys, data, mapper, &rep) == 0 && rep.entries == 2,
	      "three dm devices, one entry already there: two written (got %u)", rep.entries);
	CHECK_STR(content("run/udev/data/b253:0"), "E:DM_UDEV_PRIMARY_SOURCE_FLAG=1\n",
		  "dm-0's entry: the flag 55-dm.rules reads at coldplug");
	CHECK_STR(content("run/udev/data/b253:1"), "E:KEPT=1\n", "an entry already there is kept");
	CHECK(content("run/udev/data/b254:0") == NULL && content("run/udev/data/b9:127") == NULL,
	      "no entry for a disk or an md array");
	if (root) {
		CHECK(rep.links == 2, "two nodes made links (got %u)", rep.links);
		CHECK_STR(what("vda3_crypt"), "link ../dm-0",
			  "mapper/vda3_crypt: udev's link to ../dm-0");
		CHECK_STR(what("vg-root"), "link ../dm-1",
			  "mapper/vg-root: a link, also where its entry was kept");
		CHECK_STR(what("vg-swap"), "node 8:1",
			  "a node of another device number is left alone");
		CHECK(udevdb_hand_over_dm(sys, data, mapper, &rep) == 0 && rep.entries == 0 &&
			      rep.links == 0,
		      "a second run changes nothing");
		CHECK_STR(what("vda3_crypt"), "link ../dm-0", "and the link stays");
	} else {
		printf("ok %d - /dev/mapper nodes # SKIP mknod needs root\n", ++check_count);
	}

	/* /run/udev a file, not a folder: nowhere to write, said so. */
	put("bad/udev", "a file\n");
	(void)snprintf(data, sizeof(data), "%s/bad/udev/data", top);
	int r = udevdb_hand_over_dm(sys, data, mapper, &rep);
	CHECK(r == -ENOTDIR && rep.entries == 0,
	      "data folder under a file: -ENOTDIR, nothing written (%s)", strerror(-r));

	char cmd[200];
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	(void)!system(cmd);
	return check_done();
}
