/* The emergency screen: what failed and why, what was asked for, what was seen, one hint. It only
 * says; what happens next is the policy's (policy.h). */
#pragma once
#include <stdbool.h>

struct boot;

/* Shows boot->failure on the console and in /dev/kmsg, with everything boot saw. */
void screen_show(const struct boot *boot);

/* Whether the screen lists a device of this MODALIAS when no driver matched it: one that can hold or
 * reach a disk (PCI storage and USB controllers, virtio, USB, SCSI, MMC). Platform, ACPI, CPU and
 * chipset aliases without a module are normal. */
bool screen_lists_modalias(const char *modalias);

/* Whether a device of this bus (/sys/bus/NAME) can be one screen_lists_modalias() lists. */
bool screen_lists_bus(const char *bus);
