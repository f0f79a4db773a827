/* The rescue shell's policy file and password. crypt(3) is libxcrypt's (deps/build): musl's own
 * crypt() has no yescrypt, the method of Debian's /etc/shadow since Debian 11. */
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shellauth.h"

int shell_policy_parse(const char *text, enum shell_policy *policy)
{
	static const char space[] = " \t\n";
	text += strspn(text, space);
	size_t len = strcspn(text, space);
	char word[16];
	if (len == 0 || len >= sizeof(word) || text[len + strspn(text + len, space)] != '\0')
		return -EINVAL;
	memcpy(word, text, len);
	word[len] = '\0';
	return shell_policy_from_name(word, policy) < 0 ? -EINVAL : 0;
}

bool shell_hash_usable(const char *hash)
{
	return hash[0] != '\0' && hash[0] != '!' && hash[0] != '*';
}

/* Compares without stopping at the first difference: the time taken says nothing of where. */
static bool same_text(const char *a, const char *b)
{
	size_t len = strlen(a);
	if (len != strlen(b))
		return false;
	unsigned char diff = 0;
	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

int shell_password_check(const char *hash, const char *password)
{
	if (!shell_hash_usable(hash))
		return -EINVAL;
	/* 32 KiB: not for PID 1's stack. */
	struct crypt_data *data = calloc(1, sizeof(*data));
	if (!data)
		return -ENOMEM;
	errno = 0;
	const char *out = crypt_rn(password, hash, data, (int)sizeof(*data));
	int r = !out ? (errno == ENOMEM ? -ENOMEM : -EINVAL) : same_text(out, hash) ? 0 : -EPERM;
	explicit_bzero(data, sizeof(*data));
	free(data);
	return r;
}
