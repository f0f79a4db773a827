/* Stage: read /proc/cmdline into the options every later stage follows. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "stages.h"
#include "sys.h"

static const char *problem_with(const struct boot_options *opts, const char *param)
{
	for (size_t i = 0; i < opts->problem_count; i++)
		if (strcmp(opts->problems[i].param, param) == 0)
			return opts->problems[i].reason;
	return NULL;
}

int read_boot_options(struct boot *boot)
{
	struct boot_options *opts = &boot->opts;
	/* Room for more than /init reads (CMDLINE_MAX), to say what was cut off: the kernel's own limit
	 * is 2048 bytes on x86 but larger elsewhere, and bootconfig adds to it. */
	static char text[4 * CMDLINE_MAX];
	ssize_t len = sys_read_file("/proc/cmdline", text, sizeof(text));
	if (len < 0)
		return boot_fail_final(boot, (int)len, "unable to read /proc/cmdline: %s",
				       strerror((int)-len));
	text[strcspn(text, "\n")] = '\0';

	boot_options_parse(text, opts);
	log_set_debug(opts->debug);
	log_info("rdinit " RDINIT_VERSION " starting; command line: %s", text);
	if (opts->cmdline_cut < opts->cmdline_length) {
		const char *rest = text + opts->cmdline_cut;
		rest += strspn(rest, " \t");
		log_warning(
			"the command line is %s%zu bytes, more than the %d rdinit reads: ignoring "
			"everything from byte %zu on (\"%.40s%s\")",
			(size_t)len == sizeof(text) - 1 ? "at least " : "", opts->cmdline_length,
			CMDLINE_MAX - 1, (size_t)(rest - text), rest,
			strlen(rest) > 40 ? "..." : "");
	}
	for (size_t i = 0; i < opts->problem_count; i++)
		log_warning("ignoring %s on the command line: %s", opts->problems[i].param,
			    opts->problems[i].reason);
	if (opts->problems_dropped)
		log_warning("and %u more problems on the command line", opts->problems_dropped);

	/* resume= given when the image was made, for a command line that names none. */
	char resume[CMDLINE_VALUE_MAX];
	const char *reason;
	if (!opts->resume[0] && !problem_with(opts, "resume") &&
	    sys_read_file(IMAGE_RESUME, resume, sizeof(resume)) > 0) {
		resume[strcspn(resume, "\n")] = '\0';
		if (boot_options_resume(opts, resume, &reason) < 0)
			log_warning("ignoring resume=%s of " IMAGE_RESUME ": %s", resume, reason);
		else
			log_info("resume=%s, as " IMAGE_RESUME " says", resume);
	}

	/* The command line cannot change under a rescue shell: nothing to try again. */
	if (!opts->root[0] && !problem_with(opts, "root"))
		return boot_fail_final(boot, -EINVAL,
				       "no root= on the kernel command line: nothing to boot "
				       "(add root=UUID=..., root=LABEL=... or root=/dev/...)");
	if (!opts->root_ok)
		return boot_fail_final(boot, -EINVAL, "root=%s is not usable: %s", opts->root,
				       problem_with(opts, "root") ? problem_with(opts, "root")
								  : "malformed");
	return 0;
}
