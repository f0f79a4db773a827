/* Stage: read /proc/cmdline into the options every later stage follows. */
#include <string.h>

#include "emergency.h"
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

void read_boot_options(struct boot_options *opts)
{
	char text[CMDLINE_MAX];
	ssize_t len = sys_read_file("/proc/cmdline", text, sizeof text);
	if (len < 0)
		emergency("unable to read /proc/cmdline: %s", strerror((int)-len));
	text[strcspn(text, "\n")] = '\0';

	boot_options_parse(text, opts);
	emergency_set_options(opts);
	log_set_debug(opts->debug);
	log_info("rdinit " RDINIT_VERSION " starting; command line: %s", text);
	for (size_t i = 0; i < opts->problem_count; i++)
		log_warning("ignoring %s on the command line: %s", opts->problems[i].param,
			    opts->problems[i].reason);

	if (!opts->root[0] && !problem_with(opts, "root"))
		emergency("no root= on the kernel command line: nothing to boot "
			  "(add root=UUID=..., root=LABEL=... or root=/dev/...)");
	if (!opts->root_ok)
		emergency("root=%s is not usable: %s", opts->root,
			  problem_with(opts, "root") ? problem_with(opts, "root") : "malformed");
}
