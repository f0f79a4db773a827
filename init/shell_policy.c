/* Stage: who gets the rescue shell, as the image says, read before anything can fail into it and
 * kept in boot->shell: the switch frees the image, /etc/rdinit with it. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "stages.h"
#include "sys.h"

/* The hash of IMAGE_SHELL_HASH into shell->hash; "" (nobody gets in) when it cannot be used. */
static void read_hash(struct shell_access *shell)
{
	char text[SHELL_HASH_MAX + 1];
	ssize_t len = sys_read_file(IMAGE_SHELL_HASH, text, sizeof(text));
	shell->hash[0] = '\0';
	if (len < 0) {
		log_warning("unable to read " IMAGE_SHELL_HASH ": %s: the rescue shell's password "
			    "cannot be checked, nobody gets the shell",
			    strerror((int)-len));
		return;
	}
	text[strcspn(text, "\n")] = '\0';
	if ((size_t)len == sizeof(text) - 1 || strchr(text, ':')) {
		log_warning(IMAGE_SHELL_HASH " holds no crypt(3) hash (%s): nobody gets the rescue "
					     "shell",
			    strchr(text, ':') ? "a ':' in it" : "too long");
		return;
	}
	if (!shell_hash_usable(text))
		log_warning(IMAGE_SHELL_HASH " is %s: nobody gets the rescue shell",
			    text[0] ? "a locked password ('!' or '*')" : "empty");
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
		log_info("the image has no " IMAGE_SHELL_POLICY " (mkrdinit without --shell): the "
			 "rescue shell is open to anyone at the console");
		return 0;
	}
	if (len < 0 || shell_policy_parse(text, &shell->policy) < 0) {
		shell->policy = SHELL_NEVER;
		log_warning("unable to read " IMAGE_SHELL_POLICY ": %s: no rescue shell",
			    len < 0 ? strerror((int)-len) : "expected open, password or never");
		return 0;
	}
	if (shell->policy == SHELL_PASSWORD)
		read_hash(shell);
	return 0;
}
