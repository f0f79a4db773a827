/* Why the kernel or libkmod refused a module, told from the error, the file's name and what the kernel can do. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "refusal.h"
#include "sys.h"

const char *module_file_compression(const char *path)
{
	static const struct {
		const char *suffix, *compression;
	} suffixes[] = {
		{ ".ko", "" }, { ".ko.xz", "xz" }, { ".ko.zst", "zstd" }, { ".ko.gz", "gzip" }
	};
	size_t len = strlen(path);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t n = strlen(suffixes[i].suffix);
		if (len > n && strcmp(path + len - n, suffixes[i].suffix) == 0)
			return suffixes[i].compression;
	}
	return NULL;
}

enum refusal_cause refusal_cause(const struct module_refusal *refusal,
				 const char *kernel_compression, bool same_kernel)
{
	switch (-refusal->error) {
	case ENOKEY:	   /* unsigned, under enforcement */
	case EKEYREJECTED: /* signed with a key the kernel does not trust */
	case EKEYEXPIRED:
	case EKEYREVOKED:
	case EBADMSG: /* a signature that does not parse */
	case ENOPKG:  /* a signature in crypto the kernel lacks */
	case EPERM:   /* lockdown, which refuses unsigned modules with EPERM */
		return REFUSED_SIGNATURE;
	}
	if (!same_kernel)
		return REFUSED_OTHER_KERNEL;
	const char *compression = module_file_compression(refusal->path);
	/* libkmod hands the kernel a file it could not decompress as it is, which the kernel
	 * takes for a bad ELF (ENOEXEC); its own decompressors fail with EINVAL. */
	if ((refusal->error == -ENOEXEC || refusal->error == -EINVAL) &&
	    (!compression || (*compression && strcmp(compression, kernel_compression) != 0)))
		return REFUSED_COMPRESSION;
	return REFUSED_OTHER;
}

void kernel_module_abilities(char *compression, size_t size, bool *sig_enforced)
{
	char buf[16];
	if (sys_read_file("/sys/module/compression", compression, size) <= 0)
		compression[0] = '\0';
	compression[strcspn(compression, "\n")] = '\0';
	*sig_enforced = sys_read_file("/sys/module/module/parameters/sig_enforce", buf,
				      sizeof(buf)) > 0 &&
		buf[0] == 'Y';
}
