/* /etc/crypttab lines, as crypttab(5) and Debian's cryptsetup-initramfs write them: which device to
 * unlock under which name, with what key and options. Pure, shared by /init and mkrdinit. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "rootspec.h"

#define CRYPT_NAME_MAX 128
#define CRYPT_PATH_MAX 256
#define CRYPT_OPTIONS_MAX 256

/* One device to unlock, from whichever place said so. */
struct crypt_target {
	char name[CRYPT_NAME_MAX]; /* the mapping: /dev/mapper/NAME */
	struct root_spec
		source; /* the LUKS device: UUID= (its LUKS UUID), PARTUUID=, LABEL=, /dev/... */
	char keyfile[CRYPT_PATH_MAX]; /* "" to ask for a passphrase */
	struct root_spec keydev;      /* the device holding keyfile, when keydev_set */
	bool keydev_set;
	char header[CRYPT_PATH_MAX];			 /* a detached LUKS header, "" for none */
	unsigned long long keyfile_offset, keyfile_size; /* size 0: the whole file */
	int tries;   /* passphrase prompts before giving up; 0: no limit */
	int keyslot; /* -1: any */
	bool discard, readonly, noauto, nofail;
};

/* The tries cryptsetup-initramfs allows by default. */
#define CRYPT_TRIES_DEFAULT 3

/* A target with the defaults: any key slot, CRYPT_TRIES_DEFAULT tries. */
void crypt_target_init(struct crypt_target *target);

/*
 * Applies a comma list of crypttab options to target. Options rdinit does not support (plain,
 * tcrypt, swap, keyscript=, ...) are skipped and their names, comma-joined, put in unsupported
 * (empty when none). Returns 0, or -EINVAL with *reason for a malformed value (tries=x).
 */
int crypt_target_options(struct crypt_target *target, const char *options, char *unsupported,
			 size_t unsupported_size, const char **reason);

/*
 * Parses one line of a crypttab: NAME SOURCE [KEYFILE [OPTIONS]], whitespace separated; KEYFILE
 * "none" or "-" asks for a passphrase, "PATH:DEVICE" names a key on another device (systemd's).
 * Returns 1 for an entry, 0 for a blank line or a comment, -EINVAL with *reason for a malformed
 * one. Unsupported options as crypt_target_options() says.
 */
int crypttab_parse_line(const char *line, struct crypt_target *target, char *unsupported,
			size_t unsupported_size, const char **reason);
