/* Who gets the rescue shell: the image's policy word, and the password checked with crypt(3) against
 * hashes made on a Debian 12 machine (python3's crypt for yescrypt, openssl passwd -6 and -5). */
#include <crypt.h>
#include <errno.h>

#include "../check.h"
#include "shellauth.h"

/* "rescue-me", and "" for the empty password. */
static const char yescrypt[] =
	"$y$j9T$Mmz3JHfEBv7Wm/9Xg3MDw.$TF0Jk4bMnjD2Uj1I.hWXEZ0e4.0vDuuJZWJu8WsnXxB";
static const char yescrypt_empty[] =
	"$y$j9T$Mmz3JHfEBv7Wm/9Xg3MDw.$RieObhm.cme1cHzaNDeSAQKMSZKqTDgFcLWO9vMlFS4";
static const char sha512[] = "$6$rdinitsalt$hla3BFEPgQSfduwOKpvc18Iw8shPIwKMYnqdpO6MhZTWgl0s9sGAgQG"
			     "OQr6NmNdhMZITiGjVptAzElAFFvpUt/";
static const char sha256[] = "$5$rdinitsalt$BJysA8yWNryvQVzUDwQpXqouYr7NM/WjMn26Yxew696";

static int parsed(const char *text, enum shell_policy *policy)
{
	*policy = SHELL_POLICY_COUNT;
	return shell_policy_parse(text, policy);
}

int main(void)
{
	enum shell_policy p;
	CHECK(parsed("open\n", &p) == 0 && p == SHELL_OPEN, "open");
	CHECK(parsed("password\n", &p) == 0 && p == SHELL_PASSWORD, "password");
	CHECK(parsed("never", &p) == 0 && p == SHELL_NEVER, "never, without a newline");
	CHECK(parsed("  never \n\n", &p) == 0 && p == SHELL_NEVER, "white space around the word");
	CHECK(parsed("", &p) == -EINVAL, "an empty file is refused");
	CHECK(parsed("\n", &p) == -EINVAL, "an empty line is refused");
	CHECK(parsed("Open\n", &p) == -EINVAL, "words are lowercase");
	CHECK(parsed("open never\n", &p) == -EINVAL, "two words are refused");
	CHECK(parsed("opened\n", &p) == -EINVAL, "a longer word is refused");
	CHECK(parsed("passwordpasswordpassword\n", &p) == -EINVAL, "a word too long to be one");
	for (int i = 0; i < SHELL_POLICY_COUNT; i++)
		CHECK(parsed(shell_policy_name((enum shell_policy)i), &p) == 0 && (int)p == i,
		      "%s, as mkrdinit writes it, reads back",
		      shell_policy_name((enum shell_policy)i));

	CHECK(shell_password_check(yescrypt, "rescue-me") == 0, "yescrypt: the right password");
	CHECK(shell_password_check(yescrypt, "rescue-mE") == -EPERM, "yescrypt: a wrong one");
	CHECK(shell_password_check(yescrypt, "") == -EPERM, "yescrypt: an empty one");
	CHECK(shell_password_check(yescrypt_empty, "") == 0,
	      "yescrypt of the empty password: the empty password");
	CHECK(shell_password_check(sha512, "rescue-me") == 0, "SHA-512 crypt: the right password");
	CHECK(shell_password_check(sha512, "rescue-me\n") == -EPERM, "SHA-512 crypt: a wrong one");
	CHECK(shell_password_check(sha256, "rescue-me") == 0, "SHA-256 crypt: the right password");
	CHECK(shell_password_check(sha256, "rescue") == -EPERM, "SHA-256 crypt: a wrong one");

	CHECK(shell_password_check("", "") == -EINVAL, "an empty hash lets nobody in");
	CHECK(shell_password_check("!", "") == -EINVAL, "a locked account (!) lets nobody in");
	CHECK(shell_password_check("*", "*") == -EINVAL, "no password (*) lets nobody in");
	CHECK(shell_password_check("!$6$rdinitsalt$hla3BFEPgQSfduwOKpvc18Iw8shPIwKMYnqdpO6MhZTWgl0"
				   "s9sGAgQGOQr6NmNdhMZITiGjVptAzElAFFvpUt/",
				   "rescue-me") == -EINVAL,
	      "a hash locked with passwd -l lets nobody in, with the right password either");
	/* /init's libcrypt leaves MD5 crypt out; the build machine's, under the sanitizers, has it. */
	int md5 = crypt_checksalt("$1$rdinit$");
	if (md5 == CRYPT_SALT_OK || md5 == CRYPT_SALT_METHOD_LEGACY)
		printf("ok %d - MD5 crypt is refused # SKIP this libcrypt has MD5 crypt: not /init's\n",
		       ++check_count);
	else
		CHECK(shell_password_check("$1$rdinit$wVrcoNJMuBVwBiPdb5YQH0", "rescue-me") ==
			      -EINVAL,
		      "MD5 crypt, a method /init's libcrypt leaves out, lets nobody in");
	CHECK(shell_password_check("rescue-me", "rescue-me") < 0,
	      "a password in clear text is no hash: it lets nobody in");
	CHECK(!shell_hash_usable("") && !shell_hash_usable("!") && !shell_hash_usable("*") &&
		      !shell_hash_usable("!$y$j9T$x$y") && shell_hash_usable(yescrypt),
	      "usable: a hash, neither empty nor locked");
	return check_done();
}
