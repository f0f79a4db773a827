/* options: mkrdinit's command line, its help, and SOURCE_DATE_EPOCH, read once into struct options; bad usage
 * ends the program here, with exit status 2. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layout.h"
#include "manifest.h"
#include "messages.h"
#include "options.h"
#include "rootspec.h"

/* Where a bare HOOK name is looked for unless --hooks-dir says otherwise: the source tree's hooks/ (meson). */
#ifndef MKRDINIT_HOOKS_DIR
#define MKRDINIT_HOOKS_DIR "hooks"
#endif

/* The help, in two parts around the list of stages (manifest_hook_stage_list()). */
static const char usage_text[] =
	"Usage: mkrdinit [OPTION]... HOOK...\n"
	"Build an initramfs image, a newc cpio archive, from the manifests of the HOOK folders, in the order given.\n"
	"A HOOK with a '/' in it is a folder; a bare name (base, ext4) is a folder in the hooks folder.\n"
	"\n"
	"  -k, --kernel-version=KVER  kernel release whose modules go in (default: that of the running kernel)\n"
	"  -m, --modules-dir=DIR      folder that holds KVER/ (default: /lib/modules, else /usr/lib/modules)\n"
	"  -f, --firmware-dir=DIR     where the firmware that modules name, and the CPU microcode, is taken from\n"
	"                             (default: /lib/firmware, then /usr/lib/firmware)\n"
	"  -o, --output=FILE          write the image to FILE (default: standard output, unless a terminal);\n"
	"                             FILE appears only once complete and on disk (fsync, rename), and not at\n"
	"                             all if the build fails; it keeps the mode of the image it replaces (new:\n"
	"                             0644 less the umask), 0600 when it holds a key file; a symlink is refused\n"
	"  -c, --compress=METHOD      none, gzip, zstd, xz or lz4 (default: none); xz is written with a CRC32 check\n"
	"                             and lz4 in the legacy format (lz4 -l), the only kinds the kernel unpacks\n"
	"  -D, --define=VAR=VALUE     value of ${VAR} in file locations; overrides the environment\n"
	"      --hooks-dir=DIR        where bare HOOK names are looked for (default: " MKRDINIT_HOOKS_DIR
	")\n"
	"      --host-only            an image for this machine only: the module lines of hooks marked `hostonly`\n"
	"                             (the storage and filesystem hooks) give way to the modules that the device\n"
	"                             holding '/' needs (see below); without it the image is generic\n"
	"      --sysfs=DIR            where --host-only reads sysfs (default: /sys)\n"
	"      --mountinfo=FILE       where --host-only finds what is mounted on '/' (default: /proc/self/mountinfo)\n"
	"      --crypttab=FILE        where --host-only reads this machine's crypttab (default: /etc/crypttab)\n"
	"      --cpuinfo=FILE         where --host-only reads this machine's CPU (default: /proc/cpuinfo)\n"
	"      --no-microcode         no early microcode archive before the image (see below)\n"
	"      --decompress-modules=WHEN  whether modules compressed in the kernel's tree (.ko.xz, .ko.zst,\n"
	"                             .ko.gz) go in decompressed, as .ko, so that no boot waits for the kernel or\n"
	"                             /init to decompress them: yes, no (as they are), or auto (the default): yes\n"
	"                             with --host-only, whose modules all load at boot; no in a generic image,\n"
	"                             most of whose modules never load (decompressed, they would take several\n"
	"                             times the memory and the unpacking until the switch)\n"
	"      --resume=DEVICE        the device to resume from hibernation when the command line names none,\n"
	"                             in any form resume= takes (UUID=, /dev/...); with --host-only the default\n"
	"                             is RESUME= of --resume-conf, and none: none\n"
	"      --resume-conf=FILE     where --host-only reads RESUME= (default: initramfs-tools', the Debian\n"
	"                             installer's /etc/initramfs-tools/conf.d/resume)\n"
	"      --mdadm-conf=FILE      where --host-only reads the ARRAY lines of the arrays under '/'\n"
	"                             (default: /etc/mdadm/mdadm.conf)\n"
	"      --shell=POLICY         who gets the rescue shell (rd.shell, rd.break=, a failed boot): open (anyone\n"
	"                             at the console; the default), password (who types the password of\n"
	"                             --shell-hash, by default root's of this machine) or never; the command line\n"
	"                             can tighten it (rd.shell=0), never loosen it\n"
	"      --shell-hash=HASH      with --shell=password: the password's crypt(3) hash, yescrypt ($y$, as\n"
	"                             Debian's passwd makes it), SHA-512 ($6$) or SHA-256 ($5$) crypt\n"
	"      --shell-hash-from=FILE the same, from the first line of FILE\n"
	"      --shadow=FILE          where --shell=password without a hash reads root's (default: /etc/shadow)\n"
	"      --modprobe-conf=DIR    a modprobe.d folder to take instead of this machine's (/etc/modprobe.d,\n"
	"                             /run/modprobe.d, /usr/local/lib/modprobe.d, /usr/lib/modprobe.d,\n"
	"                             /lib/modprobe.d); given again, another, in order of precedence\n"
	"      --no-modprobe-conf     put no modprobe.d in the image, and resolve modules without it\n"
	"      --list                 write a gen_init_cpio list of the image instead of the image, for the kernel's\n"
	"                             CONFIG_INITRAMFS_SOURCE: every file an absolute path on this machine\n"
	"      --list-dir=DIR         with --list: where the files mkrdinit generates (module indexes, the kernel\n"
	"                             version) are written for the list to name (default: FILE.d next to -o FILE)\n"
	"      --depmod=PROGRAM       depmod that builds the image's module indexes (default: depmod from PATH,\n"
	"                             then /usr/sbin/depmod, /sbin/depmod)\n"
	"  -h, --help                 show this help and exit\n"
	"  -V, --version              show the version and exit\n"
	"\n"
	"Each HOOK folder holds a file named manifest, in the format of the kernel's usr/gen_init_cpio list:\n"
	"  file <name> <location> <mode> <uid> <gid> [<hard links>]\n"
	"  dir <name> <mode> <uid> <gid>\n"
	"  nod <name> <mode> <uid> <gid> <dev_type> <maj> <min>      (dev_type: b or c)\n"
	"  slink <name> <target> <mode> <uid> <gid>\n"
	"  pipe <name> <mode> <uid> <gid>\n"
	"  sock <name> <mode> <uid> <gid>\n"
	"and mkrdinit's own lines:\n"
	"  module <name or alias>\n"
	"  binary <program>\n"
	"  hook <stage> <path>        (stage: ";
static const char usage_text_after_stages[] =
	")\n"
	"  hostonly [keyboard | if <module name or alias>]\n"
	"  crypttab <path>\n"
	"<mode> is octal, <uid>, <gid>, <maj> and <min> decimal. Lines whose first word starts with '#' are comments.\n"
	"${VAR} in a <location> or <path> is replaced by its value, and an undefined VAR is an error; a relative\n"
	"<location> or <path> is relative to the hook folder. Missing parent folders are added as 0755 0 0; identical\n"
	"lines from several hooks merge, different ones for the same path are an error.\n"
	"`module` takes the module, its modules.dep closure and its softdeps (as `modprobe` would load them) from\n"
	"DIR/KVER, as files under /lib/modules/KVER/ with the same relative paths, signatures intact; a compressed\n"
	"one (.ko.xz, .ko.zst, .ko.gz) goes in decompressed, as .ko, as --decompress-modules says; builtin\n"
	"modules need no file. Each firmware file a module's modinfo names comes from the firmware folder (as NAME,\n"
	"NAME.xz or NAME.zst, as it is) to /lib/firmware/; a missing one is a warning. The image also gets\n"
	"its own modules.* indexes, made by depmod, and " IMAGE_KERNEL_VERSION
	", and this machine's modprobe.d in\n" IMAGE_MODPROBE_DIR
	": each *.conf file that libkmod reads (a name in /etc hides the same name in\n"
	"/usr/lib), whose softdeps and aliases bring modules in as they do for `modprobe`; its blacklist leaves\n"
	"nothing out, /init keeps those modules from loading; /init runs no install commands (said here).\n"
	"`binary` takes a program of this machine (an absolute path, or a bare name looked for in " IMAGE_PATH
	")\n"
	"with the shared libraries and the loader it needs, as the loader's --list (ldd) names them, each at its own\n"
	"path; a symlink comes with its target. Libraries a program opens later with dlopen() are not found.\n"
	"`hook` installs <path> as " IMAGE_HOOKS_DIR
	"/<stage>/<its file name>, mode 0755, for /init to run at\n"
	"<stage>, in the lexical order of the file names of all hooks at that stage.\n"
	"`hostonly` marks the manifest's `module` lines as a generic list: --host-only leaves them out and adds\n"
	"instead, once for the whole image, the modules found from sysfs for the device that holds '/': the driver\n"
	"module and modalias of the device and of every device above it (disk, controller, bus), through the slaves\n"
	"of device-mapper and md devices (with dm-mod, dm-crypt, md-LEVEL), and fs-TYPE for its filesystem. Of those,\n"
	"a driver module or alias the kernel's tree lacks is a warning, a modalias that names nothing is skipped.\n"
	"`hostonly keyboard` does the same with the keyboards of this machine (sysfs's input devices with a\n"
	"keyboard's keys) in place of '/': their HID, USB or PS/2 drivers and host controllers; none found leaves\n"
	"the lines out, said. `hostonly if ITEM` keeps the lines only when what '/' needs has ITEM (dm-crypt).\n"
	"`crypttab` puts the lines of a crypttab(5) file in the image's /etc/crypttab, for /init to unlock those LUKS\n"
	"devices; with --host-only the lines of this machine's crypttab (--crypttab) for the dm-crypt devices under\n"
	"'/' are added too. A malformed line, or an option /init does not support (plain, tcrypt, swap, keyscript=,\n"
	"...), is an error naming the file, the line and the option. A key file a line names goes in at its path,\n"
	"mode 0400, and then the image is written mode 0600, readable by root alone.\n"
	"\n"
	"--shell puts the policy in " IMAGE_SHELL_POLICY
	" (without it the image has none, which /init reads as\n"
	"open); with --shell=password the hash goes in " IMAGE_SHELL_HASH
	", mode 0600, and the image is\n"
	"written mode 0600 too. A locked or empty hash ('!', '*', as root's often is) is a warning: nobody will\n"
	"get the shell.\n"
	"\n"
	"Early microcode: before the image, uncompressed, comes a newc archive of the CPU vendors' microcode\n"
	"from the firmware folder (-f) for the kernel's early loader: kernel/x86/microcode/GenuineIntel.bin,\n"
	"the files of intel-ucode/ one after the other, and AuthenticAMD.bin, those of\n"
	"amd-ucode/microcode_amd*.bin; with --host-only only the file of this machine's CPU (intel-ucode/FF-MM-SS,\n"
	"amd-ucode/microcode_amd_famXXh.bin). A firmware folder without them gives no such archive (said in\n"
	"the summary); --list leaves it out (the built-in initramfs is not where the kernel looks).\n"
	"\n"
	"The image is reproducible: entries are sorted by path, inodes numbered in that order, and every\n"
	"modification time is SOURCE_DATE_EPOCH (seconds since 1970, from the environment; default 0).\n"
	"What went in is summed up on standard error, part by part: the manifests' files, hooks, binaries, modules,\n"
	"firmware and module indexes, with the total and the size of the archive before and after compression,\n"
	"and the early microcode.\n"
	"\n"
	"Exit status: 0 the image was written; 1 bad input (a manifest error, a missing file, program, library or\n"
	"module, a conflict, no block device under '/' with --host-only) or a failure to build or write the image;\n"
	"2 bad usage.\n";

enum {
	OPTION_DEPMOD = 0x100,
	OPTION_HOOKS_DIR,
	OPTION_HOST_ONLY,
	OPTION_SYSFS,
	OPTION_MOUNTINFO,
	OPTION_CRYPTTAB,
	OPTION_RESUME,
	OPTION_RESUME_CONF,
	OPTION_MDADM_CONF,
	OPTION_LIST,
	OPTION_LIST_DIR,
	OPTION_SHELL,
	OPTION_SHELL_HASH,
	OPTION_SHELL_HASH_FROM,
	OPTION_SHADOW,
	OPTION_MODPROBE_CONF,
	OPTION_NO_MODPROBE_CONF,
	OPTION_CPUINFO,
	OPTION_NO_MICROCODE,
	OPTION_DECOMPRESS_MODULES,
};

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vcomplain(fmt, ap);
	fputs("Try 'mkrdinit --help'.\n", stderr);
	va_end(ap);
	exit(EXIT_USAGE);
}

/* -D wins over the environment, and a later -D over an earlier one. */
const char *options_lookup_variable(const char *name, void *userdata)
{
	const struct options *opts = userdata;
	size_t len = strlen(name);
	for (size_t i = opts->n_defines; i-- > 0;)
		if (strncmp(opts->defines[i], name, len) == 0 && opts->defines[i][len] == '=')
			return opts->defines[i] + len + 1;
	return getenv(name);
}

static int64_t source_date_epoch(void)
{
	const char *text = getenv("SOURCE_DATE_EPOCH");
	if (!text)
		return 0;
	/* newc stores the time in 32 bits. */
	uint64_t value = 0;
	const char *p;
	for (p = text; *p >= '0' && *p <= '9' && value <= UINT32_MAX; p++)
		value = value * 10 + (uint64_t)(*p - '0');
	if (p == text || *p || value > UINT32_MAX)
		usage_error(
			"SOURCE_DATE_EPOCH: expected seconds since 1970 as a decimal number up to %u, got '%s'",
			UINT32_MAX, text);
	return (int64_t)value;
}

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* depmod lives in /usr/sbin or /sbin, which an unprivileged user's PATH often lacks. */
static const char *default_depmod(void)
{
	const char *path = getenv("PATH");
	while (path && *path) {
		size_t len = strcspn(path, ":");
		char candidate[4096];
		if (len > 0 &&
		    snprintf(candidate, sizeof(candidate), "%.*s/depmod", (int)len, path) <
			    (int)sizeof(candidate) &&
		    is_executable_file(candidate))
			return "depmod";
		path += len + (path[len] == ':');
	}
	if (is_executable_file("/usr/sbin/depmod"))
		return "/usr/sbin/depmod";
	if (is_executable_file("/sbin/depmod"))
		return "/sbin/depmod";
	return "depmod";
}

void parse_options(int argc, char **argv, struct options *opts)
{
	static const struct option long_options[] = {
		{ "kernel-version", required_argument, NULL, 'k' },
		{ "modules-dir", required_argument, NULL, 'm' },
		{ "firmware-dir", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "compress", required_argument, NULL, 'c' },
		{ "define", required_argument, NULL, 'D' },
		{ "depmod", required_argument, NULL, OPTION_DEPMOD },
		{ "hooks-dir", required_argument, NULL, OPTION_HOOKS_DIR },
		{ "host-only", no_argument, NULL, OPTION_HOST_ONLY },
		{ "sysfs", required_argument, NULL, OPTION_SYSFS },
		{ "mountinfo", required_argument, NULL, OPTION_MOUNTINFO },
		{ "crypttab", required_argument, NULL, OPTION_CRYPTTAB },
		{ "resume", required_argument, NULL, OPTION_RESUME },
		{ "resume-conf", required_argument, NULL, OPTION_RESUME_CONF },
		{ "mdadm-conf", required_argument, NULL, OPTION_MDADM_CONF },
		{ "shell", required_argument, NULL, OPTION_SHELL },
		{ "shell-hash", required_argument, NULL, OPTION_SHELL_HASH },
		{ "shell-hash-from", required_argument, NULL, OPTION_SHELL_HASH_FROM },
		{ "shadow", required_argument, NULL, OPTION_SHADOW },
		{ "modprobe-conf", required_argument, NULL, OPTION_MODPROBE_CONF },
		{ "no-modprobe-conf", no_argument, NULL, OPTION_NO_MODPROBE_CONF },
		{ "cpuinfo", required_argument, NULL, OPTION_CPUINFO },
		{ "no-microcode", no_argument, NULL, OPTION_NO_MICROCODE },
		{ "decompress-modules", required_argument, NULL, OPTION_DECOMPRESS_MODULES },
		{ "list", no_argument, NULL, OPTION_LIST },
		{ "list-dir", required_argument, NULL, OPTION_LIST_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};

	*opts = (struct options){
		.output = "-",
		.compression = COMPRESSION_NONE,
		.hooks_dir = MKRDINIT_HOOKS_DIR,
		.sysfs = "/sys",
		.mountinfo = "/proc/self/mountinfo",
		.crypttab = "/etc/crypttab",
		.cpuinfo = "/proc/cpuinfo",
		.resume_conf = "/etc/initramfs-tools/conf.d/resume",
		.mdadm_conf = "/etc/mdadm/mdadm.conf",
		/* Anyone at the console, as before the policy: the Debian kernel hook asks for password. */
		.shell = SHELL_OPEN,
		.shadow = "/etc/shadow",
	};
	opts->defines = calloc((size_t)argc, sizeof(*opts->defines));
	opts->modprobe_dirs = calloc((size_t)argc, sizeof(*opts->modprobe_dirs));
	if (!opts->defines || !opts->modprobe_dirs) {
		complain("unable to parse options: %s", strerror(ENOMEM));
		exit(EXIT_BAD_INPUT);
	}

	int c;
	while ((c = getopt_long(argc, argv, "k:m:f:o:c:D:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (!*optarg || strchr(optarg, '/') || strcmp(optarg, ".") == 0 ||
			    strcmp(optarg, "..") == 0)
				usage_error(
					"--kernel-version: expected a kernel release such as 6.1.0-13-amd64, got '%s'",
					optarg);
			opts->kver = optarg;
			break;
		case 'm':
			opts->modules_dir = optarg;
			break;
		case 'f':
			opts->firmware_dir = optarg;
			break;
		case 'o':
			opts->output = optarg;
			break;
		case 'c':
			if (compression_from_name(optarg, &opts->compression) < 0)
				usage_error(
					"--compress: expected none, gzip, zstd, xz or lz4, got '%s'",
					optarg);
			opts->compression_given = true;
			break;
		case 'D': {
			const char *eq = strchr(optarg, '=');
			if (!eq || !manifest_is_variable_name(optarg, (size_t)(eq - optarg)))
				usage_error(
					"-D: expected VAR=VALUE with VAR made of letters, digits and '_', got '%s'",
					optarg);
			opts->defines[opts->n_defines++] = optarg;
			break;
		}
		case OPTION_DEPMOD:
			opts->depmod = optarg;
			break;
		case OPTION_HOOKS_DIR:
			opts->hooks_dir = optarg;
			break;
		case OPTION_HOST_ONLY:
			opts->host_only = true;
			break;
		case OPTION_SYSFS:
			opts->sysfs = optarg;
			break;
		case OPTION_MOUNTINFO:
			opts->mountinfo = optarg;
			break;
		case OPTION_CRYPTTAB:
			opts->crypttab = optarg;
			break;
		case OPTION_RESUME: {
			struct root_spec spec;
			const char *reason;
			if (root_spec_parse(optarg, &spec, &reason) < 0)
				usage_error("--resume: %s: %s", optarg, reason);
			opts->resume = optarg;
			break;
		}
		case OPTION_RESUME_CONF:
			opts->resume_conf = optarg;
			break;
		case OPTION_MDADM_CONF:
			opts->mdadm_conf = optarg;
			break;
		case OPTION_SHELL:
			if (shell_policy_from_name(optarg, &opts->shell) < 0)
				usage_error("--shell: expected open, password or never, got '%s'",
					    optarg);
			opts->shell_given = true;
			break;
		case OPTION_SHELL_HASH:
			opts->shell_hash = optarg;
			break;
		case OPTION_SHELL_HASH_FROM:
			opts->shell_hash_from = optarg;
			break;
		case OPTION_SHADOW:
			opts->shadow = optarg;
			break;
		case OPTION_MODPROBE_CONF:
			if (!*optarg)
				usage_error("--modprobe-conf: expected a folder, got ''");
			opts->modprobe_dirs[opts->n_modprobe_dirs++] = optarg;
			break;
		case OPTION_NO_MODPROBE_CONF:
			opts->no_modprobe_conf = true;
			break;
		case OPTION_CPUINFO:
			opts->cpuinfo = optarg;
			break;
		case OPTION_NO_MICROCODE:
			opts->no_microcode = true;
			break;
		case OPTION_DECOMPRESS_MODULES:
			if (strcmp(optarg, "auto") == 0)
				opts->decompress_modules = DECOMPRESS_AUTO;
			else if (strcmp(optarg, "yes") == 0)
				opts->decompress_modules = DECOMPRESS_YES;
			else if (strcmp(optarg, "no") == 0)
				opts->decompress_modules = DECOMPRESS_NO;
			else
				usage_error(
					"--decompress-modules: expected auto, yes or no, got '%s'",
					optarg);
			break;
		case OPTION_LIST:
			opts->list = true;
			break;
		case OPTION_LIST_DIR:
			opts->list_dir = optarg;
			break;
		case 'h': {
			char stages[128];
			manifest_hook_stage_list(stages, sizeof(stages));
			fputs(usage_text, stdout);
			fputs(stages, stdout);
			fputs(usage_text_after_stages, stdout);
			exit(EXIT_SUCCESS);
		}
		case 'V':
			printf("mkrdinit %s\n", RDINIT_VERSION);
			exit(EXIT_SUCCESS);
		default:
			fputs("Try 'mkrdinit --help'.\n", stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind >= argc)
		usage_error("expected at least one HOOK folder");
	opts->hooks = argv + optind;
	opts->n_hooks = (size_t)(argc - optind);
	if (opts->list && opts->compression_given)
		usage_error(
			"--list writes a list of files, which is not compressed: leave out --compress");
	if ((opts->shell_hash || opts->shell_hash_from) && opts->shell != SHELL_PASSWORD)
		usage_error("--shell-hash%s goes with --shell=password",
			    opts->shell_hash ? "" : "-from");
	if (opts->shell_hash && opts->shell_hash_from)
		usage_error("--shell-hash and --shell-hash-from: give one of them");
	if (opts->no_modprobe_conf && opts->n_modprobe_dirs)
		usage_error("--no-modprobe-conf and --modprobe-conf: choose one");
	if (opts->list_dir && !opts->list)
		usage_error("--list-dir goes with --list");
	if (!opts->list && strcmp(opts->output, "-") == 0 && isatty(STDOUT_FILENO))
		usage_error("refusing to write an image to a terminal; use -o FILE");
	if (opts->list && !opts->list_dir && strcmp(opts->output, "-") != 0) {
		if (asprintf(&opts->default_list_dir, "%s.d", opts->output) < 0) {
			complain("unable to parse options: %s", strerror(ENOMEM));
			exit(EXIT_BAD_INPUT);
		}
		opts->list_dir = opts->default_list_dir;
	}
	if (!opts->depmod)
		opts->depmod = default_depmod();
	opts->mtime = source_date_epoch();
}

void options_free(struct options *opts)
{
	free(opts->defines);
	free(opts->modprobe_dirs);
	free(opts->default_list_dir);
}
