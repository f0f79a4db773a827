/* libcryptsetup as /init would link it (static, musl, the kernel's crypto through AF_ALG): does it
 * verify passphrases and key files of LUKS1 and LUKS2 images? A NULL name to crypt_activate_by_*()
 * checks the key against a keyslot without making a device-mapper mapping, so plain files serve as
 * the devices.
 *
 * Usage: luks_unlock DIR, where DIR holds what luks_unlock.sh makes with the host's cryptsetup:
 *   luks2.img         LUKS2, keyslot 0 argon2id (4 lanes) with pass.txt, keyslot 1 argon2id
 *                     (1 lane) with key.bin
 *   luks2-pbkdf2.img  LUKS2, keyslot 0 pbkdf2 with pass.txt
 *   luks1.img         LUKS1, keyslot 0 pbkdf2 with pass.txt, keyslot 1 with key.bin
 *   pass.txt, key.bin
 * Skipped where the kernel has no AF_ALG (CONFIG_CRYPTO_USER_API_HASH, _SKCIPHER): there
 * libcryptsetup's kernel backend refuses every crypt_load ("Cannot initialize crypto backend").
 * Not named *_test.c: test/sanitize/run builds those against the build machine's libraries, and
 * there is no libcryptsetup among them. */
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../check.h"

static const char *dir;

static void log_line(int level, const char *msg, void *usrptr)
{
	(void)usrptr;
	/* TAP comments: what libcryptsetup says on the way, above the line of the check it explains. */
	printf("# libcryptsetup%s: %s", level == CRYPT_LOG_ERROR ? " error" : "", msg);
	if (!*msg || msg[strlen(msg) - 1] != '\n')
		printf("\n");
}

static const char *in_dir(const char *name)
{
	static char path[2][PATH_MAX];
	static int which;

	which ^= 1;
	(void)snprintf(path[which], sizeof(path[which]), "%s/%s", dir, name);
	return path[which];
}

static size_t read_file(const char *name, char *buf, size_t size)
{
	int fd = open(in_dir(name), O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size);

	if (fd >= 0)
		close(fd);
	if (n < 0) {
		printf("Bail out! unable to read %s\n", in_dir(name));
		exit(1);
	}
	return (size_t)n;
}

/* crypt_init + crypt_load of IMAGE as TYPE (NULL: any LUKS); NULL, and a failed check, when either
 * fails. */
static struct crypt_device *load(const char *image, const char *type)
{
	struct crypt_device *cd = NULL;
	int r = crypt_init(&cd, in_dir(image));

	CHECK(r == 0, "%s: crypt_init (%d)", image, r);
	if (r < 0)
		return NULL;
	r = crypt_load(cd, type, NULL);
	CHECK(r == 0, "%s: crypt_load as %s (%d)", image, type ? type : "any LUKS", r);
	if (r < 0) {
		crypt_free(cd);
		return NULL;
	}
	return cd;
}

static void passphrase(const char *image, const char *type, const char *pass, size_t len, int want)
{
	struct crypt_device *cd = load(image, type);
	int r;

	if (!cd)
		return;
	r = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, pass, len, 0);
	if (want == -EPERM)
		CHECK(r == want, "%s: a wrong passphrase is refused with EPERM (%d)", image, r);
	else
		CHECK(r == want, "%s: the passphrase opens keyslot %d (%d)", image, want, r);
	crypt_free(cd);
}

static void keyfile(const char *image, int want)
{
	struct crypt_device *cd = load(image, NULL);
	int r;

	if (!cd)
		return;
	r = crypt_activate_by_keyfile_device_offset(cd, NULL, CRYPT_ANY_SLOT, in_dir("key.bin"), 0,
						    0, 0);
	CHECK(r == want, "%s: key.bin by file opens keyslot %d (%d)", image, want, r);
	crypt_free(cd);
}

int main(int argc, char **argv)
{
	char pass[512], key[8192];
	size_t pass_len, key_len;
	struct crypt_device *cd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	int alg = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (alg < 0) {
		printf("1..0 # SKIP this kernel has no AF_ALG sockets (%s)\n", strerror(errno));
		return 0;
	}
	close(alg);
	crypt_set_log_callback(NULL, log_line, NULL);
	if (getenv("LUKS_DEBUG"))
		crypt_set_debug_level(CRYPT_DEBUG_ALL);
	pass_len = read_file("pass.txt", pass, sizeof(pass));
	key_len = read_file("key.bin", key, sizeof(key));

	passphrase("luks2.img", CRYPT_LUKS2, pass, pass_len, 0);
	passphrase("luks2.img", CRYPT_LUKS2, "wrong", 5, -EPERM);
	passphrase("luks2.img", NULL, pass, pass_len, 0);
	keyfile("luks2.img", 1);
	/* A key file is a passphrase of its bytes, what /init would pass having read it itself. */
	passphrase("luks2.img", CRYPT_LUKS2, key, key_len, 1);

	passphrase("luks2-pbkdf2.img", CRYPT_LUKS2, pass, pass_len, 0);
	passphrase("luks2-pbkdf2.img", CRYPT_LUKS2, "wrong", 5, -EPERM);

	passphrase("luks1.img", CRYPT_LUKS1, pass, pass_len, 0);
	passphrase("luks1.img", CRYPT_LUKS1, "wrong", 5, -EPERM);
	keyfile("luks1.img", 1);
	passphrase("luks1.img", NULL, key, key_len, 1);

	/* The type crypt_load found, and no LUKS where there is none. */
	cd = load("luks1.img", NULL);
	if (cd) {
		CHECK_STR(crypt_get_type(cd), CRYPT_LUKS1, "luks1.img: crypt_get_type");
		crypt_free(cd);
	}
	{
		int r = crypt_init(&cd, in_dir("pass.txt"));

		if (r == 0) {
			r = crypt_load(cd, NULL, NULL);
			crypt_free(cd);
		}
		CHECK(r < 0, "pass.txt: no LUKS header, refused (%d)", r);
	}
	return check_done();
}
