/* output: writes the finished image (a newc archive, compressed as asked) or with --list its gen_init_cpio list,
 * to standard output or to -o FILE, which appears only once complete: a failed build leaves no file, or the
 * previous one, rather than half an image. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "list.h"
#include "messages.h"
#include "output.h"

/* Writes the image, or its list, to FD. */
static int write_to(const struct options *opts, const struct image *img, int fd,
		    struct newc_stats *stats, char *err, size_t err_size)
{
	if (opts->list)
		return list_write(img, opts->list_dir, fd, &stats->output_bytes, err, err_size);
	return newc_write(img, fd, opts->compression, opts->mtime, stats, err, err_size);
}

/* The image goes to a temporary file next to OUTPUT that is renamed over it when complete, so that a failed
 * build leaves no file (or the previous one) rather than half an image. */
int write_output(const struct options *opts, const struct image *img, struct newc_stats *stats)
{
	char err[1024] = "";
	if (strcmp(opts->output, "-") == 0) {
		int r = write_to(opts, img, STDOUT_FILENO, stats, err, sizeof(err));
		if (r < 0)
			complain("unable to write the %s to standard output: %s",
				 opts->list ? "list" : "image", err[0] ? err : strerror(-r));
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
		complain("unable to create a temporary file next to %s: %s", opts->output,
			 strerror(-r));
		free(temp);
		return r;
	}

	/* mkostemp() makes the file 0600; an image is as readable as any new file, unless it holds a key. */
	mode_t mask = umask(0);
	(void)umask(mask);
	int r = img->secret ? 0 : fchmod(fd, 0666 & ~mask) < 0 ? -errno : 0;
	if (r < 0)
		complain("unable to set the mode of %s: %s", temp, strerror(-r));
	if (r == 0) {
		r = write_to(opts, img, fd, stats, err, sizeof(err));
		if (r < 0)
			complain("unable to write %s: %s", opts->output,
				 err[0] ? err : strerror(-r));
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
