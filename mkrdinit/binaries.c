/* binaries: a host program with everything the dynamic loader needs to start it.
 *
 * The loader itself answers which libraries a program needs: run as `LOADER --list PROGRAM` (what ldd does),
 * glibc's and musl's ld.so both load the program's DT_NEEDED closure, with its RPATH/RUNPATH and the loader's
 * cache and default folders, and print where each library was found, without running the program. Reading
 * DT_NEEDED ourselves would mean redoing that search, ld.so.cache included, and getting it subtly wrong. */
#include "binaries.h"
#include "fileio.h"
#include "layout.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Longer symlink chains than this are a loop, as the kernel's MAXSYMLINKS says. */
#define MAX_LINK_DEPTH 40

void binary_set_free(struct binary_set *set)
{
	for (size_t i = 0; i < set->n_files; i++) {
		free(set->files[i].path);
		free(set->files[i].link_target);
	}
	free(set->files);
	*set = (struct binary_set){ 0 };
}

static bool set_contains(const struct binary_set *set, const char *path)
{
	for (size_t i = 0; i < set->n_files; i++)
		if (strcmp(set->files[i].path, path) == 0)
			return true;
	return false;
}

/* Takes ownership of PATH and LINK_TARGET, also on failure. */
static int set_append(struct binary_set *set, char *path, char *link_target, unsigned int mode)
{
	int r = grow_array((void **)&set->files, &set->capacity, set->n_files + 1,
			   sizeof(*set->files));
	if (r < 0) {
		free(path);
		free(link_target);
		return r;
	}
	set->files[set->n_files++] =
		(struct binary_file){ .path = path, .link_target = link_target, .mode = mode };
	return 0;
}

/* "/a/./b//../c" -> "/a/c": lexically, as the path will be read inside the image, where every folder is a real
 * folder (a host's /lib -> usr/lib is not copied). Returns NULL on ENOMEM. */
static char *normalize(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(len + 2);
	if (!out)
		return NULL;
	size_t n = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t component = strcspn(p, "/");
		if (component == 1 && p[0] == '.') {
			/* nothing */
		} else if (component == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		} else {
			out[n++] = '/';
			memcpy(out + n, p, component);
			n += component;
		}
		p += component;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return out;
}

/* Where a symlink at LINK pointing to TARGET leads. */
static char *link_destination(const char *link, const char *target)
{
	if (target[0] == '/')
		return normalize(target);
	const char *slash = strrchr(link, '/');
	char *joined;
	if (asprintf(&joined, "%.*s/%s", (int)(slash - link), link, target) < 0)
		return NULL;
	char *normalized = normalize(joined);
	free(joined);
	return normalized;
}

/* Adds PATH, and when it is a symlink every link of the chain and the file at its end; *FINAL gets the path of
 * that file (owned by the caller). */
static int add_path(struct binary_set *set, const char *path, const char *origin, char **final,
		    char *err, size_t err_size)
{
	char *current = normalize(path);
	if (!current)
		return -ENOMEM;
	for (int depth = 0;; depth++) {
		struct stat st;
		if (lstat(current, &st) < 0) {
			int r = -errno;
			(void)snprintf(err, err_size, "%s: unable to add '%s': %s", origin, current,
				       strerror(-r));
			free(current);
			return r;
		}
		if (!S_ISLNK(st.st_mode)) {
			if (!S_ISREG(st.st_mode)) {
				(void)snprintf(err, err_size,
					       "%s: unable to add '%s': not a regular file", origin,
					       current);
				free(current);
				return -EINVAL;
			}
			int r = 0;
			if (!set_contains(set, current)) {
				char *copy = strdup(current);
				r = copy ? set_append(set, copy, NULL, st.st_mode & 0777) : -ENOMEM;
			}
			if (r < 0)
				free(current);
			else
				*final = current;
			return r;
		}
		if (depth == MAX_LINK_DEPTH) {
			(void)snprintf(err, err_size, "%s: unable to add '%s': %s", origin, path,
				       strerror(ELOOP));
			free(current);
			return -ELOOP;
		}

		char target[PATH_MAX];
		ssize_t len = readlink(current, target, sizeof(target) - 1);
		if (len < 0) {
			int r = -errno;
			(void)snprintf(err, err_size, "%s: unable to read the symlink '%s': %s",
				       origin, current, strerror(-r));
			free(current);
			return r;
		}
		target[len] = '\0';
		char *next = link_destination(current, target);
		int r = next ? 0 : -ENOMEM;
		if (r == 0 && !set_contains(set, current)) {
			char *copy = strdup(current), *target_copy = strdup(target);
			if (copy && target_copy)
				r = set_append(set, copy, target_copy, 0777);
			else {
				free(copy);
				free(target_copy);
				r = -ENOMEM;
			}
		}
		free(current);
		if (r < 0) {
			free(next);
			return r;
		}
		current = next;
	}
}

/* The program's loader (PT_INTERP) into INTERP, or "" for a file that needs none: a static program, a script. */
static int read_interpreter(const char *path, char *interp, size_t size)
{
	interp[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	unsigned char ident[EI_NIDENT];
	int r = 0;
	if (pread(fd, ident, sizeof(ident), 0) != (ssize_t)sizeof(ident) ||
	    memcmp(ident, ELFMAG, SELFMAG) != 0)
		goto done;

	/* Program headers as (offset, count, entry size); the loader's path is one of them. */
	uint64_t phoff;
	unsigned int phnum, phentsize;
	if (ident[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;
		if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			goto done;
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
	} else if (ident[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;
		if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			goto done;
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
	} else
		goto done;

	for (unsigned int i = 0; i < phnum; i++) {
		uint64_t offset, filesz;
		uint32_t type;
		if (ident[EI_CLASS] == ELFCLASS64) {
			Elf64_Phdr ph;
			if (phentsize < sizeof(ph) ||
			    pread(fd, &ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * phentsize)) !=
				    (ssize_t)sizeof(ph))
				break;
			type = ph.p_type, offset = ph.p_offset, filesz = ph.p_filesz;
		} else {
			Elf32_Phdr ph;
			if (phentsize < sizeof(ph) ||
			    pread(fd, &ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * phentsize)) !=
				    (ssize_t)sizeof(ph))
				break;
			type = ph.p_type, offset = ph.p_offset, filesz = ph.p_filesz;
		}
		if (type != PT_INTERP)
			continue;
		if (filesz < 2 || filesz > size) {
			r = -EINVAL;
			break;
		}
		if (pread(fd, interp, (size_t)filesz, (off_t)offset) != (ssize_t)filesz) {
			r = -EINVAL;
			break;
		}
		interp[filesz - 1] = '\0';
		if (interp[0] != '/' || strlen(interp) != filesz - 1)
			r = -EINVAL;
		break;
	}

done:
	(void)close(fd);
	if (r < 0)
		interp[0] = '\0';
	return r;
}

/* Runs `LOADER --list PROGRAM` with an empty environment (no LD_LIBRARY_PATH of the build machine's user) and
 * returns what it printed on standard output and standard error in *OUT, and its wait status. glibc's loader
 * prints the libraries on standard output; a missing one makes it fail with a message on standard error. */
static int run_loader_list(const char *loader, const char *program, char **out, int *status)
{
	const char *const argv[] = { loader, "--list", program, NULL };
	char *const envp[] = { NULL };
	size_t len;
	return run_program(argv, envp, out, &len, status);
}

/* Adds every library in the loader's list. Its lines look like
 *	linux-vdso.so.1 (0x00007ffc...)                            a library of the kernel: nothing to copy
 *	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)       found
 *	libfoo.so.1 => not found
 *	/lib64/ld-linux-x86-64.so.2 (0x...)                       the loader itself */
static int add_listed_libraries(struct binary_set *set, const char *program, const char *loader,
				char *list, const char *origin, char *err, size_t err_size)
{
	int r = 0;
	for (char *line = list, *next; r == 0 && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line += strspn(line, " \t");
		char *arrow = strstr(line, " => ");
		const char *path = arrow ? arrow + 4 : line;
		if (arrow && strncmp(path, "not found", 9) == 0) {
			*arrow = '\0';
			(void)snprintf(
				err, err_size,
				"%s: unable to add '%s': its library %s was not found by %s --list",
				origin, program, line, loader);
			return -ENOENT;
		}
		if (path[0] != '/')
			continue;
		char *end = strstr(path, " (0x");
		if (end)
			*end = '\0';
		char *final = NULL;
		r = add_path(set, path, origin, &final, err, err_size);
		free(final);
	}
	return r;
}

static int find_in_search_path(const char *name, char **out)
{
	const char *p = IMAGE_PATH;
	while (*p) {
		size_t len = strcspn(p, ":");
		char *candidate;
		if (asprintf(&candidate, "%.*s/%s", (int)len, p, name) < 0)
			return -ENOMEM;
		struct stat st;
		if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(candidate, X_OK) == 0) {
			*out = candidate;
			return 0;
		}
		free(candidate);
		p += len + (p[len] == ':');
	}
	return -ENOENT;
}

int binaries_add(struct binary_set *out, const char *program, const char *origin, char *err,
		 size_t err_size)
{
	char *path = NULL;
	if (program[0] != '/') {
		int r = find_in_search_path(program, &path);
		if (r == -ENOENT)
			(void)snprintf(err, err_size, "%s: unable to find program '%s' in %s",
				       origin, program, IMAGE_PATH);
		if (r < 0)
			return r;
	} else if (!(path = strdup(program)))
		return -ENOMEM;

	char *final = NULL;
	int r = add_path(out, path, origin, &final, err, err_size);
	char interp[PATH_MAX];
	if (r == 0) {
		r = read_interpreter(final, interp, sizeof(interp));
		if (r < 0)
			(void)snprintf(err, err_size,
				       "%s: unable to read the ELF headers of '%s': %s", origin,
				       final, r == -EINVAL ? "malformed PT_INTERP" : strerror(-r));
	}
	if (r == 0 && interp[0]) {
		char *list = NULL;
		int status = 0;
		if (access(interp, X_OK) < 0) {
			r = -errno;
			(void)snprintf(
				err, err_size,
				"%s: unable to list the libraries of '%s': its loader %s: %s",
				origin, final, interp, strerror(-r));
		} else if ((r = run_loader_list(interp, final, &list, &status)) < 0)
			(void)snprintf(err, err_size, "%s: unable to run %s --list %s: %s", origin,
				       interp, final, strerror(-r));
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			list[strcspn(list, "\n")] = '\0';
			(void)snprintf(
				err, err_size,
				"%s: unable to list the libraries of '%s': %s --list failed%s%s",
				origin, final, interp, list[0] ? ": " : "", list);
			r = -EINVAL;
		} else {
			r = add_listed_libraries(out, final, interp, list, origin, err, err_size);
			/* The loader is in its own list, but only when it is a separate file: add it in any case. */
			if (r == 0) {
				char *loader_final = NULL;
				r = add_path(out, interp, origin, &loader_final, err, err_size);
				free(loader_final);
			}
		}
		free(list);
	}
	free(final);
	free(path);
	return r;
}
