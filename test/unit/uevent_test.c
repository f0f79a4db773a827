/* The uevent payload parser: good messages, and malformed ones dropped without overreads. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "../check.h"
#include "uevent.h"

static char buf[UEVENT_BUFFER_SIZE + 1];

static int parse(const char *payload, size_t len, struct uevent *ev)
{
	memcpy(buf, payload, len);
	return uevent_parse_netlink(buf, len, ev);
}

#define MSG(s) s, sizeof(s) - 1

int main(void)
{
	struct uevent ev;
	CHECK(parse(MSG("add@/devices/pci0000:00/0000:00:04.0/virtio1/block/vda/vda1\0"
			"ACTION=add\0DEVPATH=/devices/pci0000:00/0000:00:04.0/virtio1/block/vda/vda1\0"
			"SUBSYSTEM=block\0MAJOR=254\0MINOR=1\0DEVNAME=vda1\0DEVTYPE=partition\0PARTN=1\0SEQNUM=42\0"),
		    &ev) == 0,
	      "a kernel block uevent parses");
	CHECK_STR(ev.action, "add", "ACTION");
	CHECK_STR(ev.subsystem, "block", "SUBSYSTEM");
	CHECK_STR(ev.devname, "vda1", "DEVNAME");
	CHECK_STR(ev.devtype, "partition", "DEVTYPE");
	CHECK_STR(ev.major, "254", "MAJOR");
	CHECK_STR(ev.minor, "1", "MINOR");
	CHECK_STR(ev.partn, "1", "PARTN");
	CHECK(ev.modalias == NULL, "no MODALIAS");

	CHECK(parse(MSG("add@/devices/pci0000:00/0000:00:04.0\0ACTION=add\0DEVPATH=/devices/pci0000:00/0000:00:04.0\0"
			"SUBSYSTEM=pci\0MODALIAS=pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\0"),
		    &ev) == 0,
	      "a pci uevent parses");
	CHECK_STR(ev.modalias, "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", "MODALIAS");

	CHECK(parse(MSG("add@/devices/system/cpu/cpu0\0ACTION=add\0DEVPATH=/devices/system/cpu/cpu0\0SUBSYSTEM=cpu\0"
			"MODALIAS=cpu:type:x86,ven0002:feature:,0000\n\0"),
		    &ev) == 0,
	      "a cpu uevent parses");
	CHECK_STR(ev.modalias, "cpu:type:x86,ven0002:feature:,0000",
		  "the newline the kernel leaves at the end of a value is dropped");

	CHECK(parse(MSG("add@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=block\0DEVNAME=vdb"),
		    &ev) == 0,
	      "a last property without NUL is terminated by the parser");
	CHECK_STR(ev.devname, "vdb", "last property read within the buffer");

	struct {
		const char *payload;
		size_t len;
		const char *why;
	} bad[] = {
		{ MSG(""), "empty message" },
		{ MSG("add@/devices/x"), "header only, no NUL" },
		{ MSG("add@/devices/x\0"), "header without properties" },
		{ MSG("libudev\0\xfe\xed\xca\xfe"), "udev's own message format" },
		{ MSG("@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=block\0"),
		  "empty action in header" },
		{ MSG("add/devices/x\0ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=block\0"),
		  "no @ in header" },
		{ MSG("add@/devices/x\0DEVPATH=/devices/x\0SUBSYSTEM=block\0"), "missing ACTION" },
		{ MSG("add@/devices/x\0ACTION=add\0SUBSYSTEM=block\0"), "missing DEVPATH" },
		{ MSG("add@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0"), "missing SUBSYSTEM" },
		{ MSG("add@/devices/x\0ACTION=remove\0DEVPATH=/devices/x\0SUBSYSTEM=block\0"),
		  "header and ACTION disagree" },
		{ MSG("add@/devices/x\0ACTION=add\0DEVPATH=/devices/y\0SUBSYSTEM=block\0"),
		  "header and DEVPATH disagree" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(parse(bad[i].payload, bad[i].len, &ev) == -EBADMSG, "rejected: %s",
		      bad[i].why);

	/* A full buffer of non-NUL bytes: the parser must stay inside it. */
	memset(buf, 'A', UEVENT_BUFFER_SIZE);
	buf[3] = '@';
	CHECK(uevent_parse_netlink(buf, UEVENT_BUFFER_SIZE, &ev) == -EBADMSG,
	      "a buffer with no NUL is rejected");

	char sysfs[] = "MAJOR=254\nMINOR=16\nDEVNAME=vdb\nDEVTYPE=disk\nDISKSEQ=3\n";
	CHECK(uevent_parse_sysfs(sysfs, strlen(sysfs), &ev) == 0, "a sysfs uevent file parses");
	CHECK_STR(ev.devname, "vdb", "DEVNAME from sysfs");
	CHECK_STR(ev.minor, "16", "MINOR from sysfs");
	return check_done();
}
