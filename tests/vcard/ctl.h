/* Test controls: one line per command written to the FIFO DIR/ctl.
 *   remove | insert | reset | quit
 *   latency US | byte-latency US
 *   fault N drop | fault N garbage [LEN] | fault N sw XXXX | fault N stall MS
 *   fault N flip [K]   (the next K signatures from the Nth command on come back
 *                       with one bit changed: a faulty card computation)
 *   fault clear
 *   fault+ N ...       (the same kinds, added to the pending faults instead of
 *                       replacing them: up to VC_FAULTS_MAX at a time)
 * N counts command APDUs from now (1 = the next one). */
#ifndef AKIS_VCARD_CTL_H
#define AKIS_VCARD_CTL_H

#include "vcard.h"

enum vc_fault_kind {
	VC_FAULT_NONE,
	VC_FAULT_DROP,
	VC_FAULT_GARBAGE,
	VC_FAULT_SW,
	VC_FAULT_STALL,
	VC_FAULT_FLIP
};

#define VC_FAULTS_MAX 4

struct vc_fault {
	enum vc_fault_kind kind;
	unsigned long at; /* absolute APDU number that triggers it */
	unsigned arg;     /* SW, stall ms, garbage length, or signatures to flip */
};

enum vc_ctl_op {
	VC_CTL_BAD,
	VC_CTL_REMOVE,
	VC_CTL_INSERT,
	VC_CTL_RESET,
	VC_CTL_QUIT,
	VC_CTL_LATENCY,
	VC_CTL_BYTE_LATENCY,
	VC_CTL_FAULT,
	VC_CTL_FAULT_ADD,
	VC_CTL_FAULT_CLEAR
};

struct vc_ctl {
	enum vc_ctl_op op;
	unsigned value;        /* latency */
	unsigned long nth;     /* fault: relative APDU number */
	struct vc_fault fault; /* kind and arg */
};

/* Parse one control line. Returns false for a malformed line. */
bool vc_ctl_parse(const char *line, struct vc_ctl *out) VC_WARN_UNUSED;

#endif
