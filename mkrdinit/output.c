/* output: writes the finished image (the early microcode archive, then a newc archive compressed as asked) or with
 * --list its gen_init_cpio list,
 * to standard output or to -o FILE, which a power cut, a kill or a failure leaves either as it was or complete:
 * the bytes go to a new temporary file in FILE's folder, are flushed to the disk, and only then is that file
 * renamed over FILE and the folder flushed too (the rename is what a reboot finds). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "list.h"
#include "messages.h"
#include "output.h"

/* The signals that end a build from the terminal or the service manager. */
static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP };

/* The temporary file that a signal handler removes. Only a handler needs it, and a handler can be given nothing
 * but a global: hence this one. It is set as the file is made and cleared as it is renamed or removed, each
 * time with those signals blocked, so that a handler sees either no file or the whole name. */
static struct {
	volatile sig_atomic_t set;
	int dir_fd;
	char name[256];
} pending_temp;

/* Removes the temporary file, then dies of SIG as if it had not been caught: the handler is reset, and the
 * signal, blocked while this runs, arrives again once it returns. */
static void remove_temp_and_die(int sig)
{
	int saved = errno;
	if (pending_temp.set)
		(void)unlinkat(pending_temp.dir_fd, pending_temp.name, 0);
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
	errno = saved;
}

/* Blocks the fatal signals; *OLD gets the mask to restore (which may have blocked them already). */
static void block_fatal_signals(sigset_t *old)
{
	sigset_t set;
	(void)sigemptyset(&set);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		(void)sigaddset(&set, fatal_signals[i]);
	(void)sigprocmask(SIG_BLOCK, &set, old);
}

/* Catches the fatal signals (those not ignored: a build started with SIGHUP ignored keeps ignoring it). */
static void catch_fatal_signals(struct sigaction *saved)
{
	struct sigaction sa = { .sa_handler = remove_temp_and_die };
	(void)sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		(void)sigaction(fatal_signals[i], NULL, &saved[i]);
		if (saved[i].sa_handler != SIG_IGN)
			(void)sigaction(fatal_signals[i], &sa, NULL);
	}
}

static void restore_fatal_signals(const struct sigaction *saved)
{
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		(void)sigaction(fatal_signals[i], &saved[i], NULL);
}

/* Creates a new file "BASE.tmpXXXXXX" in DIR_FD, as mkostemp() does but beside a folder descriptor, never
 * following or reusing a name that is there (O_EXCL, O_NOFOLLOW); mode 0600 until the caller sets it. Its name
 * goes to pending_temp. Returns the descriptor or -errno. */
static int create_temp(int dir_fd, const char *base)
{
	static const char letters[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	for (int attempt = 0; attempt < 100; attempt++) {
		unsigned char random[6];
		if (getrandom(random, sizeof(random), 0) != sizeof(random))
			return errno ? -errno : -EIO;
		char suffix[sizeof(random) + 1];
		for (size_t i = 0; i < sizeof(random); i++)
			suffix[i] = letters[random[i] % (sizeof(letters) - 1)];
		suffix[sizeof(random)] = '\0';
		char name[sizeof(pending_temp.name)];
		if ((size_t)snprintf(name, sizeof(name), "%s.tmp%s", base, suffix) >= sizeof(name))
			return -ENAMETOOLONG;
		int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				0600);
		if (fd >= 0) {
			memcpy(pending_temp.name, name, sizeof(name));
			pending_temp.dir_fd = dir_fd;
			pending_temp.set = 1;
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* Writes the image, or its list, to FD: first the early archive when it has anything, uncompressed (the kernel's
 * early loader reads no other), then the image; the kernel unpacks one archive after the other. */
static int write_to(const struct options *opts, const struct image *early, const struct image *img,
		    int fd, struct newc_stats *early_stats, struct newc_stats *stats, char *err,
		    size_t err_size)
{
	if (opts->list)
		return list_write(img, opts->list_dir, fd, &stats->output_bytes, err, err_size);
	if (early->n_nodes) {
		int r = newc_write(early, fd, COMPRESSION_NONE, opts->mtime, early_stats, err,
				   err_size);
		if (r < 0)
			return r;
	}
	return newc_write(img, fd, opts->compression, opts->mtime, stats, err, err_size);
}

/* The mode (and owner) the new file gets: 0600 and mkrdinit's owner when the image holds a key (a key must not
 * go to whoever owned the image it replaces); else the permissions of the file it replaces, so that an
 * administrator's choice survives a rebuild, and its owner when root runs mkrdinit (only root may give a file
 * away); else 0644 less the umask. Fills *MODE, *UID and *GID (-1: leave as created). */
static void choose_mode(const struct image *img, const struct stat *old, bool have_old,
			mode_t *mode, uid_t *uid, gid_t *gid)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (img->secret) {
		*mode = 0600;
		return;
	}
	if (have_old) {
		if (geteuid() == 0) {
			*uid = old->st_uid;
			*gid = old->st_gid;
		}
		*mode = old->st_mode & 0777;
		return;
	}
	mode_t mask = umask(0);
	(void)umask(mask);
	*mode = 0644 & ~mask;
}

/* Writes the temporary file FD (named TEMP for messages) completely and durably: owner, mode, bytes, fsync,
 * close (which closes FD whatever happens). Says what failed. */
static int fill_temp(const struct options *opts, const struct image *early, const struct image *img,
		     int fd, const char *temp, const struct stat *old, bool have_old,
		     struct newc_stats *early_stats, struct newc_stats *stats)
{
	mode_t mode;
	uid_t uid;
	gid_t gid;
	choose_mode(img, old, have_old, &mode, &uid, &gid);
	char err[1024] = "";
	int r = 0;
	if ((uid != (uid_t)-1 && fchown(fd, uid, gid) < 0) || fchmod(fd, mode) < 0) {
		r = -errno;
		complain("unable to set the owner and mode of %s: %s", temp, strerror(-r));
	}
	if (r == 0) {
		r = write_to(opts, early, img, fd, early_stats, stats, err, sizeof(err));
		if (r < 0)
			complain("unable to write %s: %s", opts->output,
				 err[0] ? err : strerror(-r));
	}
	if (r == 0 && fsync(fd) < 0) {
		r = -errno;
		complain("unable to flush %s to the disk (fsync): %s", temp, strerror(-r));
	}
	if (close(fd) < 0 && r == 0) {
		r = -errno;
		complain("unable to write %s (close): %s", temp, strerror(-r));
	}
	return r;
}

/* Opens the folder of OUTPUT and checks OUTPUT there: *BASE gets its last component (in *COPY, to free), *DIR
 * its folder (in *DIR_COPY, to free), *OLD its status when there is one (*HAVE_OLD). Returns the folder's
 * descriptor or -errno, having said why. A symbolic link is refused: the rename would replace the link, not what
 * it names, and following it would let whoever planted it choose where an image with a key goes. */
static int open_output_dir(const char *output, char **copy, const char **base, char **dir_copy,
			   const char **dir, struct stat *old, bool *have_old)
{
	*copy = strdup(output);
	*dir_copy = strdup(output);
	if (!*copy || !*dir_copy) {
		complain("unable to write %s: %s", output, strerror(ENOMEM));
		return -ENOMEM;
	}
	*base = basename(*copy);
	*dir = dirname(*dir_copy);
	int dir_fd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = dir_fd < 0 ? -errno : 0;
	if (r < 0)
		complain("unable to open the folder %s of %s: %s", *dir, output, strerror(-r));
	else if (strcmp(*base, "/") == 0 || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
		r = -EISDIR;
		complain("unable to write %s: %s", output, strerror(-r));
	} else if (fstatat(dir_fd, *base, old, AT_SYMLINK_NOFOLLOW) == 0) {
		*have_old = true;
		if (S_ISLNK(old->st_mode)) {
			r = -ELOOP;
			complain(
				"unable to write %s: it is a symbolic link, which mkrdinit neither "
				"follows nor replaces (name the file it points to)",
				output);
		} else if (!S_ISREG(old->st_mode)) {
			r = -EEXIST;
			complain("unable to write %s: it is there and not a regular file", output);
		}
	} else if (errno != ENOENT) {
		r = -errno;
		complain("unable to look at %s: %s", output, strerror(-r));
	}
	if (r < 0) {
		if (dir_fd >= 0)
			(void)close(dir_fd);
		return r;
	}
	return dir_fd;
}

int write_output(const struct options *opts, const struct image *early, const struct image *img,
		 struct newc_stats *early_stats, struct newc_stats *stats)
{
	char err[1024] = "";
	if (strcmp(opts->output, "-") == 0) {
		int r = write_to(opts, early, img, STDOUT_FILENO, early_stats, stats, err,
				 sizeof(err));
		if (r < 0)
			complain("unable to write the %s to standard output: %s",
				 opts->list ? "list" : "image", err[0] ? err : strerror(-r));
		return r;
	}

	char *copy = NULL, *dir_copy = NULL;
	const char *base, *dir;
	struct stat old;
	bool have_old = false;
	int dir_fd = open_output_dir(opts->output, &copy, &base, &dir_copy, &dir, &old, &have_old);
	if (dir_fd < 0) {
		free(copy);
		free(dir_copy);
		return dir_fd;
	}

	struct sigaction saved[sizeof(fatal_signals) / sizeof(fatal_signals[0])];
	sigset_t mask;
	block_fatal_signals(&mask);
	catch_fatal_signals(saved);
	int fd = create_temp(dir_fd, base);
	(void)sigprocmask(SIG_SETMASK, &mask, NULL);
	int r = fd < 0 ? fd : 0;
	if (r < 0)
		complain("unable to create a temporary file next to %s: %s", opts->output,
			 strerror(-r));

	char temp[PATH_MAX];
	(void)snprintf(temp, sizeof(temp), "%s/%s", dir, r == 0 ? pending_temp.name : "");
	if (r == 0)
		r = fill_temp(opts, early, img, fd, temp, &old, have_old, early_stats, stats);

	/* From here the file is renamed or removed, not left to a signal handler. */
	block_fatal_signals(&mask);
	if (r == 0 && renameat(dir_fd, pending_temp.name, dir_fd, base) < 0) {
		r = -errno;
		complain("unable to rename %s to %s: %s", temp, opts->output, strerror(-r));
	}
	if (r < 0 && pending_temp.set)
		(void)unlinkat(dir_fd, pending_temp.name, 0);
	pending_temp.set = 0;
	restore_fatal_signals(saved);
	(void)sigprocmask(SIG_SETMASK, &mask, NULL);

	/* The rename is on the disk only once the folder is. */
	if (r == 0 && fsync(dir_fd) < 0) {
		r = -errno;
		complain("unable to flush the folder of %s to the disk (fsync): %s", opts->output,
			 strerror(-r));
	}
	if (close(dir_fd) < 0 && r == 0) {
		r = -errno;
		complain("unable to close the folder of %s: %s", opts->output, strerror(-r));
	}
	free(copy);
	free(dir_copy);
	return r;
}
