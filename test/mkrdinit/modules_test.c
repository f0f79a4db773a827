/* Where mkrdinit looks for a kernel's modules without -m: /lib/modules (Debian 12), else /usr/lib/modules (merged
 * /usr: Debian 13, Fedora, Arch). Against fixture roots in a scratch folder. Prints TAP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "fileio.h"
#include "modules.h"

static void make_dir(const char *root, const char *rel)
{
	char path[4096];
	(void)snprintf(path, sizeof(path), "%s/%s/", root, rel);
	(void)mkdir_parents(path);
}

int main(void)
{
	char root[] = "/tmp/modules_test.XXXXXX";
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	char *tree = NULL, want[4096];

	CHECK(modules_find_tree(root, "6.12.0-test", &tree) == -ENOENT,
	      "no modules anywhere: -ENOENT");

	make_dir(root, "usr/lib/modules/6.12.0-test");
	CHECK(modules_find_tree(root, "6.12.0-test", &tree) == 0,
	      "only /usr/lib/modules/KVER (Debian 13): found");
	(void)snprintf(want, sizeof(want), "%s/usr/lib/modules/6.12.0-test", root);
	CHECK_STR(tree, want, "it is /usr/lib/modules/KVER");
	free(tree);
	tree = NULL;

	CHECK(modules_find_tree(root, "6.1.0-test", &tree) == -ENOENT,
	      "another kernel's release: not found");

	make_dir(root, "lib/modules/6.12.0-test");
	CHECK(modules_find_tree(root, "6.12.0-test", &tree) == 0, "both: found");
	(void)snprintf(want, sizeof(want), "%s/lib/modules/6.12.0-test", root);
	CHECK_STR(tree, want, "/lib/modules/KVER comes first, as on Debian 12");
	free(tree);

	char cmd[4200];
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	(void)!system(cmd);
	return check_done();
}
