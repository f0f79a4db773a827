/* The md layer: each RAID member that appears is handed to the image's mdadm for incremental assembly
 * (mdadm --incremental), which starts an array once all its members are there; the array is a new
 * block device (md127, /dev/md/NAME) probed and matched like any other. An array still short of
 * members when half the root's wait has passed is started degraded (mdadm --incremental --run
 * --scan, as dracut does), saying which member is missing. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "drivers.h"
#include "log.h"
#include "spawn.h"
#include "stages.h"
#include "sys.h"

static bool was_handled(const struct md_state *md, const struct blockdev *dev)
{
	for (size_t i = 0; i < md->handled_count; i++)
		if (md->handled[i].major == dev->major && md->handled[i].minor == dev->minor)
			return true;
	return false;
}

static void remember(struct md_state *md, const struct blockdev *dev)
{
	if (md->handled_count < MD_MEMBERS_MAX)
		md->handled[md->handled_count++] = (struct devnum){ dev->major, dev->minor };
}

/* A UUID as hex digits alone, lowercase: mdadm writes 335684f2:7fba4c0e:..., blkid 335684f2-7fba-... */
static void uuid_digits(const char *uuid, char *out, size_t size)
{
	size_t o = 0;
	for (const char *p = uuid; *p && o + 1 < size; p++)
		if (isxdigit((unsigned char)*p))
			out[o++] = (char)tolower((unsigned char)*p);
	out[o] = '\0';
}

/* Whether rd.md.uuid= lets this member's array be assembled: always, when it names none. */
static bool array_wanted(const struct boot_options *opts, const struct blockdev *dev)
{
	if (opts->md_uuid_count == 0)
		return true;
	char have[64], want[64];
	uuid_digits(dev->uuid, have, sizeof(have));
	for (size_t i = 0; i < opts->md_uuid_count; i++) {
		uuid_digits(opts->md_uuids[i], want, sizeof(want));
		if (strcmp(have, want) == 0)
			return true;
	}
	return false;
}

/* Runs mdadm with args, its output to the console; returns 0 or what went wrong, in note. */
static int run_mdadm(struct boot *boot, struct layer_state *state, const char *mdadm, char **argv)
{
	char *envp[] = { "PATH=" IMAGE_PATH, NULL };
	struct program_result result;
	int r = run_program(mdadm, argv, envp, false, boot->opts.hook_timeout_s * 1000, &result);
	if (r < 0) {
		(void)snprintf(state->note, sizeof(state->note), "unable to run %s: %s", mdadm,
			       strerror(-r));
		return -EAGAIN;
	}
	if (result.timed_out || result.signaled || result.status != 0) {
		(void)snprintf(state->note, sizeof(state->note), "mdadm %s %s %s %d", argv[1],
			       argv[2],
			       result.timed_out		 ? "was killed on timeout, signal"
				       : result.signaled ? "was killed by signal"
							 : "failed with exit status",
			       result.timed_out ? 9 : result.status);
		return -EAGAIN;
	}
	return 0;
}

/* The kernel asks a modprobe the image lacks for the RAID level's personality: load it first, from
 * what the member's superblock says (mdadm --examine --export: MD_LEVEL=raid1). */
static void load_personality(struct boot *boot, const char *mdadm, const char *device)
{
	char *argv[] = { "mdadm", "--examine", "--export", (char *)device, NULL };
	char *envp[] = { "PATH=" IMAGE_PATH, NULL };
	char out[2048];
	struct program_result result;
	if (run_program_output(mdadm, argv, envp, boot->opts.hook_timeout_s * 1000, out,
			       sizeof(out), &result) < 0)
		return;
	const char *level = strstr(out, "MD_LEVEL=");
	if (!level)
		return;
	char alias[40];
	(void)snprintf(alias, sizeof(alias), "md-%.*s", (int)strcspn(level + 9, "\n"), level + 9);
	if (load_modules(boot, alias) < 0)
		log_debug("md: no module for %s (built in, or missing)", alias);
}

int md_assemble(struct boot *boot, struct layer_state *state, const char *mdadm)
{
	struct md_state *md = &boot->md;
	unsigned added = 0;
	int result = 0;
	for (size_t i = 0; i < boot->devices.count; i++) {
		const struct blockdev *dev = &boot->devices.list[i];
		if (strcmp(dev->type, "linux_raid_member") != 0 || was_handled(md, dev))
			continue;
		remember(md, dev);
		if (!array_wanted(&boot->opts, dev)) {
			log_info(
				"md: /dev/%s belongs to array %s, which rd.md.uuid= does not name: left alone",
				dev->name, dev->uuid);
			continue;
		}
		char device[64];
		(void)snprintf(device, sizeof(device), "/dev/%s", dev->name);
		load_personality(boot, mdadm, device);
		char *argv[] = { "mdadm", "--incremental", device, NULL };
		int r = run_mdadm(boot, state, mdadm, argv);
		if (r < 0)
			result = r;
		else
			added++;
	}
	if (result == 0)
		(void)snprintf(state->note, sizeof(state->note),
			       "%u member(s) handed to mdadm, %zu in all", added,
			       md->handled_count);
	return result;
}

/* The slots of an array that no member fills, from sysfs: md/raid_disks, and each dev-*'s slot. */
static void report_missing(const char *array)
{
	char path[128], buf[32], missing[128] = "";
	(void)snprintf(path, sizeof(path), "/sys/block/%s/md/raid_disks", array);
	if (sys_read_file(path, buf, sizeof(buf)) <= 0)
		return;
	int disks = atoi(buf);
	bool filled[64] = { false };
	(void)snprintf(path, sizeof(path), "/sys/block/%s/md", array);
	DIR *dir = opendir(path);
	struct dirent *entry;
	while (dir && (entry = readdir(dir))) {
		char slot[128 + 300];
		if (strncmp(entry->d_name, "dev-", 4) != 0)
			continue;
		(void)snprintf(slot, sizeof(slot), "%s/%s/slot", path, entry->d_name);
		if (sys_read_file(slot, buf, sizeof(buf)) > 0 && isdigit((unsigned char)buf[0]) &&
		    atoi(buf) < 64)
			filled[atoi(buf)] = true;
	}
	if (dir)
		(void)closedir(dir);
	int present = 0;
	for (int s = 0; s < disks && s < 64; s++) {
		if (filled[s])
			present++;
		else
			(void)snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				       "%s%d", missing[0] ? ", " : "", s);
	}
	if (present < disks)
		log_warning("md: /dev/%s started degraded: %d of %d members; missing: slot %s",
			    array, present, disks, missing);
}

int md_start_degraded(struct boot *boot, struct layer_state *state, const char *mdadm)
{
	log_warning(
		"md: half the wait for root is over: starting the arrays still short of members");
	char *argv[] = { "mdadm", "--incremental", "--run", "--scan", NULL };
	int r = run_mdadm(boot, state, mdadm, argv);
	DIR *dir = opendir("/sys/block");
	struct dirent *entry;
	while (dir && (entry = readdir(dir)))
		if (strncmp(entry->d_name, "md", 2) == 0)
			report_missing(entry->d_name);
	if (dir)
		(void)closedir(dir);
	if (r == 0)
		(void)snprintf(state->note, sizeof(state->note), "arrays short of members started");
	return r;
}
