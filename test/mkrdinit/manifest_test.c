/* Unit tests of mkrdinit's manifest parser: each line type read into the right fields, each malformed form
 * refused with "FILE:LINE: what was expected". Prints TAP; exits non-zero if any case fails. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

static unsigned int n_cases, n_failed;

static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(bool ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s %u - ", ok ? "ok" : "not ok", ++n_cases);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	if (!ok)
		n_failed++;
}

/* Variables a test manifest may use; anything else is undefined. */
static const char *lookup(const char *name, void *userdata)
{
	(void)userdata;
	if (strcmp(name, "RDINIT_INIT") == 0)
		return "/build/init/init";
	if (strcmp(name, "DIR") == 0)
		return "sub";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	return NULL;
}

static const struct manifest_context ctx = {
	.display_name = "hooks/t/manifest",
	.base_dir = "hooks/t",
	.lookup = lookup,
};

static int parse(const char *text, struct manifest *m, char *err, size_t err_size)
{
	*m = (struct manifest){ 0 };
	err[0] = '\0';
	return manifest_parse_text(m, &ctx, text, strlen(text), err, err_size);
}

/* Parses TEXT, which must hold exactly one entry, into *OUT; reports and returns false otherwise. */
static bool parse_one(const char *text, struct manifest *m)
{
	char err[512];
	int r = parse(text, m, err, sizeof(err));
	if (r < 0 || m->n_entries != 1) {
		report(false, "parse '%s': r=%d entries=%zu err='%s'", text, r, m->n_entries, err);
		manifest_free(m);
		return false;
	}
	return true;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void test_file(void)
{
	struct manifest m;
	if (!parse_one("file /init ${RDINIT_INIT} 0755 0 0\n", &m))
		return;
	const struct manifest_entry *e = &m.entries[0];
	report(e->kind == MANIFEST_FILE && str_eq(e->name, "init") &&
		       str_eq(e->location, "/build/init/init") && e->mode == 0755 && e->uid == 0 &&
		       e->gid == 0 && e->n_hard_links == 0 &&
		       str_eq(e->source, "hooks/t/manifest:1"),
	       "file: name, ${VAR} location, mode, uid, gid, source (got name=%s location=%s mode=%o source=%s)",
	       e->name, e->location, e->mode, e->source);
	manifest_free(&m);

	if (!parse_one(
		    "file /etc/x.conf ${DIR}/x.conf${EMPTY} 0640 12 34 /etc/y.conf //etc//z.conf/\n",
		    &m))
		return;
	e = &m.entries[0];
	report(str_eq(e->location, "hooks/t/sub/x.conf") && e->mode == 0640 && e->uid == 12 &&
		       e->gid == 34 && e->n_hard_links == 2 &&
		       str_eq(e->hard_links[0], "etc/y.conf") &&
		       str_eq(e->hard_links[1], "etc/z.conf"),
	       "file: relative location joins the hook folder, two ${VAR}s, hard links normalized (got %s, %zu links)",
	       e->location, e->n_hard_links);
	manifest_free(&m);

	if (!parse_one("file bin/sh /usr/lib/busybox 755 4294967294 0", &m))
		return;
	e = &m.entries[0];
	report(str_eq(e->name, "bin/sh") && str_eq(e->location, "/usr/lib/busybox") &&
		       e->mode == 0755 && e->uid == 4294967294u,
	       "file: name without '/', no trailing newline, mode without leading 0, largest uid");
	manifest_free(&m);
}

static void test_dir_pipe_sock(void)
{
	static const struct {
		const char *text;
		enum manifest_kind kind;
	} cases[] = {
		{ "dir /dev 0755 0 0", MANIFEST_DIR },
		{ "pipe /run/fifo 0600 1 2", MANIFEST_PIPE },
		{ "sock /run/sock 0777 0 5", MANIFEST_SOCK },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct manifest m;
		if (!parse_one(cases[i].text, &m))
			continue;
		const struct manifest_entry *e = &m.entries[0];
		unsigned int mode, uid, gid;
		char name[64];
		(void)sscanf(strchr(cases[i].text, ' ') + 2, "%63s %o %u %u", name, &mode, &uid,
			     &gid);
		report(e->kind == cases[i].kind && str_eq(e->name, name) && e->mode == mode &&
			       e->uid == uid && e->gid == gid && !e->location,
		       "%s: fields (got kind=%d name=%s mode=%o uid=%u gid=%u)",
		       manifest_kind_keyword(cases[i].kind), (int)e->kind, e->name, e->mode, e->uid,
		       e->gid);
		manifest_free(&m);
	}
}

static void test_nod(void)
{
	struct manifest m;
	if (parse_one("nod /dev/console 0600 0 0 c 5 1", &m)) {
		const struct manifest_entry *e = &m.entries[0];
		report(e->kind == MANIFEST_NOD && str_eq(e->name, "dev/console") &&
			       e->mode == 0600 && e->dev_type == 'c' && e->major == 5 &&
			       e->minor == 1,
		       "nod: character device fields");
		manifest_free(&m);
	}
	if (parse_one("nod /dev/vda 0660 0 6 b 4095 1048575", &m)) {
		const struct manifest_entry *e = &m.entries[0];
		report(e->dev_type == 'b' && e->major == 4095 && e->minor == 1048575 && e->gid == 6,
		       "nod: block device with the largest major and minor");
		manifest_free(&m);
	}
}

static void test_slink_module(void)
{
	struct manifest m;
	if (parse_one("slink /bin/sh busybox 0777 0 0", &m)) {
		const struct manifest_entry *e = &m.entries[0];
		report(e->kind == MANIFEST_SLINK && str_eq(e->name, "bin/sh") &&
			       str_eq(e->location, "busybox") && e->mode == 0777,
		       "slink: target kept verbatim, not joined to the hook folder (got %s)",
		       e->location);
		manifest_free(&m);
	}
	if (parse_one("module crypto-crc32c", &m)) {
		const struct manifest_entry *e = &m.entries[0];
		report(e->kind == MANIFEST_MODULE && str_eq(e->name, "crypto-crc32c"),
		       "module: name kept verbatim");
		manifest_free(&m);
	}
}

static void test_binary_hook_hostonly(void)
{
	struct manifest m;
	if (parse_one("binary /usr//sbin/lvm/", &m)) {
		const struct manifest_entry *e = &m.entries[0];
		report(e->kind == MANIFEST_BINARY && str_eq(e->name, "/usr/sbin/lvm") &&
			       !e->location,
		       "binary: absolute path normalized, '/' kept (got %s)", e->name);
		manifest_free(&m);
	}
	if (parse_one("binary e2fsck", &m)) {
		const struct manifest_entry *e = &m.entries[0];
		report(e->kind == MANIFEST_BINARY && str_eq(e->name, "e2fsck"),
		       "binary: a bare name kept for the search");
		manifest_free(&m);
	}
	if (parse_one("hook pre-mount 50-fsck", &m)) {
		const struct manifest_entry *e = &m.entries[0];
		report(e->kind == MANIFEST_HOOK &&
			       str_eq(e->name, "lib/rdinit/hooks/pre-mount/50-fsck") &&
			       str_eq(e->location, "hooks/t/50-fsck") && e->mode == 0755 &&
			       e->uid == 0 && e->gid == 0,
		       "hook: installed under lib/rdinit/hooks/STAGE/, path relative to the hook folder, 0755 0 0 "
		       "(got name=%s location=%s mode=%o)",
		       e->name, e->location, e->mode);
		manifest_free(&m);
	}
	if (parse_one("hook initqueue ${DIR}/scripts/10-lvm", &m)) {
		const struct manifest_entry *e = &m.entries[0];
		report(str_eq(e->name, "lib/rdinit/hooks/initqueue/10-lvm") &&
			       str_eq(e->location, "hooks/t/sub/scripts/10-lvm"),
		       "hook: ${VAR} in <path>, installed under its file name (got name=%s location=%s)",
		       e->name, e->location);
		manifest_free(&m);
	}
	static const char *const stages[] = { "pre-udev", "initqueue", "pre-mount", "pre-pivot",
					      "emergency" };
	bool all = true;
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		char text[64], want[96];
		(void)snprintf(text, sizeof(text), "hook %s /x/h", stages[i]);
		(void)snprintf(want, sizeof(want), "lib/rdinit/hooks/%s/h", stages[i]);
		if (!parse_one(text, &m)) {
			all = false;
			continue;
		}
		all &= str_eq(m.entries[0].name, want) && str_eq(m.entries[0].location, "/x/h");
		manifest_free(&m);
	}
	report(all, "hook: each of the five stages, an absolute <path> kept");
	if (parse_one("hostonly", &m)) {
		report(m.entries[0].kind == MANIFEST_HOSTONLY && !m.entries[0].name,
		       "hostonly: alone on its line");
		manifest_free(&m);
	}
	if (parse_one("hostonly keyboard", &m)) {
		report(m.entries[0].kind == MANIFEST_HOSTONLY && !m.entries[0].name &&
			       m.entries[0].keyboards,
		       "hostonly keyboard: the keyboards' drivers, no item");
		manifest_free(&m);
	}
	if (parse_one("hostonly if dm-crypt", &m)) {
		report(m.entries[0].kind == MANIFEST_HOSTONLY &&
			       str_eq(m.entries[0].name, "dm-crypt"),
		       "hostonly if dm-crypt: the item named");
		manifest_free(&m);
	}
}

static void test_layout(void)
{
	struct manifest m;
	char err[512];
	const char *text = "# what this hook is for\n"
			   "\n"
			   "   \t\n"
			   "\tdir\t/a  0755 0 0\r\n"
			   "#dir /commented 0755 0 0\n"
			   "  dir /a/b 0700 0 0 \n";
	int r = parse(text, &m, err, sizeof(err));
	report(r == 0 && m.n_entries == 2 && str_eq(m.entries[0].source, "hooks/t/manifest:4") &&
		       str_eq(m.entries[1].name, "a/b") &&
		       str_eq(m.entries[1].source, "hooks/t/manifest:6"),
	       "comments, blank lines, tabs, CRLF and indentation; line numbers count every line (r=%d err='%s')",
	       r, err);
	manifest_free(&m);

	r = parse("", &m, err, sizeof(err));
	report(r == 0 && m.n_entries == 0, "an empty manifest is valid");
	manifest_free(&m);
}

/* TEXT must be refused with exactly WANT. */
static void expect_error(const char *text, const char *want)
{
	struct manifest m;
	char err[512];
	int r = parse(text, &m, err, sizeof(err));
	report(r == -EINVAL && strcmp(err, want) == 0, "refuses '%s'%s%s", text,
	       strcmp(err, want) ? ": got " : "", strcmp(err, want) ? err : "");
	manifest_free(&m);
}

static void test_errors(void)
{
	expect_error("dri /x 0755 0 0",
		     "hooks/t/manifest:1: unknown keyword 'dri'; expected file, dir, nod, slink, "
		     "pipe, sock, module, binary, hook or hostonly");
	expect_error(
		"dir /x 0755 0",
		"hooks/t/manifest:1: dir: missing <gid>; expected dir <name> <mode> <uid> <gid>");
	expect_error(
		"nod",
		"hooks/t/manifest:1: nod: missing <name>; expected nod <name> <mode> <uid> <gid> "
		"<dev_type> <maj> <min>");
	expect_error(
		"file /init",
		"hooks/t/manifest:1: file: missing <location>; expected file <name> <location> "
		"<mode> <uid> <gid> [<hard links>]");
	expect_error("module",
		     "hooks/t/manifest:1: module: missing <module name or alias>; expected module "
		     "<module name or alias>");
	expect_error("dir /x 0755 0 0 extra",
		     "hooks/t/manifest:1: dir: unexpected field 'extra' after <gid>; "
		     "expected dir <name> <mode> <uid> <gid>");
	expect_error("nod /dev/null 0666 0 0 c 1 3 4",
		     "hooks/t/manifest:1: nod: unexpected field '4' after <min>; "
		     "expected nod <name> <mode> <uid> <gid> <dev_type> <maj> <min>");
	expect_error("slink /a b 0777 0 0 c",
		     "hooks/t/manifest:1: slink: unexpected field 'c' after <gid>; "
		     "expected slink <name> <target> <mode> <uid> <gid>");
	expect_error("module ext4 jbd2",
		     "hooks/t/manifest:1: module: unexpected field 'jbd2' after "
		     "<module name or alias>; expected module <module name or alias>");
	expect_error(
		"dir /x 0789 0 0",
		"hooks/t/manifest:1: dir: expected <mode> as octal permission bits up to 07777, got '0789'");
	expect_error(
		"pipe /x 17777 0 0",
		"hooks/t/manifest:1: pipe: expected <mode> as octal permission bits up to 07777, got '17777'");
	expect_error(
		"sock /x 0x1ed 0 0",
		"hooks/t/manifest:1: sock: expected <mode> as octal permission bits up to 07777, got '0x1ed'");
	expect_error(
		"dir /x 0755 root 0",
		"hooks/t/manifest:1: dir: expected <uid> as a decimal number up to 4294967294, got 'root'");
	expect_error(
		"dir /x 0755 0 -1",
		"hooks/t/manifest:1: dir: expected <gid> as a decimal number up to 4294967294, got '-1'");
	expect_error(
		"dir /x 0755 4294967295 0",
		"hooks/t/manifest:1: dir: expected <uid> as a decimal number up to 4294967294, got '4294967295'");
	expect_error("nod /dev/x 0600 0 0 q 5 1",
		     "hooks/t/manifest:1: nod: expected <dev_type> b or c, got 'q'");
	expect_error("nod /dev/x 0600 0 0 cb 5 1",
		     "hooks/t/manifest:1: nod: expected <dev_type> b or c, got 'cb'");
	expect_error(
		"nod /dev/x 0600 0 0 c five 1",
		"hooks/t/manifest:1: nod: expected <maj> as a decimal number up to 4095, got 'five'");
	expect_error(
		"nod /dev/x 0600 0 0 c 4096 1",
		"hooks/t/manifest:1: nod: expected <maj> as a decimal number up to 4095, got '4096'");
	expect_error(
		"nod /dev/x 0600 0 0 b 5 1a",
		"hooks/t/manifest:1: nod: expected <min> as a decimal number up to 1048575, got '1a'");
	expect_error(
		"nod /dev/x 0600 0 0 b 5 -1",
		"hooks/t/manifest:1: nod: expected <min> as a decimal number up to 1048575, got '-1'");
	expect_error(
		"file /init ${RDINIT_INIT 0755 0 0",
		"hooks/t/manifest:1: file: expected '}' to close '${' in <location> '${RDINIT_INIT'");
	expect_error("file /init ${NOPE} 0755 0 0",
		     "hooks/t/manifest:1: file: undefined variable 'NOPE' in "
		     "<location> '${NOPE}' (define it with -D NOPE=VALUE)");
	expect_error("file /init /x/${DIR}/${NOPE}/y 0755 0 0",
		     "hooks/t/manifest:1: file: undefined variable "
		     "'NOPE' in <location> '/x/${DIR}/${NOPE}/y' (define it "
		     "with -D NOPE=VALUE)");
	expect_error(
		"file /init ${} 0755 0 0",
		"hooks/t/manifest:1: file: expected a variable name in '${}' in <location> '${}'");
	expect_error(
		"file /init ${1X} 0755 0 0",
		"hooks/t/manifest:1: file: expected a variable name in '${1X}' in <location> '${1X}'");
	expect_error(
		"file /init ${EMPTY} 0755 0 0",
		"hooks/t/manifest:1: file: expected a <location>, got '${EMPTY}', which expands to nothing");
	expect_error("file /a/x a 0644 0 0 /a/y /a//x",
		     "hooks/t/manifest:1: file: expected <hard links> that differ "
		     "from <name> and each other, got 'a/x' twice");
	expect_error(
		"dir /a/../etc 0755 0 0",
		"hooks/t/manifest:1: dir: expected <name> without '.' or '..' components, got '/a/../etc'");
	expect_error(
		"file /a x 0644 0 0 ./b",
		"hooks/t/manifest:1: file: expected <hard links> without '.' or '..' components, got './b'");
	expect_error(
		"dir / 0755 0 0",
		"hooks/t/manifest:1: dir: expected <name> below '/' (the image root always exists), got '/'");

	expect_error("binary",
		     "hooks/t/manifest:1: binary: missing <program>; expected binary <program>");
	expect_error(
		"binary lvm dmsetup",
		"hooks/t/manifest:1: binary: unexpected field 'dmsetup' after <program>; expected binary <program>");
	expect_error("binary sbin/lvm",
		     "hooks/t/manifest:1: binary: expected <program> as an absolute path or a bare "
		     "program name, got 'sbin/lvm'");
	expect_error(
		"binary ..",
		"hooks/t/manifest:1: binary: expected <program> as an absolute path or a bare program "
		"name, got '..'");
	expect_error(
		"binary /usr/../sbin/lvm",
		"hooks/t/manifest:1: binary: expected <program> without '.' or '..' components, got '/usr/../sbin/lvm'");
	expect_error(
		"binary /",
		"hooks/t/manifest:1: binary: expected <program> below '/' (the image root always "
		"exists), got '/'");
	expect_error("hook",
		     "hooks/t/manifest:1: hook: missing <stage>; expected hook <stage> <path>");
	expect_error("hook pre-mount",
		     "hooks/t/manifest:1: hook: missing <path>; expected hook <stage> <path>");
	expect_error(
		"hook pre-mount a b",
		"hooks/t/manifest:1: hook: unexpected field 'b' after <path>; expected hook <stage> <path>");
	expect_error("hook premount 50-fsck",
		     "hooks/t/manifest:1: hook: expected <stage> pre-udev, initqueue, "
		     "pre-mount, pre-mount-usr, pre-pivot or emergency, got 'premount'");
	expect_error("hook pre-mount scripts/",
		     "hooks/t/manifest:1: hook: expected <path> naming a file whose name "
		     "does not start with '.', got 'scripts/'");
	expect_error("hook pre-mount .hidden",
		     "hooks/t/manifest:1: hook: expected <path> naming a file whose name "
		     "does not start with '.', got '.hidden'");
	expect_error("hook pre-mount ${NOPE}/x",
		     "hooks/t/manifest:1: hook: undefined variable 'NOPE' in <path> "
		     "'${NOPE}/x' (define it with -D NOPE=VALUE)");
	expect_error(
		"hook pre-mount ${EMPTY}",
		"hooks/t/manifest:1: hook: expected a <path>, got '${EMPTY}', which expands to nothing");
	expect_error(
		"hostonly yes",
		"hooks/t/manifest:1: hostonly: unexpected field 'yes'; expected hostonly alone on "
		"its line, hostonly keyboard, or hostonly if <module name or alias>");
	expect_error(
		"hostonly if",
		"hooks/t/manifest:1: hostonly: unexpected field 'if'; expected hostonly alone on "
		"its line, hostonly keyboard, or hostonly if <module name or alias>");
	expect_error(
		"hostonly keyboard us",
		"hooks/t/manifest:1: hostonly: unexpected field 'keyboard'; expected hostonly alone "
		"on its line, hostonly keyboard, or hostonly if <module name or alias>");
	expect_error(
		"hostonly if dm-crypt md-raid1",
		"hooks/t/manifest:1: hostonly: unexpected field 'md-raid1'; expected hostonly alone "
		"on its line, hostonly keyboard, or hostonly if <module name or alias>");
}

static void test_error_position(void)
{
	struct manifest m;
	char err[512];
	int r = parse(
		"# comment\ndir /a 0755 0 0\n\ndir /b 0755 0 0\n# c\n\nnod /dev/x 0600 0 0 q 5 1\ndir /c 0755 0 0\n",
		&m, err, sizeof(err));
	report(r == -EINVAL &&
		       strcmp(err,
			      "hooks/t/manifest:7: nod: expected <dev_type> b or c, got 'q'") ==
			       0 &&
		       m.n_entries == 2,
	       "an error names its line (7) and stops there, keeping the entries before it (err='%s', %zu entries)",
	       err, m.n_entries);
	manifest_free(&m);

	static const char with_nul[] = "dir /a 0755 0 0\ndir /b\0 0755 0 0\n";
	m = (struct manifest){ 0 };
	r = manifest_parse_text(&m, &ctx, with_nul, sizeof(with_nul) - 1, err, sizeof(err));
	report(r == -EINVAL &&
		       strcmp(err, "hooks/t/manifest:2: expected text, got a NUL byte") == 0,
	       "a NUL byte is refused (err='%s')", err);
	manifest_free(&m);

	m = (struct manifest){ 0 };
	r = manifest_parse_file(&m, "/nonexistent/manifest", &ctx, err, sizeof(err));
	report(r == -ENOENT && strstr(err, "unable to read /nonexistent/manifest: ") == err,
	       "a missing manifest is -ENOENT with the path (err='%s')", err);
	manifest_free(&m);
}

int main(void)
{
	test_file();
	test_dir_pipe_sock();
	test_nod();
	test_slink_module();
	test_binary_hook_hostonly();
	test_layout();
	test_errors();
	test_error_position();
	printf("1..%u\n", n_cases);
	return n_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
