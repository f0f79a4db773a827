/* list: writes an image as the kernel's usr/gen_init_cpio list, for CONFIG_INITRAMFS_SOURCE.
 *
 * The list says the same thing as the archive: mkrdinit reading it back as a manifest builds the same bytes
 * (test/mkrdinit/archive_test.sh checks that), and the kernel's gen_init_cpio reads it as it reads its own. */
#include "list.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool list_needs_data_dir(const struct image *img)
{
	for (size_t i = 0; i < img->n_nodes; i++)
		if (img->nodes[i].kind == IMAGE_FILE && !img->nodes[i].source)
			return true;
	return false;
}

/* gen_init_cpio splits a line at blanks and expands ${VAR} in a location: a word with either cannot be said. */
static int check_word(const char *word, const char *what, const char *path, char *err,
		      size_t err_size)
{
	if (strpbrk(word, " \t\n\r\v\f") || strstr(word, "${")) {
		(void)snprintf(
			err, err_size,
			"unable to write '/%s' in a gen_init_cpio list: its %s '%s' has a blank or '${'",
			path, what, word);
		return -EINVAL;
	}
	return 0;
}

/* Whether any folder of PATH below its first SKIP bytes (DATA_DIR) is a symbolic link: -ELOOP if so. Looked at
 * before the folders are made, which would otherwise go where a link points. */
static int check_no_symlink_below(char *path, size_t skip)
{
	for (char *slash = strchr(path + skip + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		struct stat st;
		int r = lstat(path, &st) < 0 ? -errno : S_ISLNK(st.st_mode) ? -ELOOP : 0;
		*slash = '/';
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return r;
	}
	return 0;
}

/* Creates PATH anew: never through a symbolic link someone put there (O_NOFOLLOW, O_EXCL), which could point at
 * any file of the machine. A regular file of an earlier run is replaced. */
static int create_new(const char *path)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
		struct stat st;
		if (lstat(path, &st) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			return S_ISLNK(st.st_mode) ? -ELOOP : -EEXIST;
		if (unlink(path) < 0)
			return -errno;
	}
	return -EEXIST;
}

/* Writes a generated file to DATA_DIR/PATH and returns that path in *OUT. */
static int write_generated(const char *data_dir, const struct image_node *node, char **out,
			   char *err, size_t err_size)
{
	char *path;
	if (asprintf(&path, "%s/%s", data_dir, node->path) < 0)
		return -ENOMEM;
	int r = check_no_symlink_below(path, strlen(data_dir));
	if (r == 0)
		r = mkdir_parents(path);
	int fd = r < 0 ? r : create_new(path);
	if (r == 0 && fd < 0)
		r = fd;
	if (r == 0)
		r = write_all(fd, node->data, node->data_len);
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	if (r == -ELOOP)
		(void)snprintf(
			err, err_size,
			"unable to write %s: it, or a folder on its way from %s, is a symbolic "
			"link, which mkrdinit neither follows nor replaces",
			path, data_dir);
	else if (r == -EEXIST)
		(void)snprintf(err, err_size,
			       "unable to write %s: it is there and not a regular file", path);
	else if (r < 0)
		(void)snprintf(err, err_size, "unable to write %s: %s", path, strerror(-r));
	if (r < 0) {
		free(path);
		return r;
	}
	*out = path;
	return 0;
}

/* SOURCE as an absolute path: the kernel's build runs gen_init_cpio in another folder. */
static char *absolute(const char *source)
{
	if (source[0] == '/')
		return strdup(source);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	char *path;
	return asprintf(&path, "%s/%s", cwd, source) < 0 ? NULL : path;
}

static int write_file_line(FILE *f, const struct image *img, size_t index, const char *data_dir,
			   char *err, size_t err_size)
{
	const struct image_node *node = &img->nodes[index];
	/* A hard-linked inode is one line, at its first name; its other names follow as <hard links>. */
	if (node->hardlink_group)
		for (size_t j = 0; j < index; j++)
			if (img->nodes[j].hardlink_group == node->hardlink_group)
				return 0;

	char *location = NULL;
	int r = 0;
	if (node->source) {
		location = absolute(node->source);
		if (!location)
			r = -ENOMEM;
	} else
		r = write_generated(data_dir, node, &location, err, err_size);
	if (r == 0)
		r = check_word(location, "location", node->path, err, err_size);
	if (r < 0) {
		free(location);
		return r;
	}
	fprintf(f, "file /%s %s %04o %u %u", node->path, location, node->mode, node->uid,
		node->gid);
	free(location);
	for (size_t j = index + 1; node->hardlink_group && j < img->n_nodes; j++)
		if (img->nodes[j].hardlink_group == node->hardlink_group)
			fprintf(f, " /%s", img->nodes[j].path);
	fputc('\n', f);
	return 0;
}

int list_write(const struct image *img, const char *data_dir, int fd, uint64_t *bytes, char *err,
	       size_t err_size)
{
	if (!data_dir && list_needs_data_dir(img)) {
		(void)snprintf(
			err, err_size,
			"unable to write the list: the image has generated files and no folder to "
			"write them in (--list-dir)");
		return -EINVAL;
	}

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return -errno;
	fputs("# initramfs list written by mkrdinit, in the format of the kernel's usr/gen_init_cpio\n",
	      f);

	int r = 0;
	for (size_t i = 0; i < img->n_nodes && r == 0; i++) {
		const struct image_node *node = &img->nodes[i];
		r = check_word(node->path, "name", node->path, err, err_size);
		if (r < 0)
			break;
		switch (node->kind) {
		case IMAGE_FILE:
			r = write_file_line(f, img, i, data_dir, err, err_size);
			break;
		case IMAGE_DIR:
			fprintf(f, "dir /%s %04o %u %u\n", node->path, node->mode, node->uid,
				node->gid);
			break;
		case IMAGE_NOD_BLOCK:
		case IMAGE_NOD_CHAR:
			fprintf(f, "nod /%s %04o %u %u %c %u %u\n", node->path, node->mode,
				node->uid, node->gid, node->kind == IMAGE_NOD_BLOCK ? 'b' : 'c',
				node->rdev_major, node->rdev_minor);
			break;
		case IMAGE_SLINK:
			r = check_word(node->data, "target", node->path, err, err_size);
			if (r == 0)
				fprintf(f, "slink /%s %s %04o %u %u\n", node->path, node->data,
					node->mode, node->uid, node->gid);
			break;
		case IMAGE_PIPE:
			fprintf(f, "pipe /%s %04o %u %u\n", node->path, node->mode, node->uid,
				node->gid);
			break;
		case IMAGE_SOCK:
			fprintf(f, "sock /%s %04o %u %u\n", node->path, node->mode, node->uid,
				node->gid);
			break;
		}
	}
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0) {
		r = write_all(fd, text, len);
		if (r < 0)
			(void)snprintf(err, err_size, "%s", strerror(-r));
		*bytes = len;
	}
	free(text);
	return r;
}
