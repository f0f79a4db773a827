/* Unlocking a LUKS1 or LUKS2 device into /dev/mapper/NAME with libcryptsetup. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct luks_device {
	const char *device; /* /dev/vda3 */
	const char *header; /* a detached header, or NULL */
	const char *name;   /* the mapping's name */
	int keyslot;	    /* -1: any */
	bool discard, readonly;
};

/* Whether /dev/mapper/name is active already. */
bool luks_active(const char *name);

/* Unlocks dev with a passphrase, or with key bytes (a key file's). Returns 0; -EPERM when no key
 * slot takes the passphrase or key; -EINVAL when dev holds no LUKS header libcryptsetup reads;
 * or another -errno (-ENOENT: no dm_crypt or device-mapper). When not NULL, message gets
 * libcryptsetup's last error message. */
int luks_unlock(const struct luks_device *dev, const char *key, size_t key_len, char *message,
		size_t message_size);
