/* log_escape(): what reaches the console and /dev/kmsg of a label, a name or a uevent. Terminal escapes,
 * newlines and bytes that are not UTF-8 become \xNN; printable ASCII and UTF-8 pass as they are. */
#include <string.h>

#include "../check.h"
#include "log.h"

static const char *escaped(const char *in, size_t len, size_t size)
{
	static char out[256];
	(void)log_escape(out, size, in, len);
	return out;
}

#define ESC(s) escaped(s, sizeof(s) - 1, 256)

int main(void)
{
	CHECK_STR(ESC("LABEL=\"my root\" 254:1"), "LABEL=\"my root\" 254:1",
		  "printable ASCII passes");
	CHECK_STR(ESC("\x1b[2J\x1b]0;owned\a"), "\\x1b[2J\\x1b]0;owned\\x07",
		  "CSI and OSC escapes are written out");
	CHECK_STR(ESC("a\nb\rc\td"), "a\\x0ab\\x0dc\\x09d",
		  "a newline cannot split a kmsg record, nor \\r overwrite a line");
	CHECK_STR(ESC("\x7f"), "\\x7f", "DEL");
	CHECK_STR(ESC("Wurzel \xc3\xa4\xe2\x82\xac \xf0\x9f\x92\xbe"),
		  "Wurzel \xc3\xa4\xe2\x82\xac \xf0\x9f\x92\xbe",
		  "UTF-8 letters, symbols, emoji pass");
	CHECK_STR(ESC("\xc2\x9b"
		      "2J"),
		  "\\xc2\\x9b2J", "a C1 control (U+009B, CSI) in UTF-8 is escaped");
	CHECK_STR(ESC("\x9b"
		      "2J"),
		  "\\x9b2J", "a lone C1 byte is escaped");
	CHECK_STR(ESC("\xc0\xaf"), "\\xc0\\xaf", "an overlong form is escaped");
	CHECK_STR(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80", "a surrogate is escaped");
	CHECK_STR(ESC("\xe2\x82"), "\\xe2\\x82", "a truncated sequence is escaped");
	CHECK_STR(ESC("\xff\xfe"), "\\xff\\xfe", "bytes that are never UTF-8");
	CHECK_STR(escaped("a\0b", 3, 256), "a\\x00b", "a NUL inside the length");
	CHECK_STR(escaped("abc\x1b", 4, 6), "abc", "what does not fit whole is left out");
	CHECK_STR(escaped("ab\xc3\xa4", 4, 4), "ab", "a UTF-8 character is never cut");
	char out[8];
	CHECK(log_escape(out, sizeof(out), "\x1b\x1b", 2) == 4 && strcmp(out, "\\x1b") == 0,
	      "the length written is returned");
	return check_done();
}
