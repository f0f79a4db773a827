/* The LUKS layer: unlocks the crypto_LUKS devices the plan names (luksplan.h), with their key file
 * or a passphrase asked on every active console; what opens appears as /dev/mapper/NAME, a new
 * block device that is probed and matched like any other. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "luks.h"
#include "prompt.h"
#include "stages.h"
#include "sys.h"

#define CRYPTTAB "/etc/crypttab"
#define KEYDEV_MOUNT "/run/rdinit/keydev"
#define KEY_MAX 8192

/* The plan, once per boot, from the command line and the image's crypttab. */
static void make_plan(struct boot *boot, struct luks_state *luks)
{
	char crypttab[16384];
	ssize_t len = sys_read_file(CRYPTTAB, crypttab, sizeof(crypttab));
	luks_plan(&boot->opts.luks, len > 0 ? crypttab : NULL, &luks->plan);
	for (size_t i = 0; i < luks->plan.problem_count; i++)
		log_warning("luks: %s", luks->plan.problems[i]);
	luks->planned = true;
}

static bool was_unlocked(const struct luks_state *luks, const struct blockdev *dev)
{
	for (size_t i = 0; i < luks->unlocked_count; i++)
		if (luks->unlocked[i].major == dev->major && luks->unlocked[i].minor == dev->minor)
			return true;
	return false;
}

static void remember_unlocked(struct luks_state *luks, const struct blockdev *dev)
{
	if (luks->unlocked_count < LUKS_TARGETS_MAX)
		luks->unlocked[luks->unlocked_count++] = (struct devnum){ dev->major, dev->minor };
}

/* Reads size bytes (0: all) at offset of the key file at path into key. Returns the length or -errno. */
static ssize_t read_key(int dirfd, const char *path, unsigned long long offset,
			unsigned long long size, char *key)
{
	int fd = sys_openat(dirfd, path[0] == '/' && dirfd != AT_FDCWD ? path + 1 : path, O_RDONLY,
			    0);
	if (fd < 0)
		return fd;
	size_t want = size && size < KEY_MAX ? (size_t)size : KEY_MAX;
	ssize_t n = pread(fd, key, want, (off_t)offset);
	int e = errno;
	(void)close(fd);
	if (n < 0)
		return -e;
	if (size && (size_t)n != size)
		return -ENODATA;
	return n;
}

/* The key file, from the image or from the device that holds it: mounted read-only for the read, and
 * unmounted. -EAGAIN while that device has not appeared. */
static ssize_t load_key(struct boot *boot, const struct crypt_target *t, char *key, char *why,
			size_t why_size)
{
	if (!t->keydev_set) {
		ssize_t n = read_key(AT_FDCWD, t->keyfile, t->keyfile_offset, t->keyfile_size, key);
		if (n < 0)
			(void)snprintf(why, why_size, "unable to read key file %s: %s", t->keyfile,
				       strerror((int)-n));
		return n;
	}
	const struct blockdev *keydev = NULL;
	for (size_t i = 0; i < boot->devices.count && !keydev; i++)
		if (root_spec_matches(&t->keydev, &boot->devices.list[i], boot->devices.list,
				      boot->devices.count))
			keydev = &boot->devices.list[i];
	if (!keydev) {
		(void)snprintf(why, why_size, "the device holding key file %s has not appeared",
			       t->keyfile);
		return -EAGAIN;
	}
	char source[64];
	(void)snprintf(source, sizeof(source), "/dev/%s", keydev->name);
	(void)sys_mkdir_p(KEYDEV_MOUNT, 0700);
	int r = sys_mount(source, KEYDEV_MOUNT, keydev->type,
			  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r < 0) {
		(void)snprintf(why, why_size,
			       "unable to mount %s (%s), which holds key file %s: %s", source,
			       keydev->type[0] ? keydev->type : "no filesystem", t->keyfile,
			       strerror(-r));
		return r;
	}
	int dirfd = sys_open(KEYDEV_MOUNT, O_RDONLY | O_DIRECTORY, 0);
	ssize_t n = dirfd < 0
		? dirfd
		: read_key(dirfd, t->keyfile, t->keyfile_offset, t->keyfile_size, key);
	if (dirfd >= 0)
		(void)close(dirfd);
	(void)umount2(KEYDEV_MOUNT, MNT_DETACH);
	if (n < 0)
		(void)snprintf(why, why_size, "unable to read key file %s on %s: %s", t->keyfile,
			       source, strerror((int)-n));
	return n;
}

static void say_on_consoles(const int *fds, size_t count, const char *text)
{
	for (size_t i = 0; i < count; i++)
		(void)!write(fds[i], text, strlen(text));
}

/* Asks for the passphrase until it unlocks dev, t->tries times (0: no end). Returns 0, or -errno
 * with boot->failure saying why. */
static int ask(struct boot *boot, struct luks_state *luks, const struct luks_device *ld,
	       const struct crypt_target *t, const struct blockdev *dev)
{
	int fds[PROMPT_CONSOLES_MAX];
	int count = prompt_open_consoles(fds, PROMPT_CONSOLES_MAX);
	if (count < 0)
		return boot_fail(boot, count,
				 "unable to ask for the passphrase of %s (%s): no console: %s",
				 t->name, ld->device, strerror(-count));
	char prompt[256], pass[512], message[256], text[320];
	(void)snprintf(prompt, sizeof(prompt), "Please unlock disk %s (UUID %s): ", t->name,
		       dev->uuid);
	int timeout_ms = boot->opts.luks.timeout_s > 0 ? boot->opts.luks.timeout_s * 1000 : -1;
	log_info("luks: asking for the passphrase of %s (%s) on %d console(s)", t->name, ld->device,
		 count);
	int r = -EPERM, tries = 0;
	while (r == -EPERM && (t->tries == 0 || tries < t->tries)) {
		tries++;
		uint64_t start = timeline_now_ms();
		ssize_t len = prompt_passphrase(fds, (size_t)count, prompt, pass, sizeof(pass),
						timeout_ms);
		luks->prompt_ms += timeline_now_ms() - start;
		if (len < 0) {
			r = (int)len;
			break;
		}
		r = luks_unlock(ld, pass, (size_t)len, message, sizeof(message));
		if (r == 0) {
			memcpy(luks->passphrase, pass, (size_t)len);
			luks->passphrase_len = (size_t)len;
			luks->have_passphrase = true;
		} else if (r == -EPERM) {
			log_warning("luks: wrong passphrase for %s (%s), try %d", t->name,
				    ld->device, tries);
			(void)snprintf(text, sizeof(text), "Wrong passphrase for %s.\n", t->name);
			say_on_consoles(fds, (size_t)count, text);
		}
		explicit_bzero(pass, sizeof(pass));
	}
	prompt_close_consoles(fds, (size_t)count);
	if (r == 0)
		return 0;
	if (r == -EPERM)
		return boot_fail(boot, r,
				 "unable to unlock %s (%s, UUID %s): %d wrong passphrase%s",
				 t->name, ld->device, dev->uuid, tries, tries == 1 ? "" : "s");
	if (r == -ECANCELED)
		return boot_fail(boot, r, "unlocking %s (%s, UUID %s) was cancelled at the prompt",
				 t->name, ld->device, dev->uuid);
	if (r == -ETIMEDOUT)
		return boot_fail(boot, r,
				 "no passphrase for %s (%s, UUID %s) within rd.luks.timeout=%d s",
				 t->name, ld->device, dev->uuid, boot->opts.luks.timeout_s);
	return boot_fail(boot, r, "unable to unlock %s (%s, UUID %s): %s%s%s", t->name, ld->device,
			 dev->uuid, strerror(-r), message[0] ? ": " : "", message);
}

/* Unlocks one member as t says: its key file, then the passphrase that opened the last device, then
 * the prompt. */
static int unlock(struct boot *boot, struct luks_state *luks, struct layer_state *state,
		  const struct blockdev *dev, const struct crypt_target *t)
{
	char device[64], header[CRYPT_PATH_MAX], message[256] = "";
	(void)snprintf(device, sizeof(device), "/dev/%s", dev->name);
	(void)snprintf(header, sizeof(header), "%s", t->header);
	struct luks_device ld = {
		.device = device,
		.header = header[0] ? header : NULL,
		.name = t->name,
		.keyslot = t->keyslot,
		.discard = t->discard,
		.readonly = t->readonly,
	};
	if (luks_active(t->name)) {
		(void)snprintf(state->note, sizeof(state->note), "%s is open already", t->name);
		return 0;
	}
	int r = -EPERM;
	if (t->keyfile[0]) {
		char key[KEY_MAX];
		char why[512];
		ssize_t n = load_key(boot, t, key, why, sizeof(why));
		if (n == -EAGAIN) {
			(void)snprintf(state->note, sizeof(state->note), "%.40s: %.110s", t->name,
				       why);
			return -EAGAIN;
		}
		if (n >= 0)
			r = luks_unlock(&ld, key, (size_t)n, message, sizeof(message));
		explicit_bzero(key, sizeof(key));
		if (n < 0)
			log_warning("luks: %s: %s; asking for the passphrase", t->name, why);
		else if (r < 0)
			log_warning(
				"luks: key file %s does not unlock %s (%s): %s; asking for the passphrase",
				t->keyfile, t->name, device, strerror(-r));
	}
	if (r == -EPERM && luks->have_passphrase)
		r = luks_unlock(&ld, luks->passphrase, luks->passphrase_len, message,
				sizeof(message));
	if (r == -EPERM)
		r = ask(boot, luks, &ld, t, dev);
	else if (r < 0)
		r = boot_fail(boot, r, "unable to unlock %s (%s, UUID %s): %s%s%s", t->name, device,
			      dev->uuid, strerror(-r), message[0] ? ": " : "", message);
	if (r == 0)
		log_info("luks: unlocked %s (%s, UUID %s) as /dev/mapper/%s", t->name, device,
			 dev->uuid, t->name);
	return r;
}

int luks_unlock_members(struct boot *boot, struct layer_state *state, const char *program)
{
	(void)program;
	struct luks_state *luks = &boot->luks;
	if (!luks->planned)
		make_plan(boot, luks);
	int result = 0;
	unsigned opened = 0;
	for (size_t i = 0; i < boot->devices.count; i++) {
		const struct blockdev *dev = &boot->devices.list[i];
		if (strcmp(dev->type, "crypto_LUKS") != 0 || was_unlocked(luks, dev))
			continue;
		struct crypt_target t;
		int index = luks_plan_target(&luks->plan, dev, &boot->devices);
		if (index >= 0) {
			t = luks->plan.targets[index];
		} else if (luks->plan.any_device && dev->uuid[0]) {
			/* Named nowhere: the root may be inside, as it could not be found otherwise. */
			t = luks->plan.template;
			(void)snprintf(t.name, sizeof(t.name), "luks-%s", dev->uuid);
		} else {
			log_debug("luks: /dev/%s (UUID %s) is named nowhere: left locked",
				  dev->name, dev->uuid);
			continue;
		}
		int r = unlock(boot, luks, state, dev, &t);
		if (r == -EAGAIN) {
			result = r;
			continue;
		}
		if (r < 0)
			return r;
		remember_unlocked(luks, dev);
		opened++;
	}
	if (opened || !state->note[0])
		(void)snprintf(state->note, sizeof(state->note),
			       "%u device(s) unlocked, %zu in all", opened, luks->unlocked_count);
	return result;
}
