/* The kernel command line: tokenizing as the kernel does, and the options rdinit reads. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "layout.h"
#include "policy.h"
#include "rootspec.h"

#define CMDLINE_MAX 4096
#define CMDLINE_VALUE_MAX 512
#define CMDLINE_MAX_PROBLEMS 8
#define CMDLINE_LIST_MAX 8 /* values of a repeatable parameter */

/* One parameter the parser refused, kept so the stage can say which and why. */
struct cmdline_problem {
	char param[64];
	const char *reason;
};

#define CMDLINE_MODULES_MAX 16 /* module names of one rd.driver.* list, all its values together */
#define MODULE_NAME_MAX 64     /* the kernel's MODULE_NAME_LEN is 56 */

/* Module names as rd.driver.blacklist=, .pre= and .post= list them, with '-' written '_' as kmod
 * writes module names. */
struct module_names {
	char names[CMDLINE_MODULES_MAX][MODULE_NAME_MAX];
	size_t count;
};

#define LUKS_UUID_MAX 40 /* a UUID with its dashes, and room to spare */

/* LUKS as the command line asks for it, in each peer's words: dracut's and systemd's rd.luks.*,
 * mkinitcpio's cryptdevice= and cryptkey=. luks_plan() (luksplan.h) makes targets of them. */
struct luks_options {
	bool enabled;  /* rd.luks=0: unlock nothing */
	bool crypttab; /* rd.luks.crypttab=0: the image's /etc/crypttab is not read */
	char uuids[CMDLINE_LIST_MAX][LUKS_UUID_MAX]; /* rd.luks.uuid=, "luks-" dropped, lowercase */
	size_t uuid_count;
	struct {
		char uuid[LUKS_UUID_MAX];
		char name[128];
	} names[CMDLINE_LIST_MAX]; /* rd.luks.name=UUID=NAME */
	size_t name_count;
	struct luks_key {
		char uuid[LUKS_UUID_MAX]; /* "" for every device */
		char path[256];		  /* in the image, or on device */
		char device[256];	  /* where the key file is, "" for the image */
	} keys[CMDLINE_LIST_MAX];	  /* rd.luks.key= */
	size_t key_count;
	struct {
		char uuid[LUKS_UUID_MAX]; /* "" for every device */
		char options[256];	  /* crypttab options */
	} options[CMDLINE_LIST_MAX];	  /* rd.luks.options= */
	size_t options_count;
	bool discard_all;				     /* rd.luks.allow-discards */
	char discard_uuids[CMDLINE_LIST_MAX][LUKS_UUID_MAX]; /* rd.luks.allow-discards=UUID */
	size_t discard_count;
	int timeout_s; /* rd.luks.timeout=: how long a prompt waits; 0 for ever */
	char cryptdevice[CMDLINE_VALUE_MAX]; /* cryptdevice=DEVICE:NAME[:OPTIONS] */
	char cryptkey[CMDLINE_VALUE_MAX];    /* cryptkey=rootfs:PATH or DEVICE:FSTYPE:PATH */
};

struct boot_options {
	char root[CMDLINE_VALUE_MAX]; /* root= as written (quotes removed), "" when absent */
	struct root_spec root_spec;   /* valid only when root_ok */
	bool root_ok;
	char rootfstype[CMDLINE_VALUE_MAX];
	char rootflags[CMDLINE_VALUE_MAX];
	bool read_write;	      /* "rw"; the kernel's default is read-only */
	char init[CMDLINE_VALUE_MAX]; /* init=, "" when absent */
	bool rootwait;		      /* rootwait with no value: wait forever */
	int rootwait_s;		      /* rootwait=N, -1 when absent */
	int rootdelay_s;	      /* rootdelay=N, 0 when absent */
	int rd_timeout_s;	      /* rd.timeout=N, -1 when absent; 0 means forever */
	bool panic_set;
	int panic_s;  /* panic=N: N>0 reboot after N s, N<0 at once, 0 never */
	bool debug;   /* rd.debug */
	int shell;    /* rd.shell: 1, 0, or -1 when absent; within the image's policy (layout.h) */
	int shutdown; /* rd.shutdown: 1, 0, or -1 when absent (on when root is on dm or md) */
	enum boot_stage break_stage;		/* rd.break=, STAGE_NONE when absent */
	enum emergency_action emergency_action; /* rd.emergency= */
	int hook_timeout_s; /* rd.hook_timeout=, DEFAULT_HOOK_TIMEOUT_S when absent */
	int uevent_buffer;  /* rd.uevent_buffer=, bytes; UEVENT_RCVBUF_DEFAULT when absent */
	int settle_ms;	    /* rd.settle_ms=: devices unchanged this long after root= matched */
	bool quiet;
	bool lvm;			    /* rd.lvm=0 turns the lvm layer off */
	char lvm_vg[CMDLINE_LIST_MAX][128]; /* rd.lvm.vg=, repeatable: the groups to activate */
	size_t lvm_vg_count;
	struct luks_options luks;
	bool md; /* rd.md=0 turns the md layer off */
	char md_uuids[CMDLINE_LIST_MAX]
		     [64]; /* rd.md.uuid=, repeatable: the only arrays to assemble */
	size_t md_uuid_count;
	char usr[CMDLINE_VALUE_MAX]; /* mount.usr= (systemd's) as written; "" when absent: the fstab's */
	struct root_spec usr_spec; /* valid when usr_ok */
	bool usr_ok;
	char usrfstype[CMDLINE_VALUE_MAX]; /* mount.usrfstype= */
	char usrflags[CMDLINE_VALUE_MAX];  /* mount.usrflags= */
	char resume[CMDLINE_VALUE_MAX];	   /* resume= as written, "" when absent */
	struct root_spec resume_spec;	   /* valid when resume_ok */
	bool resume_ok;
	bool noresume;			  /* noresume: boot fresh, whatever the swap holds */
	unsigned long long resume_offset; /* resume_offset=, in pages: a swap file's */
	struct module_names
		driver_blacklist; /* rd.driver.blacklist=: never loaded, nor as a dependency */
	struct module_names driver_pre; /* rd.driver.pre=: loaded before the coldplug */
	struct module_names
		driver_post; /* rd.driver.post=: loaded once the uevents settled, not before */
	struct cmdline_problem problems[CMDLINE_MAX_PROBLEMS];
	size_t problem_count;
	unsigned problems_dropped; /* problems past the CMDLINE_MAX_PROBLEMS kept */
	size_t cmdline_length;	   /* of the whole line */
	size_t cmdline_cut; /* where it was cut to fit CMDLINE_MAX; cmdline_length when not */
};

/*
 * Calls visit(name, value) for each parameter, splitting as the kernel's next_arg() does:
 * whitespace separates, double quotes group, value quotes are dropped; stops at "--".
 * value is NULL for a bare word. Returns 0, -EINVAL for an unterminated quote (after
 * visiting the parameters before it; bad_name then holds the parameter's name), -E2BIG for
 * a line longer than CMDLINE_MAX, or the first negative value visit returned.
 */
int cmdline_for_each(const char *text, int (*visit)(const char *name, const char *value, void *ctx),
		     void *ctx, char *bad_name, size_t bad_name_size);

/* Copies to out (size bytes) the longest part of text that ends between two parameters and fits,
 * when all of text does not. Returns the length of the part that is read: strlen(text) when it all
 * fits (out is then untouched), else the offset where it was cut. */
size_t cmdline_fit(const char *text, char *out, size_t size);

/* Fills opts from text (a line longer than CMDLINE_MAX - 1 is cut, see cmdline_fit()). Unknown parameters are ignored, repeated ones: the last wins,
 * malformed values are skipped and listed in opts->problems. Never fails. */
void boot_options_parse(const char *text, struct boot_options *opts);

/* Sets resume= to value, as the command line would (when it names none, the image's IMAGE_RESUME).
 * Returns 0 or -EINVAL with *reason. */
int boot_options_resume(struct boot_options *opts, const char *value, const char **reason);

/* Whether list holds name, '-' and '_' taken as the same. */
bool module_names_contain(const struct module_names *list, const char *name);

/* Seconds to wait for root: -1 forever. Documented order: rootwait (forever) < rootwait=N
 * < rd.timeout=N, the most specific wins; none of them: DEFAULT_ROOT_TIMEOUT_S. */
int boot_options_root_timeout(const struct boot_options *opts);
