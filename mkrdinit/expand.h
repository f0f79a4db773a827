/* expand: a compressed kernel module file read back as the module it holds. */
#pragma once

#include <stddef.h>

/* Length of RELPATH's compression suffix (".xz" of "ext4.ko.xz", ".zst", ".gz"), or 0 for a plain .ko or any
 * other name. */
size_t expand_suffix_len(const char *relpath);

/* Reads PATH, a module compressed with xz, zstd or gzip, into *DATA (malloc'ed, *LEN bytes): the module it
 * holds, signature and all (libkmod has read its modinfo already). Returns 0, or -errno with ERR filled in
 * (not compressed, corrupt, unreadable). */
int expand_module(const char *path, char **data, size_t *len, char *err, size_t err_size);
