/* LUKS through libcryptsetup: load the header, try a passphrase or key on the key slots, activate
 * the mapping through device-mapper. libcryptsetup's messages are kept for the caller, not logged. */
#include <errno.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>

#include "luks.h"

struct messages {
	char *buf;
	size_t size;
};

static void keep_message(int level, const char *msg, void *data)
{
	struct messages *m = data;
	if (level != CRYPT_LOG_ERROR || !m->buf || m->size == 0)
		return;
	(void)snprintf(m->buf, m->size, "%s", msg);
	m->buf[strcspn(m->buf, "\n")] = '\0';
}

bool luks_active(const char *name)
{
	crypt_status_info status = crypt_status(NULL, name);
	return status == CRYPT_ACTIVE || status == CRYPT_BUSY;
}

int luks_unlock(const struct luks_device *dev, const char *key, size_t key_len, char *message,
		size_t message_size)
{
	struct messages m = { message, message_size };
	if (message && message_size)
		message[0] = '\0';
	crypt_set_log_callback(NULL, keep_message, &m);
	struct crypt_device *cd;
	int r = dev->header ? crypt_init_data_device(&cd, dev->header, dev->device)
			    : crypt_init(&cd, dev->device);
	if (r < 0)
		return r;
	crypt_set_log_callback(cd, keep_message, &m);
	r = crypt_load(cd, CRYPT_LUKS, NULL);
	if (r == 0) {
		uint32_t flags = (dev->discard ? CRYPT_ACTIVATE_ALLOW_DISCARDS : 0) |
			(dev->readonly ? CRYPT_ACTIVATE_READONLY : 0);
		r = crypt_activate_by_passphrase(cd, dev->name,
						 dev->keyslot >= 0 ? dev->keyslot : CRYPT_ANY_SLOT,
						 key, key_len, flags);
		if (r > 0)
			r = 0; /* the key slot that opened it */
	}
	crypt_free(cd);
	crypt_set_log_callback(NULL, NULL, NULL);
	return r;
}
