/* A kernel module the image has but that did not load, and why: for the emergency screen. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* A module the image has but that could not be loaded: libkmod could not read it, or the kernel
 * refused it. */
struct module_refusal {
	char module[64]; /* the module of the probe list that failed (a dependency, perhaps) */
	char path[256];	 /* its file in the image */
	int error;	 /* -errno */
	char alias[128]; /* what asked for it (a MODALIAS, fs-ext4) */
};

/* Why a module was refused, from its file name, the error and what the kernel can do. */
enum refusal_cause {
	REFUSED_SIGNATURE, /* the kernel enforces signatures and this one is missing or untrusted */
	REFUSED_COMPRESSION,  /* a compressed file neither the kernel nor libkmod could read */
	REFUSED_OTHER_KERNEL, /* the image was built for another kernel */
	REFUSED_OTHER,
};

/* kernel_compression: /sys/module/compression ("" when the kernel decompresses nothing);
 * same_kernel: the image was built for the running kernel. Pure, for the tests. */
enum refusal_cause refusal_cause(const struct module_refusal *refusal,
				 const char *kernel_compression, bool same_kernel);

/* The compression of a module file by its name: "xz", "zstd", "gzip", "" for a plain .ko, or
 * NULL for a name that is not a module file. */
const char *module_file_compression(const char *path);

/* What the running kernel decompresses itself (/sys/module/compression), "" for nothing; and
 * whether it enforces module signatures (module.sig_enforce, or lockdown). */
void kernel_module_abilities(char *compression, size_t size, bool *sig_enforced);
