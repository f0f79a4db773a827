/* microcode: the early microcode archive: the CPU vendors' update blobs of the build machine's firmware folder,
 * at the paths where the kernel's early loader looks for them (Documentation/arch/x86/microcode.rst), in an image
 * of their own that is written uncompressed before the main archive. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "options.h"

/* The vendors the kernel's early loader knows, in the order of microcode_notes.vendors. */
enum microcode_vendor {
	MICROCODE_INTEL,
	MICROCODE_AMD,
	MICROCODE_VENDOR_COUNT,
};

/* What went into the early archive, or why nothing did, for the summary. */
struct microcode_notes {
	const char *skipped; /* none at all by choice: "--no-microcode", "--list", else NULL */
	char cpu[256];	     /* --host-only: the CPU as /proc/cpuinfo says, and the blob it needs */
	struct {
		const char *file;   /* "GenuineIntel.bin" */
		const char *folder; /* "intel-ucode" */
		char *dir; /* the firmware folder the blobs came from, or NULL: none found */
		size_t n_blobs;
		uint64_t bytes;
	} vendors[MICROCODE_VENDOR_COUNT];
	size_t compressed; /* blobs left out: compressed (.xz, .zst), which the early loader cannot read */
};

/* Fills EARLY (finalized) with kernel/x86/microcode/GenuineIntel.bin, the blobs of intel-ucode/ one after the
 * other in the order of their names, and AuthenticAMD.bin, those of amd-ucode/microcode_amd*.bin, each from the
 * first firmware folder (-f DIR, else /lib/firmware, /usr/lib/firmware) that has that folder; with --host-only
 * only the blob of this machine's CPU (--cpuinfo). A vendor without blobs has no file, and EARLY stays empty when
 * neither has any, with --no-microcode, and with --list. Says what failed, once; returns 0 or -errno. */
int microcode_build(const struct options *opts, struct image *early, struct microcode_notes *notes);

void microcode_notes_free(struct microcode_notes *notes);
