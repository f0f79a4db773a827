/* Stage: who gets the rescue shell, as the image says, read before anything can fail into it and
 * kept in boot->shell: the switch frees the image, /etc/rdinit with it. /dev/kmsg is not there yet
 * (devtmpfs comes next): what is wrong is said on the console now, and kept for the screen. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "stages.h"
#include "sys.h"

/* The hash of IMAGE_SHELL_HASH into shell->hash; "" (nobody gets in) when it cannot be used, with
 * shell->problem saying why. */
static void read_hash(struct shell_access *shell)
{
	char text[SHELL_HASH_MAX + 1];
	ssize_t len = sys_read_file(IMAGE_SHELL_HASH, text, sizeof(text));
	shell->hash[0] = '\0';
	if (len >= 0)
		text[strcspn(text, "\n")] = '\0';
	if (len < 0)
		(void)snprintf(shell->problem, sizeof(shell->problem),
			       "unable to read " IMAGE_SHELL_HASH ": %s", strerror((int)-len));
	else if ((size_t)len == sizeof(text) - 1 || strchr(text, ':'))
		(void)snprintf(shell->problem, sizeof(shell->problem),
			       IMAGE_SHELL_HASH " holds no crypt(3) hash (%s)",
			       strchr(text, ':') ? "a ':' in it" : "too long");
	else if (!shell_hash_usable(text))
		(void)snprintf(shell->problem, sizeof(shell->problem),
			       "the password of " IMAGE_SHELL_HASH " is %s",
			       text[0] ? "locked ('!' or '*')" : "empty");
	else
		memcpy(shell->hash, text, strlen(text) + 1);
	explicit_bzero(text, sizeof(text));
}

int read_shell_policy(struct boot *boot)
{
	struct shell_access *shell = &boot->shell;
	char text[64];
	ssize_t len = sys_read_file(IMAGE_SHELL_POLICY, text, sizeof(text));
	if (len == -ENOENT) {
		/* mkrdinit without --shell, or an image older than the policy: open, as before. */
		shell->policy = SHELL_OPEN;
		return 0;
	}
	if (len < 0 || shell_policy_parse(text, &shell->policy) < 0) {
		shell->policy = SHELL_NEVER;
		(void)snprintf(shell->problem, sizeof(shell->problem),
			       "unable to read " IMAGE_SHELL_POLICY ": %s",
			       len < 0 ? strerror((int)-len) : "expected open, password or never");
	} else if (shell->policy == SHELL_PASSWORD) {
		read_hash(shell);
	}
	if (shell->problem[0])
		log_warning("%s: nobody gets the rescue shell", shell->problem);
	return 0;
}
