/* options: mkrdinit's command line, and SOURCE_DATE_EPOCH, read once into struct options. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "newc.h"

/* The exit status of a failed build, and of bad usage. */
#define EXIT_BAD_INPUT 1
#define EXIT_USAGE 2

/* --decompress-modules: whether .ko.xz, .ko.zst, .ko.gz go in decompressed. */
enum decompress_modules {
	DECOMPRESS_AUTO, /* with --host-only */
	DECOMPRESS_YES,
	DECOMPRESS_NO,
};

struct options {
	const char *kver;
	const char *modules_dir;
	const char *firmware_dir;
	const char *output;
	enum compression compression;
	bool compression_given;
	const char *depmod;
	char **defines; /* "VAR=VALUE" */
	size_t n_defines;
	char **hooks;
	size_t n_hooks;
	const char *hooks_dir;
	bool host_only;
	const char *sysfs;
	const char *mountinfo;
	const char *crypttab; /* where --host-only reads the machine's crypttab */
	const char *cpuinfo;  /* where --host-only reads the machine's CPU */
	bool no_microcode;    /* --no-microcode: no early microcode archive */
	enum decompress_modules decompress_modules; /* --decompress-modules */
	const char *resume;	 /* --resume: the resume device for the image, "" when none */
	const char *resume_conf; /* where --host-only reads the machine's resume device (RESUME=) */
	const char *mdadm_conf;	 /* where --host-only reads the machine's ARRAY lines */
	enum shell_policy shell; /* --shell: who gets the rescue shell */
	bool shell_given;	 /* the image then has IMAGE_SHELL_POLICY */
	const char *shell_hash;	 /* --shell-hash: the password's crypt(3) hash */
	const char *shell_hash_from; /* --shell-hash-from: a file holding it */
	const char *shadow;	     /* where root's hash is read otherwise (default /etc/shadow) */
	const char **modprobe_dirs;  /* --modprobe-conf=DIR, in order; none given: the machine's */
	size_t n_modprobe_dirs;
	bool no_modprobe_conf; /* --no-modprobe-conf */
	bool list;
	const char *list_dir;
	char *default_list_dir; /* OUTPUT.d */
	int64_t mtime;
};

/* Reads the command line into OPTS, with each default filled in (depmod: from PATH, then /usr/sbin, /sbin). Does
 * not return for --help and --version (exit 0), bad usage (says what was wrong, exit EXIT_USAGE), or no memory
 * (EXIT_BAD_INPUT). */
void parse_options(int argc, char **argv, struct options *opts);

/* The value of ${NAME} in a manifest, as a manifest_lookup_fn with the options as USERDATA: the last -D NAME=VALUE,
 * else NAME in the environment, else NULL. */
const char *options_lookup_variable(const char *name, void *userdata);

void options_free(struct options *opts);
