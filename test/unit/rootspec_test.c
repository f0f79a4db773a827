/* Every root= form, good and malformed, and matching against probed devices. */
#include <stdbool.h>
#include <string.h>

#include "../check.h"
#include "rootspec.h"

static struct root_spec spec;
static const char *reason;

static bool parses(const char *text)
{
	return root_spec_parse(text, &spec, &reason) == 0;
}

static void test_forms(void)
{
	CHECK(parses("/dev/vda1") && spec.kind == ROOT_BY_DEVNAME, "/dev/vda1");
	CHECK_STR(spec.value, "vda1", "device name without /dev/");
	CHECK(parses("/dev/nvme0n1p2") && spec.kind == ROOT_BY_DEVNAME, "/dev/nvme0n1p2");
	CHECK(parses("/dev/mmcblk0p1") && spec.kind == ROOT_BY_DEVNAME, "/dev/mmcblk0p1");
	CHECK(parses("UUID=3F2504E0-4F89-11D3-9A0C-0305E82C3301") && spec.kind == ROOT_BY_UUID,
	      "UUID= upper case");
	CHECK_STR(spec.value, "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "UUID lowercased");
	CHECK(parses("/dev/disk/by-uuid/abcd-1234") && spec.kind == ROOT_BY_UUID, "by-uuid link");
	CHECK(parses("LABEL=my root") && spec.kind == ROOT_BY_LABEL, "LABEL= with a space");
	CHECK_STR(spec.value, "my root", "label kept as is");
	CHECK(parses("/dev/disk/by-label/my\\x20root") && spec.kind == ROOT_BY_LABEL,
	      "by-label link");
	CHECK_STR(spec.value, "my root", "by-label \\x20 decoded");
	CHECK(parses("PARTUUID=0FC63DAF-8483-4772-8E79-3D69D8477DE4") &&
		      spec.kind == ROOT_BY_PARTUUID,
	      "PARTUUID= GPT");
	CHECK(spec.partnroff == 0, "no PARTNROFF");
	CHECK(parses("PARTUUID=1234abcd-02") && spec.kind == ROOT_BY_PARTUUID,
	      "PARTUUID= MBR form");
	CHECK_STR(spec.value, "1234abcd-02", "MBR PARTUUID");
	CHECK(parses("PARTUUID=1234abcd-01/PARTNROFF=2") && spec.partnroff == 2, "PARTNROFF=2");
	CHECK_STR(spec.value, "1234abcd-01", "PARTUUID before /PARTNROFF");
	CHECK(parses("/dev/disk/by-partuuid/1234abcd-01") && spec.kind == ROOT_BY_PARTUUID,
	      "by-partuuid link");
	CHECK(parses("PARTLABEL=root") && spec.kind == ROOT_BY_PARTLABEL, "PARTLABEL=");
	CHECK(parses("/dev/disk/by-partlabel/EFI\\x20system") && spec.kind == ROOT_BY_PARTLABEL,
	      "by-partlabel link");
	CHECK_STR(spec.value, "EFI system", "by-partlabel decoded");
	CHECK(parses("8:1") && spec.kind == ROOT_BY_DEVNUM && spec.major == 8 && spec.minor == 1,
	      "MAJ:MIN");
	CHECK(parses("0801") && spec.major == 8 && spec.minor == 1, "kernel hex 0801 is 8:1");
	CHECK(parses("fe01") && spec.major == 254 && spec.minor == 1, "kernel hex fe01 is 254:1");
	CHECK(parses("259:65536") && spec.major == 259 && spec.minor == 65536, "large minor");
	CHECK(parses("/dev/mapper/vg0-root") && spec.kind == ROOT_BY_DM_NAME, "/dev/mapper/NAME");
	CHECK_STR(spec.value, "vg0-root", "device-mapper name");
	CHECK(parses("/dev/vg0/root") && spec.kind == ROOT_BY_DM_NAME,
	      "/dev/VG/LV is a device-mapper name");
	CHECK_STR(spec.value, "vg0-root", "VG-LV");
	CHECK(parses("/dev/rdhost-vg/swap_1") && strcmp(spec.value, "rdhost--vg-swap_1") == 0,
	      "a '-' in the group's name is doubled, as lvm names the dm device");
	CHECK(parses("/dev/my-vg/my-lv") && strcmp(spec.value, "my--vg-my--lv") == 0,
	      "and in the volume's");
	CHECK(parses("/dev/md/rdroot") && spec.kind == ROOT_BY_MD_NAME &&
		      strcmp(spec.value, "rdroot") == 0,
	      "/dev/md/NAME is an md array's name");
	CHECK(parses("/dev/md127") && spec.kind == ROOT_BY_DEVNAME, "/dev/md127 is a kernel name");
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"UUID=",
		"LABEL=",
		"PARTUUID=",
		"PARTLABEL=",
		"/dev/",
		"UUID=xyz-123",
		"PARTUUID=abcd/PARTNROFF=",
		"PARTUUID=abcd/PARTNROFF=x",
		"PARTUUID=abcd/FOO=1",
		"8:",
		":1",
		"8:1x",
		"99999:1",
		"sda1",
		"0x801",
		"/dev/disk/by-id/ata-foo",
		"/dev/../etc/passwd",
		"/dev/disk/by-label/",
		"/dev/mapper/",
		"/dev/mapper/a/b",
		"/dev/md/",
		"/dev/md/a/b",
		"/dev/vg/",
		"/dev//lv",
		"/dev/a/b/c",
		"/dev/../lv",
		"LABEL=my\\x00root",
		"PARTLABEL=\\x00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reason = NULL;
		bool ok = parses(bad[i]);
		CHECK(!ok && reason && *reason, "root=%s rejected (%s)", bad[i],
		      reason ? reason : "no reason");
	}
	char longuuid[400] = "UUID=";
	memset(longuuid + 5, 'a', 300);
	longuuid[305] = '\0';
	CHECK(!parses(longuuid), "overlong UUID rejected");
}

static struct blockdev dev(const char *name, unsigned major, unsigned minor, int partno,
			   const char *uuid, const char *label, const char *partuuid,
			   const char *partlabel)
{
	struct blockdev d = { .major = major,
			      .minor = minor,
			      .partno = partno,
			      .disk_major = major,
			      .disk_minor = partno ? minor - (unsigned)partno : minor };
	strcpy(d.name, name);
	strcpy(d.uuid, uuid);
	strcpy(d.label, label);
	strcpy(d.partuuid, partuuid);
	strcpy(d.partlabel, partlabel);
	return d;
}

static void test_matching(void)
{
	struct blockdev devs[] = {
		dev("vda", 254, 0, 0, "", "", "", ""),
		dev("vda1", 254, 1, 1, "aaaa-bbbb", "boot", "11111111-01", "esp"),
		dev("vda2", 254, 2, 2, "0fc63daf-8483-4772-8e79-3d69d8477de4", "my root",
		    "11111111-02", "root"),
		dev("vda3", 254, 3, 3, "", "", "11111111-03", ""),
	};
	size_t n = sizeof(devs) / sizeof(devs[0]);
	struct {
		const char *root;
		const char *want;
	} cases[] = {
		{ "/dev/vda2", "vda2" },
		{ "UUID=0FC63DAF-8483-4772-8E79-3D69D8477DE4", "vda2" },
		{ "LABEL=my root", "vda2" },
		{ "/dev/disk/by-label/my\\x20root", "vda2" },
		{ "PARTUUID=11111111-01", "vda1" },
		{ "PARTUUID=11111111-01/PARTNROFF=2", "vda3" },
		{ "PARTLABEL=root", "vda2" },
		{ "254:2", "vda2" },
		{ "fe02", "vda2" },
		{ "UUID=0000", NULL },
		{ "LABEL=My Root", NULL },
		{ "/dev/vda9", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(parses(cases[i].root), "parse %s", cases[i].root);
		const char *matched = NULL;
		int matches = 0;
		for (size_t d = 0; d < n; d++)
			if (root_spec_matches(&spec, &devs[d], devs, n)) {
				matched = devs[d].name;
				matches++;
			}
		CHECK(matches <= 1, "%s matches at most one device", cases[i].root);
		CHECK_STR(matched, cases[i].want, "%s matches %s", cases[i].root,
			  cases[i].want ? cases[i].want : "nothing");
	}
	struct blockdev dm = dev("dm-0", 253, 0, 0, "", "", "", "");
	strcpy(dm.dm_name, "vg0-root");
	CHECK(parses("/dev/mapper/vg0-root") && root_spec_matches(&spec, &dm, NULL, 0),
	      "/dev/mapper/NAME matches the dm device's name");
	CHECK(!root_spec_matches(&spec, &devs[1], devs, n),
	      "/dev/mapper/NAME does not match a plain partition");
	CHECK(parses("/dev/dm-0") && root_spec_matches(&spec, &dm, NULL, 0),
	      "/dev/dm-0 matches by kernel name");
	CHECK(parses("/dev/vg0/root") && root_spec_matches(&spec, &dm, NULL, 0),
	      "/dev/VG/LV matches the logical volume's dm device");
	struct blockdev md = dev("md127", 9, 127, 0, "ext4", "", "", "");
	strcpy(md.md_name, "rdroot");
	CHECK(parses("/dev/md/rdroot") && root_spec_matches(&spec, &md, NULL, 0),
	      "/dev/md/NAME matches the array");
	strcpy(md.md_name, "otherhost:rdroot");
	CHECK(root_spec_matches(&spec, &md, NULL, 0), "also when its superblock says HOST:NAME");
	CHECK(!root_spec_matches(&spec, &dm, NULL, 0), "and not a device that is no array");
	CHECK(parses("/dev/md127") && root_spec_matches(&spec, &md, NULL, 0),
	      "/dev/md127 matches by kernel name");
	struct blockdev empty = dev("vdb", 254, 16, 0, "", "", "", "");
	CHECK(parses("UUID=abcd") && !root_spec_matches(&spec, &empty, NULL, 0),
	      "a device without a UUID never matches UUID=");
}

/* PARTNROFF counts from the partition the PARTUUID names, on the same disk, whatever order the
 * partitions arrived in: match_root() asks again over the whole table after each change. */
static void test_partnroff(void)
{
	struct blockdev devs[] = {
		dev("vda3", 254, 3, 3, "", "", "11111111-03", ""),
		dev("vdb2", 254, 18, 2, "", "", "22222222-02", ""),
		dev("vda1", 254, 1, 1, "", "", "11111111-01", ""),
		dev("vda", 254, 0, 0, "", "", "", ""),
		dev("vda2", 254, 2, 2, "", "", "11111111-02", ""),
	};
	size_t n = sizeof(devs) / sizeof(devs[0]);
	struct {
		const char *root;
		const char *want;
	} cases[] = {
		{ "PARTUUID=11111111-03/PARTNROFF=-2", "vda1" },
		{ "PARTUUID=11111111-03/PARTNROFF=-1", "vda2" },
		{ "PARTUUID=11111111-01/PARTNROFF=2", "vda3" },
		{ "PARTUUID=11111111-01/PARTNROFF=-1", NULL }, /* partition 0 is the disk: never */
		{ "PARTUUID=11111111-03/PARTNROFF=1", NULL },
		{ "PARTUUID=22222222-02/PARTNROFF=-1",
		  NULL }, /* vdb1 is not there, vda1 is no kin */
		{ "PARTUUID=33333333-01/PARTNROFF=1", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(parses(cases[i].root), "parse %s", cases[i].root);
		/* Every arrival order: the table as it grows, one device at a time, from each end. */
		for (int reversed = 0; reversed < 2; reversed++) {
			struct blockdev known[8];
			const char *matched = NULL;
			for (size_t k = 0; k < n; k++) {
				known[k] = devs[reversed ? n - 1 - k : k];
				matched = NULL;
				for (size_t d = 0; d <= k; d++)
					if (root_spec_matches(&spec, &known[d], known, k + 1))
						matched = known[d].name;
			}
			CHECK_STR(matched, cases[i].want,
				  "%s matches %s once all arrived (%s order)", cases[i].root,
				  cases[i].want ? cases[i].want : "nothing",
				  reversed ? "reversed" : "given");
		}
	}
}

int main(void)
{
	test_forms();
	test_malformed();
	test_matching();
	test_partnroff();
	return check_done();
}
