/* Why a module in the image did not load: the screen's hint must fit the cause. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "refusal.h"

static enum refusal_cause cause(const char *path, int error, const char *kernel_compression,
				bool same_kernel)
{
	struct module_refusal r = { .error = error };
	(void)snprintf(r.path, sizeof(r.path), "%s", path);
	return refusal_cause(&r, kernel_compression, same_kernel);
}

int main(void)
{
	CHECK_STR(module_file_compression("/lib/modules/6.1/kernel/fs/ext4/ext4.ko"), "",
		  "a plain .ko");
	CHECK_STR(module_file_compression("/lib/modules/6.12/kernel/fs/ext4/ext4.ko.xz"), "xz",
		  ".ko.xz");
	CHECK_STR(module_file_compression("ext4.ko.zst"), "zstd", ".ko.zst");
	CHECK_STR(module_file_compression("ext4.ko.gz"), "gzip", ".ko.gz");
	CHECK(module_file_compression("ext4.ko.lz4") == NULL,
	      "a .ko.lz4 is no module file libkmod reads");
	CHECK(module_file_compression("") == NULL, "an empty name");

	CHECK(cause("virtio_blk.ko", -EKEYREJECTED, "", true) == REFUSED_SIGNATURE,
	      "EKEYREJECTED (an unsigned module under module.sig_enforce=1) is the signature");
	CHECK(cause("virtio_blk.ko.xz", -EPERM, "xz", true) == REFUSED_SIGNATURE,
	      "EPERM (lockdown) is the signature");
	CHECK(cause("virtio_blk.ko", -ENOKEY, "", false) == REFUSED_SIGNATURE,
	      "a signature refusal is said as such even from an image for another kernel");
	CHECK(cause("virtio_blk.ko.zst", -ENOEXEC, "xz", true) == REFUSED_COMPRESSION,
	      "ENOEXEC for a .ko.zst on a kernel that decompresses xz: the compression (the issue's case)");
	CHECK(cause("virtio_blk.ko.xz", -ENOEXEC, "", true) == REFUSED_COMPRESSION,
	      "ENOEXEC for a .ko.xz on a kernel that decompresses nothing: the compression");
	CHECK(cause("virtio_blk.ko.zst", -EINVAL, "xz", true) == REFUSED_COMPRESSION,
	      "EINVAL from libkmod's zstd reader: the compression");
	CHECK(cause("virtio_blk.ko.lz4", -ENOEXEC, "xz", true) == REFUSED_COMPRESSION,
	      "an unknown suffix: the compression");
	CHECK(cause("virtio_blk.ko.xz", -ENOEXEC, "xz", true) == REFUSED_OTHER,
	      "ENOEXEC for a .ko.xz the kernel decompressed itself: not the compression");
	CHECK(cause("virtio_blk.ko", -ENOEXEC, "", true) == REFUSED_OTHER,
	      "ENOEXEC for a plain .ko: not the compression");
	CHECK(cause("virtio_blk.ko", -ENOEXEC, "", false) == REFUSED_OTHER_KERNEL,
	      "ENOEXEC from an image for another kernel: the kernel version");
	CHECK(cause("virtio_blk.ko", -ENOMEM, "", true) == REFUSED_OTHER, "ENOMEM: something else");
	return check_done();
}
