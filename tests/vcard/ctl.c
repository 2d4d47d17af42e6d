/* Parser of the test-control lines (see ctl.h). Bounded: sscanf with widths. */
#include "ctl.h"

#include <string.h>

static bool parse_fault(const char *rest, struct vc_ctl *o, enum vc_ctl_op op)
{
	char kind[16];
	unsigned long n;
	unsigned arg = 0;
	int got;
	if (strncmp(rest, "clear", 5) == 0) {
		o->op = VC_CTL_FAULT_CLEAR;
		return true;
	}
	got = sscanf(rest, "%lu %15s %x", &n, kind, &arg);
	if (got < 2 || n == 0)
		return false;
	o->op = op;
	o->nth = n;
	if (strcmp(kind, "drop") == 0) {
		o->fault.kind = VC_FAULT_DROP;
	} else if (strcmp(kind, "sw") == 0 && got == 3 && arg <= 0xFFFF) {
		o->fault.kind = VC_FAULT_SW;
	} else if (strcmp(kind, "garbage") == 0) {
		o->fault.kind = VC_FAULT_GARBAGE;
		if (sscanf(rest, "%*u %*s %u", &arg) != 1 || arg == 0 || arg > 512)
			arg = 1;
	} else if (strcmp(kind, "flip") == 0) {
		o->fault.kind = VC_FAULT_FLIP;
		if (sscanf(rest, "%*u %*s %u", &arg) != 1 || arg == 0 || arg > 100)
			arg = 1;
	} else if (strcmp(kind, "stall") == 0 && sscanf(rest, "%*u %*s %u", &arg) == 1) {
		o->fault.kind = VC_FAULT_STALL;
	} else {
		return false;
	}
	o->fault.arg = arg;
	return true;
}

static const struct {
	const char *word;
	enum vc_ctl_op op;
} simple[] = {
        {"remove", VC_CTL_REMOVE},
        {"insert", VC_CTL_INSERT},
        {"reset", VC_CTL_RESET},
        {"quit", VC_CTL_QUIT},
};

bool vc_ctl_parse(const char *line, struct vc_ctl *o)
{
	char word[16];
	int used = 0;
	memset(o, 0, sizeof *o);
	if (sscanf(line, " %15s %n", word, &used) != 1)
		return false;
	for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
		if (strcmp(word, simple[i].word) == 0) {
			o->op = simple[i].op;
			return true;
		}
	}
	if (strcmp(word, "latency") == 0 || strcmp(word, "byte-latency") == 0) {
		o->op = word[0] == 'l' ? VC_CTL_LATENCY : VC_CTL_BYTE_LATENCY;
		return sscanf(line + used, "%u", &o->value) == 1;
	}
	if (strcmp(word, "fault") == 0)
		return parse_fault(line + used, o, VC_CTL_FAULT);
	if (strcmp(word, "fault+") == 0 && strncmp(line + used, "clear", 5) != 0)
		return parse_fault(line + used, o, VC_CTL_FAULT_ADD);
	return false;
}
