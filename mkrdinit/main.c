/* mkrdinit: builds an initramfs image from hook manifests.
 *
 * Reads every hook's manifest, resolves the `module` lines with libkmod, builds the image's own module indexes
 * with depmod, checks the whole set of paths for conflicts, then writes a reproducible newc cpio archive to a
 * temporary file that is renamed over the output only once complete. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "image.h"
#include "manifest.h"
#include "modules.h"
#include "newc.h"

#define EXIT_BAD_INPUT 1
#define EXIT_USAGE 2

#define KERNEL_VERSION_PATH "etc/rdinit/kernel-version"

static const char usage_text[] =
	"Usage: mkrdinit [OPTION]... HOOK...\n"
	"Build an initramfs image, a newc cpio archive, from the manifests of the HOOK folders, in the order given.\n"
	"\n"
	"  -k, --kernel-version=KVER  kernel release whose modules go in (default: that of the running kernel)\n"
	"  -m, --modules-dir=DIR      folder that holds KVER/ (default: /lib/modules)\n"
	"  -o, --output=FILE          write the image to FILE (default: standard output, unless a terminal);\n"
	"                             FILE appears only once complete, and not at all if the build fails\n"
	"  -c, --compress=METHOD      none, gzip, zstd or xz (default: none); xz is written with a CRC32 check,\n"
	"                             the only kind the kernel's decompressor accepts\n"
	"  -D, --define=VAR=VALUE     value of ${VAR} in file locations; overrides the environment\n"
	"      --depmod=PROGRAM       depmod that builds the image's module indexes (default: depmod from PATH,\n"
	"                             then /usr/sbin/depmod, /sbin/depmod)\n"
	"  -h, --help                 show this help and exit\n"
	"  -V, --version              show the version and exit\n"
	"\n"
	"Each HOOK folder holds a file named manifest, in the format of the kernel's usr/gen_init_cpio list:\n"
	"  file <name> <location> <mode> <uid> <gid> [<hard links>]\n"
	"  dir <name> <mode> <uid> <gid>\n"
	"  nod <name> <mode> <uid> <gid> <dev_type> <maj> <min>      (dev_type: b or c)\n"
	"  slink <name> <target> <mode> <uid> <gid>\n"
	"  pipe <name> <mode> <uid> <gid>\n"
	"  sock <name> <mode> <uid> <gid>\n"
	"  module <name or alias>\n"
	"<mode> is octal, <uid>, <gid>, <maj> and <min> decimal. Lines whose first word starts with '#' are comments.\n"
	"${VAR} in a <location> is replaced by its value, and an undefined VAR is an error; a relative <location>\n"
	"is relative to the hook folder. Missing parent folders are added as 0755 0 0; identical lines from\n"
	"several hooks merge, different ones for the same path are an error.\n"
	"`module` takes the module, its modules.dep closure and its softdeps (as `modprobe` would load them) from\n"
	"DIR/KVER, as files under /lib/modules/KVER/ with the same relative paths; builtin modules need no file.\n"
	"The image then also gets its own modules.* indexes, made by depmod, and /" KERNEL_VERSION_PATH ".\n"
	"\n"
	"The image is reproducible: entries are sorted by path, inodes numbered in that order, and every\n"
	"modification time is SOURCE_DATE_EPOCH (seconds since 1970, from the environment; default 0).\n"
	"What went in is summed up on standard error.\n"
	"\n"
	"Exit status: 0 the image was written; 1 bad input (a manifest error, a missing file or module, a conflict)\n"
	"or a failure to build or write the image; 2 bad usage.\n";

enum { OPTION_DEPMOD = 0x100 };

struct options {
	const char *kver;
	const char *modules_dir;
	const char *output;
	enum compression compression;
	const char *depmod;
	char **defines; /* "VAR=VALUE" */
	size_t n_defines;
	char **hooks;
	size_t n_hooks;
	int64_t mtime;
};

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void complain(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mkrdinit: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mkrdinit: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'mkrdinit --help'.\n", stderr);
	va_end(ap);
	exit(EXIT_USAGE);
}

/* -D wins over the environment, and a later -D over an earlier one. */
static const char *lookup_variable(const char *name, void *userdata)
{
	const struct options *opts = userdata;
	size_t len = strlen(name);
	for (size_t i = opts->n_defines; i-- > 0;)
		if (strncmp(opts->defines[i], name, len) == 0 && opts->defines[i][len] == '=')
			return opts->defines[i] + len + 1;
	return getenv(name);
}

static int64_t source_date_epoch(void)
{
	const char *text = getenv("SOURCE_DATE_EPOCH");
	if (!text)
		return 0;
	/* newc stores the time in 32 bits. */
	uint64_t value = 0;
	const char *p;
	for (p = text; *p >= '0' && *p <= '9' && value <= UINT32_MAX; p++)
		value = value * 10 + (uint64_t)(*p - '0');
	if (p == text || *p || value > UINT32_MAX)
		usage_error("SOURCE_DATE_EPOCH: expected seconds since 1970 as a decimal number up to %u, got '%s'",
		            UINT32_MAX, text);
	return (int64_t)value;
}

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* depmod lives in /usr/sbin or /sbin, which an unprivileged user's PATH often lacks. */
static const char *default_depmod(void)
{
	const char *path = getenv("PATH");
	while (path && *path) {
		size_t len = strcspn(path, ":");
		char candidate[4096];
		if (len > 0 && snprintf(candidate, sizeof(candidate), "%.*s/depmod", (int)len, path) < (int)sizeof(candidate)
		    && is_executable_file(candidate))
			return "depmod";
		path += len + (path[len] == ':');
	}
	if (is_executable_file("/usr/sbin/depmod"))
		return "/usr/sbin/depmod";
	if (is_executable_file("/sbin/depmod"))
		return "/sbin/depmod";
	return "depmod";
}

static void parse_options(int argc, char **argv, struct options *opts)
{
	static const struct option long_options[] = {
		{ "kernel-version", required_argument, NULL, 'k' },
		{ "modules-dir", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "compress", required_argument, NULL, 'c' },
		{ "define", required_argument, NULL, 'D' },
		{ "depmod", required_argument, NULL, OPTION_DEPMOD },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};

	*opts = (struct options){ .modules_dir = "/lib/modules", .output = "-", .compression = COMPRESSION_NONE };
	opts->defines = calloc((size_t)argc, sizeof(*opts->defines));
	if (!opts->defines) {
		complain("unable to parse options: %s", strerror(ENOMEM));
		exit(EXIT_BAD_INPUT);
	}

	int c;
	while ((c = getopt_long(argc, argv, "k:m:o:c:D:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (!*optarg || strchr(optarg, '/') || strcmp(optarg, ".") == 0 || strcmp(optarg, "..") == 0)
				usage_error("--kernel-version: expected a kernel release such as 6.1.0-13-amd64, got '%s'",
				            optarg);
			opts->kver = optarg;
			break;
		case 'm':
			opts->modules_dir = optarg;
			break;
		case 'o':
			opts->output = optarg;
			break;
		case 'c':
			if (compression_from_name(optarg, &opts->compression) < 0)
				usage_error("--compress: expected none, gzip, zstd or xz, got '%s'", optarg);
			break;
		case 'D': {
			const char *eq = strchr(optarg, '=');
			if (!eq || !manifest_is_variable_name(optarg, (size_t)(eq - optarg)))
				usage_error("-D: expected VAR=VALUE with VAR made of letters, digits and '_', got '%s'", optarg);
			opts->defines[opts->n_defines++] = optarg;
			break;
		}
		case OPTION_DEPMOD:
			opts->depmod = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_SUCCESS);
		case 'V':
			printf("mkrdinit %s\n", RDINIT_VERSION);
			exit(EXIT_SUCCESS);
		default:
			fputs("Try 'mkrdinit --help'.\n", stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind >= argc)
		usage_error("expected at least one HOOK folder");
	opts->hooks = argv + optind;
	opts->n_hooks = (size_t)(argc - optind);
	if (strcmp(opts->output, "-") == 0 && isatty(STDOUT_FILENO))
		usage_error("refusing to write an image to a terminal; use -o FILE");
	opts->mtime = source_date_epoch();
}

/* Reads every hook's manifest into M. */
static int read_manifests(const struct options *opts, struct manifest *m, char **display_names)
{
	for (size_t i = 0; i < opts->n_hooks; i++) {
		char *hook = opts->hooks[i];
		size_t len = strlen(hook);
		while (len > 1 && hook[len - 1] == '/')
			hook[--len] = '\0';
		if (asprintf(&display_names[i], "%s/manifest", hook) < 0) {
			display_names[i] = NULL;
			complain("unable to read %s/manifest: %s", hook, strerror(ENOMEM));
			return -ENOMEM;
		}
		struct manifest_context ctx = {
			.display_name = display_names[i],
			.base_dir = hook,
			.lookup = lookup_variable,
			.lookup_userdata = (void *)opts,
		};
		char err[1024] = "";
		int r = manifest_parse_file(m, display_names[i], &ctx, err, sizeof(err));
		if (r < 0) {
			if (err[0])
				complain("%s", err);
			else
				complain("unable to read %s: %s", display_names[i], strerror(-r));
			return r;
		}
	}
	return 0;
}

static int add_modules(const struct options *opts, const struct manifest *m, struct image *img)
{
	size_t n_requests = 0;
	for (size_t i = 0; i < m->n_entries; i++)
		n_requests += m->entries[i].kind == MANIFEST_MODULE;
	if (n_requests == 0)
		return 0;

	struct utsname uts;
	const char *kver = opts->kver;
	if (!kver) {
		if (uname(&uts) < 0) {
			int r = -errno;
			complain("unable to find the running kernel's release: %s; use -k KVER", strerror(-r));
			return r;
		}
		kver = uts.release;
	}

	/* Canonical, because libkmod makes the tree absolute and the files' paths in the image are what follows it. */
	char *given_tree;
	if (asprintf(&given_tree, "%s/%s", opts->modules_dir, kver) < 0) {
		complain("unable to resolve modules: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	char *tree = realpath(given_tree, NULL);
	if (!tree) {
		int r = -errno;
		complain("unable to find the modules of kernel %s at %s: %s", kver, given_tree, strerror(-r));
		free(given_tree);
		return r;
	}
	free(given_tree);

	struct module_request *requests = calloc(n_requests, sizeof(*requests));
	if (!requests) {
		free(tree);
		complain("unable to resolve modules: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	size_t n = 0;
	for (size_t i = 0; i < m->n_entries; i++)
		if (m->entries[i].kind == MANIFEST_MODULE)
			requests[n++] = (struct module_request){ .name = m->entries[i].name, .origin = m->entries[i].source };

	struct module_set set = { 0 };
	struct module_indexes indexes = { 0 };
	char err[1024] = "";
	int r = modules_resolve(tree, requests, n_requests, &set, err, sizeof(err));
	if (r == 0)
		r = modules_build_indexes(tree, kver, &set, opts->depmod ? opts->depmod : default_depmod(), &indexes, err,
		                          sizeof(err));
	if (r < 0) {
		complain("%s", err[0] ? err : strerror(-r));
		goto finish;
	}

	for (size_t i = 0; i < set.n_files && r == 0; i++) {
		char *path;
		if (asprintf(&path, "lib/modules/%s/%s", kver, set.files[i].relpath) < 0)
			r = -ENOMEM;
		else {
			r = image_add_file(img, path, set.files[i].path, 0644, PART_MODULES, set.files[i].origin);
			free(path);
		}
	}
	for (size_t i = 0; i < indexes.n_files && r == 0; i++) {
		char *path;
		if (asprintf(&path, "lib/modules/%s/%s", kver, indexes.files[i].name) < 0)
			r = -ENOMEM;
		else {
			r = image_add_data(img, path, indexes.files[i].data, indexes.files[i].len, 0644, PART_MODULE_INDEXES,
			                   "depmod");
			free(path);
		}
	}
	/* Lets /init tell "this image is for another kernel" from "no such module" by comparing it with uname -r,
	 * and say so once instead of failing every modprobe. */
	if (r == 0) {
		char *line;
		int len = asprintf(&line, "%s\n", kver);
		if (len < 0)
			r = -ENOMEM;
		else {
			r = image_add_data(img, KERNEL_VERSION_PATH, line, (size_t)len, 0644, PART_MODULE_INDEXES, "mkrdinit");
			free(line);
		}
	}
	if (r < 0)
		complain("unable to add modules to the image: %s", strerror(-r));

finish:
	module_set_free(&set);
	module_indexes_free(&indexes);
	free(requests);
	free(tree);
	return r;
}

static int build_image(const struct options *opts, struct image *img)
{
	struct manifest m = { 0 };
	char **display_names = calloc(opts->n_hooks, sizeof(*display_names));
	if (!display_names) {
		complain("unable to read the manifests: %s", strerror(ENOMEM));
		return -ENOMEM;
	}

	int r = read_manifests(opts, &m, display_names);
	for (size_t i = 0; i < m.n_entries && r == 0; i++) {
		if (m.entries[i].kind == MANIFEST_MODULE)
			continue;
		r = image_add_entry(img, &m.entries[i]);
		if (r < 0)
			complain("unable to add %s: %s", m.entries[i].source, strerror(-r));
	}
	if (r == 0)
		r = add_modules(opts, &m, img);
	if (r == 0) {
		char err[2048] = "";
		r = image_finalize(img, err, sizeof(err));
		if (r < 0)
			complain("%s", err[0] ? err : strerror(-r));
	}

	manifest_free(&m);
	for (size_t i = 0; i < opts->n_hooks; i++)
		free(display_names[i]);
	free(display_names);
	return r;
}

/* The image goes to a temporary file next to OUTPUT that is renamed over it when complete, so that a failed
 * build leaves no file (or the previous one) rather than half an image. */
static int write_output(const struct options *opts, const struct image *img, struct newc_stats *stats)
{
	char err[1024] = "";
	if (strcmp(opts->output, "-") == 0) {
		int r = newc_write(img, STDOUT_FILENO, opts->compression, opts->mtime, stats, err, sizeof(err));
		if (r < 0)
			complain("unable to write the image to standard output: %s", err[0] ? err : strerror(-r));
		return r;
	}

	char *temp;
	if (asprintf(&temp, "%s.tmpXXXXXX", opts->output) < 0) {
		complain("unable to write %s: %s", opts->output, strerror(ENOMEM));
		return -ENOMEM;
	}
	int fd = mkostemp(temp, O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		complain("unable to create a temporary file next to %s: %s", opts->output, strerror(-r));
		free(temp);
		return r;
	}

	/* mkostemp() makes the file 0600; an image is as readable as any new file. */
	mode_t mask = umask(0);
	(void)umask(mask);
	int r = fchmod(fd, 0666 & ~mask) < 0 ? -errno : 0;
	if (r < 0)
		complain("unable to set the mode of %s: %s", temp, strerror(-r));
	if (r == 0) {
		r = newc_write(img, fd, opts->compression, opts->mtime, stats, err, sizeof(err));
		if (r < 0)
			complain("unable to write %s: %s", opts->output, err[0] ? err : strerror(-r));
	}
	if (close(fd) < 0 && r == 0) {
		r = -errno;
		complain("unable to write %s: %s", opts->output, strerror(-r));
	}
	if (r == 0 && rename(temp, opts->output) < 0) {
		r = -errno;
		complain("unable to rename %s to %s: %s", temp, opts->output, strerror(-r));
	}
	if (r < 0)
		(void)unlink(temp);
	free(temp);
	return r;
}

static void print_summary(const struct options *opts, const struct image *img, const struct newc_stats *stats)
{
	static const char *const part_names[PART_COUNT] = {
		[PART_FILES] = "files",
		[PART_MODULES] = "modules",
		[PART_MODULE_INDEXES] = "module indexes",
	};
	size_t count[PART_COUNT] = { 0 }, dirs = 0, nodes = 0, links = 0, pipes = 0, sockets = 0;
	uint64_t bytes[PART_COUNT] = { 0 };

	for (size_t i = 0; i < img->n_nodes; i++) {
		const struct image_node *node = &img->nodes[i];
		switch (node->kind) {
		case IMAGE_FILE:
			count[node->part]++;
			/* A hard-linked file's data is in the archive once. */
			if (node->carries_data)
				bytes[node->part] += node->size;
			break;
		case IMAGE_DIR:
			dirs++;
			break;
		case IMAGE_NOD_BLOCK:
		case IMAGE_NOD_CHAR:
			nodes++;
			break;
		case IMAGE_SLINK:
			links++;
			break;
		case IMAGE_PIPE:
			pipes++;
			break;
		case IMAGE_SOCK:
			sockets++;
			break;
		}
	}
	for (int part = 0; part < PART_COUNT; part++)
		fprintf(stderr, "mkrdinit: %-14s %5zu files %12llu bytes\n", part_names[part], count[part],
		        (unsigned long long)bytes[part]);
	fprintf(stderr, "mkrdinit: %-14s %5zu folders, %zu device nodes, %zu symlinks, %zu pipes, %zu sockets\n",
	        "other", dirs, nodes, links, pipes, sockets);
	fprintf(stderr, "mkrdinit: wrote %s: %zu entries, %llu bytes of cpio, %llu bytes %s%s\n",
	        strcmp(opts->output, "-") == 0 ? "standard output" : opts->output, img->n_nodes,
	        (unsigned long long)stats->cpio_bytes, (unsigned long long)stats->output_bytes,
	        opts->compression == COMPRESSION_NONE ? "uncompressed" : "with ",
	        opts->compression == COMPRESSION_NONE ? "" : compression_name(opts->compression));
}

int main(int argc, char **argv)
{
	struct options opts;
	parse_options(argc, argv, &opts);

	struct image img = { 0 };
	struct newc_stats stats = { 0 };
	int r = build_image(&opts, &img);
	if (r == 0)
		r = write_output(&opts, &img, &stats);
	if (r == 0)
		print_summary(&opts, &img, &stats);

	image_free(&img);
	free(opts.defines);
	return r == 0 ? EXIT_SUCCESS : EXIT_BAD_INPUT;
}
