/* image: the set of paths that go into the initramfs, checked for conflicts and put in archive order. */
#include "image.h"
#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int image_path_compare(const char *a, const char *b)
{
	/* '/' ranks right after the end of a name and before every other byte, so "a", "a/b", "a-b" come in that
	 * order: each folder is directly followed by what it holds, and the kernel's unpacker never meets a path
	 * whose parent it has not created yet. */
	for (;; a++, b++) {
		unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
		if (ca == cb) {
			if (!ca)
				return 0;
			continue;
		}
		int ka = ca == '\0' ? 0 : ca == '/' ? 1 : ca + 1;
		int kb = cb == '\0' ? 0 : cb == '/' ? 1 : cb + 1;
		return ka - kb;
	}
}

static void node_free(struct image_node *node)
{
	free(node->path);
	free(node->source);
	free(node->data);
	free(node->origin);
}

void image_free(struct image *img)
{
	for (size_t i = 0; i < img->n_nodes; i++)
		node_free(&img->nodes[i]);
	free(img->nodes);
	*img = (struct image){ 0 };
}

/* Takes ownership of the strings in NODE, also on failure. */
static int image_append(struct image *img, struct image_node *node)
{
	if (!node->path || !node->origin || (node->kind == IMAGE_SLINK && !node->data)) {
		node_free(node);
		return -ENOMEM;
	}
	int r = grow_array((void **)&img->nodes, &img->capacity, img->n_nodes + 1,
			   sizeof(*img->nodes));
	if (r < 0) {
		node_free(node);
		return r;
	}
	node->seq = img->n_nodes;
	img->nodes[img->n_nodes++] = *node;
	return 0;
}

int image_add_entry(struct image *img, const struct manifest_entry *entry)
{
	struct image_node node = {
		.mode = entry->mode,
		.uid = entry->uid,
		.gid = entry->gid,
		.part = PART_FILES,
	};

	switch (entry->kind) {
	case MANIFEST_FILE:
		node.kind = IMAGE_FILE;
		break;
	case MANIFEST_HOOK:
		node.kind = IMAGE_FILE;
		node.part = PART_HOOKS;
		break;
	case MANIFEST_DIR:
		node.kind = IMAGE_DIR;
		break;
	case MANIFEST_NOD:
		node.kind = entry->dev_type == 'b' ? IMAGE_NOD_BLOCK : IMAGE_NOD_CHAR;
		node.rdev_major = entry->major;
		node.rdev_minor = entry->minor;
		break;
	case MANIFEST_SLINK:
		node.kind = IMAGE_SLINK;
		node.data = strdup(entry->location);
		node.data_len = strlen(entry->location);
		break;
	case MANIFEST_PIPE:
		node.kind = IMAGE_PIPE;
		break;
	case MANIFEST_SOCK:
		node.kind = IMAGE_SOCK;
		break;
	case MANIFEST_MODULE:
	case MANIFEST_BINARY:
	case MANIFEST_HOSTONLY:
	case MANIFEST_CRYPTTAB:
		return -EINVAL;
	}

	if (node.kind != IMAGE_FILE) {
		node.path = strdup(entry->name);
		node.origin = strdup(entry->source);
		return image_append(img, &node);
	}

	if (entry->n_hard_links)
		node.hardlink_group = ++img->n_hardlink_groups;
	for (size_t i = 0; i <= entry->n_hard_links; i++) {
		struct image_node link = node;
		link.path = strdup(i == 0 ? entry->name : entry->hard_links[i - 1]);
		link.source = strdup(entry->location);
		link.origin = strdup(entry->source);
		if (!link.source) {
			node_free(&link);
			return -ENOMEM;
		}
		int r = image_append(img, &link);
		if (r < 0)
			return r;
	}
	return 0;
}

int image_add_file(struct image *img, const char *path, const char *source, unsigned int mode,
		   enum image_part part, const char *origin)
{
	struct image_node node = {
		.kind = IMAGE_FILE,
		.part = part,
		.mode = mode,
		.path = strdup(path),
		.source = strdup(source),
		.origin = strdup(origin),
	};
	if (!node.source) {
		node_free(&node);
		return -ENOMEM;
	}
	return image_append(img, &node);
}

int image_add_symlink(struct image *img, const char *path, const char *target, enum image_part part,
		      const char *origin)
{
	struct image_node node = {
		.kind = IMAGE_SLINK,
		.part = part,
		.mode = 0777,
		.path = strdup(path),
		.data = strdup(target),
		.data_len = strlen(target),
		.origin = strdup(origin),
	};
	return image_append(img, &node);
}

int image_add_data(struct image *img, const char *path, const char *data, size_t len,
		   unsigned int mode, enum image_part part, const char *origin)
{
	struct image_node node = {
		.kind = IMAGE_FILE,
		.part = part,
		.mode = mode,
		.path = strdup(path),
		.data = malloc(len ? len : 1),
		.data_len = len,
		.origin = strdup(origin),
	};
	if (!node.data) {
		node_free(&node);
		return -ENOMEM;
	}
	memcpy(node.data, data, len);
	return image_append(img, &node);
}

void image_node_describe(const struct image_node *node, char *buf, size_t size)
{
	static const char *const keywords[] = {
		[IMAGE_FILE] = "file",	  [IMAGE_DIR] = "dir",	   [IMAGE_NOD_BLOCK] = "nod",
		[IMAGE_NOD_CHAR] = "nod", [IMAGE_SLINK] = "slink", [IMAGE_PIPE] = "pipe",
		[IMAGE_SOCK] = "sock",
	};
	const char *keyword = keywords[node->kind];

	switch (node->kind) {
	case IMAGE_FILE:
		(void)snprintf(buf, size, "%s %s %04o %u %u%s", keyword,
			       node->source ? node->source : "(generated)", node->mode, node->uid,
			       node->gid, node->hardlink_group ? " with hard links" : "");
		break;
	case IMAGE_NOD_BLOCK:
	case IMAGE_NOD_CHAR:
		(void)snprintf(buf, size, "%s %04o %u %u %c %u %u", keyword, node->mode, node->uid,
			       node->gid, node->kind == IMAGE_NOD_BLOCK ? 'b' : 'c',
			       node->rdev_major, node->rdev_minor);
		break;
	case IMAGE_SLINK:
		(void)snprintf(buf, size, "%s %s %04o %u %u", keyword, node->data, node->mode,
			       node->uid, node->gid);
		break;
	default:
		(void)snprintf(buf, size, "%s %04o %u %u", keyword, node->mode, node->uid,
			       node->gid);
		break;
	}
}

static int node_compare(const void *a, const void *b)
{
	const struct image_node *x = a, *y = b;
	int c = image_path_compare(x->path, y->path);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int node_find(const struct image_node *nodes, size_t n, const char *path)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = image_path_compare(nodes[mid].path, path);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b);
}

/* Two hooks may each list "dir /lib 0755 0 0"; that is one folder, not a conflict. The same goes for a file that
 * one hook lists with `file` and another brings with `binary`: the part only sorts the summary. A hard-linked file
 * is never identical to another line: merging it would lose a link. */
static bool nodes_identical(const struct image_node *a, const struct image_node *b)
{
	return a->kind == b->kind && a->mode == b->mode && a->uid == b->uid && a->gid == b->gid &&
		a->rdev_major == b->rdev_major && a->rdev_minor == b->rdev_minor &&
		strcmp_null(a->source, b->source) == 0 && a->data_len == b->data_len &&
		(a->data_len == 0 || memcmp(a->data, b->data, a->data_len) == 0) &&
		a->hardlink_group == 0 && b->hardlink_group == 0;
}

static void sort_nodes(struct image *img)
{
	qsort(img->nodes, img->n_nodes, sizeof(*img->nodes), node_compare);
}

/* Drops identical duplicates (the image is sorted); a differing duplicate is an error naming both. */
static int merge_duplicates(struct image *img, char *err, size_t err_size)
{
	size_t kept = 0;
	for (size_t i = 0; i < img->n_nodes; i++) {
		struct image_node *node = &img->nodes[i];
		if (kept > 0 && strcmp(img->nodes[kept - 1].path, node->path) == 0) {
			struct image_node *first = &img->nodes[kept - 1];
			if (!nodes_identical(first, node)) {
				char a[512], b[512];
				image_node_describe(first, a, sizeof(a));
				image_node_describe(node, b, sizeof(b));
				(void)snprintf(
					err, err_size,
					"conflicting entries for '/%s': '%s' at %s and '%s' at %s",
					node->path, a, first->origin, b, node->origin);
				return -EINVAL;
			}
			node_free(node);
			continue;
		}
		img->nodes[kept++] = *node;
	}
	img->n_nodes = kept;
	return 0;
}

static int add_missing_parents(struct image *img, char *err, size_t err_size)
{
	size_t n_listed = img->n_nodes;
	for (size_t i = 0; i < n_listed; i++) {
		/* A copy, cut at each '/' in turn: the node's own path must stay intact for the search below. */
		char *path = strdup(img->nodes[i].path);
		if (!path)
			return -ENOMEM;
		int r = 0;
		for (char *slash = strchr(path, '/'); slash && r == 0;
		     slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			int found = node_find(img->nodes, n_listed, path);
			if (found >= 0 && img->nodes[found].kind != IMAGE_DIR) {
				char what[512];
				image_node_describe(&img->nodes[found], what, sizeof(what));
				(void)snprintf(
					err, err_size,
					"'/%s' at %s needs '/%s' to be a folder, but it is '%s' at %s",
					img->nodes[i].path, img->nodes[i].origin, path, what,
					img->nodes[found].origin);
				r = -EINVAL;
			} else if (found < 0) {
				char *origin;
				if (asprintf(&origin, "parent of '/%s'", img->nodes[i].path) < 0)
					origin = NULL;
				struct image_node parent = {
					.kind = IMAGE_DIR,
					.mode = 0755,
					.path = strdup(path),
					.origin = origin,
					.implicit = true,
				};
				r = image_append(img, &parent);
			}
			*slash = '/';
		}
		free(path);
		if (r < 0)
			return r;
	}
	sort_nodes(img);
	/* A parent shared by several paths was added once for each; those copies are identical and merge. */
	return merge_duplicates(img, err, err_size);
}

static int measure_files(struct image *img, char *err, size_t err_size)
{
	for (size_t i = 0; i < img->n_nodes; i++) {
		struct image_node *node = &img->nodes[i];
		node->size = node->data_len;
		if (node->kind != IMAGE_FILE || !node->source)
			continue;

		struct stat st;
		int r = stat(node->source, &st) < 0 ? -errno : 0;
		if (r == 0 && !S_ISREG(st.st_mode))
			r = -EINVAL;
		if (r < 0) {
			(void)snprintf(err, err_size, "%s: unable to add '/%s' from '%s': %s",
				       node->origin, node->path, node->source,
				       r == -EINVAL ? "not a regular file" : strerror(-r));
			return r;
		}
		node->size = (uint64_t)st.st_size;
	}
	return 0;
}

/* newc carries 32-bit inode numbers; counting from 1 in archive order makes them the same on every run. */
static int number_inodes(struct image *img)
{
	size_t n_groups = img->n_hardlink_groups + 1;
	uint32_t *group_ino = calloc(n_groups, sizeof(*group_ino));
	uint32_t *group_links = calloc(n_groups, sizeof(*group_links));
	size_t *group_last = calloc(n_groups, sizeof(*group_last));
	if (!group_ino || !group_links || !group_last) {
		free(group_ino);
		free(group_links);
		free(group_last);
		return -ENOMEM;
	}

	uint32_t ino = 0;
	for (size_t i = 0; i < img->n_nodes; i++) {
		struct image_node *node = &img->nodes[i];
		size_t group = node->hardlink_group;
		if (group == 0) {
			node->ino = ++ino;
			/* As gen_init_cpio: a folder's "." and its entry in the parent. */
			node->nlink = node->kind == IMAGE_DIR ? 2 : 1;
			node->carries_data = true;
			continue;
		}
		if (group_ino[group] == 0)
			group_ino[group] = ++ino;
		node->ino = group_ino[group];
		group_links[group]++;
		group_last[group] = i;
	}
	for (size_t i = 0; i < img->n_nodes; i++) {
		struct image_node *node = &img->nodes[i];
		size_t group = node->hardlink_group;
		if (group == 0)
			continue;
		node->nlink = group_links[group];
		node->carries_data = group_last[group] == i;
	}

	free(group_ino);
	free(group_links);
	free(group_last);
	return 0;
}

int image_finalize(struct image *img, char *err, size_t err_size)
{
	sort_nodes(img);
	int r = merge_duplicates(img, err, err_size);
	if (r < 0)
		return r;
	r = add_missing_parents(img, err, err_size);
	if (r < 0)
		return r;
	r = measure_files(img, err, err_size);
	if (r < 0)
		return r;
	return number_inodes(img);
}
