/* `akis-vcard run`: serve the card to vpcd, obey test controls. */
#ifndef AKIS_VCARD_RUN_H
#define AKIS_VCARD_RUN_H

#include "vcard.h"

struct vc_run_opts {
	const char *dir;
	const char *host;
	int port;
	const char *log;
	unsigned latency_us;
	unsigned byte_latency_us;
	bool start_removed;
};

int vc_run(const struct vc_run_opts *o);

#endif
