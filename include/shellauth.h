/* Who gets the rescue shell: the image's policy file, and the password checked as sulogin checks
 * root's, with crypt(3). */
#pragma once
#include <stdbool.h>

#include "layout.h"

/* A crypt(3) hash as /etc/shadow holds one: yescrypt's are about 73 bytes, SHA-512 crypt's 106. */
#define SHELL_HASH_MAX 256

/* The policy IMAGE_SHELL_POLICY's text names into *policy: one word, then at most white space.
 * Returns 0, or -EINVAL when the text is anything else. */
int shell_policy_parse(const char *text, enum shell_policy *policy);

/* Whether some password can match hash: it is not empty and not locked ('!' or '*' first, as
 * passwd -l and an account without a password leave /etc/shadow). */
bool shell_hash_usable(const char *hash);

/* Checks password against hash with crypt(3): libxcrypt's yescrypt ($y$), SHA-512 ($6$) and SHA-256
 * ($5$) crypt. Returns 0 when it matches, -EPERM when it does not, -EINVAL for a hash that is locked,
 * empty or of a method libcrypt lacks, -ENOMEM. */
int shell_password_check(const char *hash, const char *password);
