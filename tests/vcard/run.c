/* `akis-vcard run DIR --port N`: the card's main loop. One thread, poll() on
 * the vpcd socket and the control FIFO DIR/ctl. The card reconnects with
 * backoff when vpcd drops it (pcscd restart). State visible to other
 * processes: DIR/card.conf (persistent) and DIR/run.status (this process). */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "ctl.h"
#include "dispatch.h"
#include "image.h"
#include "sec.h"
#include "vpcd.h"

#define BACKOFF_MIN_MS 20
#define BACKOFF_MAX_MS 1000
#define DROP_GAP_MS    1200 /* > pcscd's 400 ms presence poll: the drop is seen as a removal */

struct vc_run {
	struct vc_card card;
	const struct vc_run_opts *o;
	FILE *log;
	int sock;
	int ctl;
	bool removed;
	bool quit;
	int backoff_ms;
	long long reconnect_at; /* monotonic ms */
	unsigned latency_us, byte_latency_us;
	unsigned long apdus;
	struct vc_fault fault[VC_FAULTS_MAX]; /* pending; kind NONE: a free place */
	unsigned flips;                       /* signatures still to come back with a bit changed */
	char ctlbuf[512];
	size_t ctllen;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int s)
{
	got_signal = s;
}

static void logf_line(struct vc_run *r, const char *fmt, const char *s)
{
	if (r->log) {
		fprintf(r->log, fmt, s);
		fflush(r->log);
	}
}

/* One line per APDU, hex; the data of VERIFY / CHANGE REFERENCE DATA /
 * RESET RETRY COUNTER (INS 20/24/2C) is redacted (docs/design.md: PINs never logged). */
static void log_apdu(struct vc_run *r, const char *dir, const uint8_t *b, size_t n)
{
	char hex[2 * VC_VPCD_MSG_MAX + 32];
	bool redact = dir[0] == 'C' && n > 5 && (b[1] == 0x20 || b[1] == 0x24 || b[1] == 0x2C);
	if (!r->log)
		return;
	vc_hex_encode(b, redact ? 5 : n, hex);
	if (redact)
		strcat(hex, "<redacted>");
	fprintf(r->log, "%s %s\n", dir, hex);
	fflush(r->log);
}

static void write_status(struct vc_run *r)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	snprintf(path, sizeof path, "%s/run.status", r->o->dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "pid=%d\nport=%d\nconnected=%d\nremoved=%d\napdus=%lu\n", (int)getpid(),
	        r->o->port, r->sock >= 0, r->removed, r->apdus);
	if (fclose(f) == 0)
		(void)rename(tmp, path);
}

static void disconnect(struct vc_run *r, const char *why)
{
	if (r->sock >= 0) {
		close(r->sock);
		r->sock = -1;
		logf_line(r, "# disconnected: %s\n", why);
	}
	vc_sec_reset(&r->card); /* the card lost power */
	write_status(r);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void try_connect(struct vc_run *r)
{
	if (now_ms() < r->reconnect_at)
		return;
	r->sock = vc_vpcd_connect(r->o->host, r->o->port);
	if (r->sock < 0) {
		r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : BACKOFF_MIN_MS;
		if (r->backoff_ms > BACKOFF_MAX_MS)
			r->backoff_ms = BACKOFF_MAX_MS;
		r->reconnect_at = now_ms() + r->backoff_ms;
		return;
	}
	r->backoff_ms = 0;
	vc_sec_reset(&r->card);
	logf_line(r, "# connected%s\n", "");
	write_status(r);
}

static void sleep_us(unsigned long us)
{
	struct timespec ts = {.tv_sec = (time_t)(us / 1000000),
	                      .tv_nsec = (long)(us % 1000000) * 1000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !got_signal)
		;
}

/* Returns false when the fault dropped the connection; *n is the reply length. */
static bool apply_fault(struct vc_run *r, uint8_t *out, size_t *n, bool *handled)
{
	struct vc_fault f = {VC_FAULT_NONE, 0, 0};
	*handled = false;
	for (size_t i = 0; i < VC_FAULTS_MAX && f.kind == VC_FAULT_NONE; i++) {
		if (r->fault[i].kind != VC_FAULT_NONE && r->fault[i].at == r->apdus) {
			f = r->fault[i];
			r->fault[i].kind = VC_FAULT_NONE;
		}
	}
	if (f.kind == VC_FAULT_NONE)
		return true;
	logf_line(r, "# fault fired%s\n", "");
	switch (f.kind) {
	case VC_FAULT_DROP:
		disconnect(r, "fault drop");
		r->reconnect_at = now_ms() + DROP_GAP_MS;
		return false;
	case VC_FAULT_GARBAGE:
		(void)RAND_bytes(out, (int)f.arg);
		*n = f.arg;
		*handled = true;
		return true;
	case VC_FAULT_SW:
		out[0] = (uint8_t)(f.arg >> 8);
		out[1] = (uint8_t)f.arg;
		*n = 2;
		*handled = true;
		return true;
	case VC_FAULT_STALL:
		sleep_us((unsigned long)f.arg * 1000);
		return true;
	case VC_FAULT_FLIP:
		r->flips = f.arg;
		return true;
	case VC_FAULT_NONE:
		break;
	}
	return true;
}

static void handle_apdu(struct vc_run *r, const uint8_t *in, size_t len)
{
	uint8_t out[VC_RAPDU_MAX + 512];
	size_t n = 0;
	bool handled;
	r->apdus++;
	log_apdu(r, "C", in, len);
	if (!apply_fault(r, out, &n, &handled))
		return;
	if (!handled)
		n = vc_process(&r->card, in, len, out);
	/* fault flip: a PSO COMPUTE DIGITAL SIGNATURE that answered data gets
	 * its first byte changed (the card computed wrongly) */
	if (r->flips && len >= 4 && in[1] == 0x2A && in[2] == 0x9E && n > 2) {
		out[0] ^= 0x01;
		r->flips--;
		logf_line(r, "# fault: signature bit flipped%s\n", "");
	}
	if (r->latency_us || r->byte_latency_us)
		sleep_us(r->latency_us + (unsigned long)r->byte_latency_us * (len + n));
	log_apdu(r, "R", out, n);
	if (!vc_vpcd_send(r->sock, out, n))
		disconnect(r, "send failed");
}

static void handle_control_msg(struct vc_run *r, uint8_t what)
{
	switch (what) {
	case VPCD_OFF:
	case VPCD_ON:
	case VPCD_RESET:
		vc_sec_reset(&r->card); /* power cycle or warm reset: volatile state goes */
		logf_line(r, "# power: %s\n",
		          what == VPCD_OFF  ? "off"
		          : what == VPCD_ON ? "on"
		                            : "reset");
		break;
	case VPCD_ATR:
		if (!vc_vpcd_send(r->sock, r->card.atr, r->card.atr_len))
			disconnect(r, "send failed");
		break;
	default: {
		/* a 1-byte "APDU" that is no control: answer as a card would */
		static const uint8_t wrong_len[2] = {0x67, 0x00};
		log_apdu(r, "C", &what, 1);
		log_apdu(r, "R", wrong_len, 2);
		if (!vc_vpcd_send(r->sock, wrong_len, 2))
			disconnect(r, "send failed");
		break;
	}
	}
}

static void serve_socket(struct vc_run *r)
{
	uint8_t buf[VC_VPCD_MSG_MAX];
	long n = vc_vpcd_recv(r->sock, buf, sizeof buf);
	if (n < 0)
		disconnect(r, "vpcd closed");
	else if (n == 1)
		handle_control_msg(r, buf[0]);
	else if (n > 1)
		handle_apdu(r, buf, (size_t)n);
}

static void apply_ctl(struct vc_run *r, const struct vc_ctl *c)
{
	switch (c->op) {
	case VC_CTL_REMOVE:
		r->removed = true;
		disconnect(r, "removed");
		break;
	case VC_CTL_INSERT:
		r->removed = false;
		r->backoff_ms = 0;
		r->reconnect_at = 0;
		break;
	case VC_CTL_RESET:
		vc_sec_reset(&r->card);
		break;
	case VC_CTL_QUIT:
		r->quit = true;
		break;
	case VC_CTL_LATENCY:
		r->latency_us = c->value;
		break;
	case VC_CTL_BYTE_LATENCY:
		r->byte_latency_us = c->value;
		break;
	case VC_CTL_FAULT: /* replaces every pending fault */
		memset(r->fault, 0, sizeof r->fault);
		/* fall through */
	case VC_CTL_FAULT_ADD: {
		size_t i = 0;
		while (i < VC_FAULTS_MAX && r->fault[i].kind != VC_FAULT_NONE)
			i++;
		if (i == VC_FAULTS_MAX) {
			logf_line(r, "# fault refused: %s\n", "every place taken");
			break;
		}
		r->fault[i] = c->fault;
		r->fault[i].at = r->apdus + c->nth;
		break;
	}
	case VC_CTL_FAULT_CLEAR:
		memset(r->fault, 0, sizeof r->fault);
		r->flips = 0;
		break;
	case VC_CTL_BAD:
		break;
	}
	write_status(r);
}

static void serve_ctl(struct vc_run *r)
{
	ssize_t n = read(r->ctl, r->ctlbuf + r->ctllen, sizeof r->ctlbuf - 1 - r->ctllen);
	char *line, *nl;
	if (n <= 0)
		return;
	r->ctllen += (size_t)n;
	r->ctlbuf[r->ctllen] = '\0';
	line = r->ctlbuf;
	while ((nl = strchr(line, '\n')) != NULL) {
		struct vc_ctl c;
		*nl = '\0';
		if (vc_ctl_parse(line, &c)) {
			logf_line(r, "# control: %s\n", line);
			apply_ctl(r, &c);
		} else if (*line) {
			logf_line(r, "# bad control: %s\n", line);
		}
		line = nl + 1;
	}
	r->ctllen = strlen(line);
	memmove(r->ctlbuf, line, r->ctllen + 1);
	if (r->ctllen >= sizeof r->ctlbuf - 1)
		r->ctllen = 0; /* an overlong line: drop it */
}

static int open_ctl(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/ctl", dir);
	if (mkfifo(path, 0600) != 0 && errno != EEXIST)
		return -1;
	/* O_RDWR: the FIFO never reports EOF when writers come and go */
	return open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

static void loop(struct vc_run *r)
{
	while (!r->quit && !got_signal) {
		struct pollfd p[2] = {{.fd = r->ctl, .events = POLLIN},
		                      {.fd = r->sock, .events = POLLIN}};
		int timeout = -1;
		if (r->sock < 0 && !r->removed) {
			try_connect(r);
			if (r->sock < 0)
				timeout = (int)(r->reconnect_at - now_ms()) + 1;
			if (timeout < 1)
				timeout = 1;
			p[1].fd = r->sock;
		}
		if (poll(p, r->sock >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN)
			serve_ctl(r);
		if (r->sock >= 0 && p[1].fd == r->sock &&
		    (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			serve_socket(r);
	}
}

int vc_run(const struct vc_run_opts *o)
{
	struct vc_run *r = calloc(1, sizeof *r);
	struct sigaction sa;
	int rc = 1;
	if (!r)
		return 1;
	r->o = o;
	r->sock = -1;
	r->ctl = -1;
	r->latency_us = o->latency_us;
	r->byte_latency_us = o->byte_latency_us;
	r->removed = o->start_removed;
	if (!vc_image_load(&r->card, o->dir))
		goto out;
	vc_sec_reset(&r->card);
	r->ctl = open_ctl(o->dir);
	if (r->ctl < 0) {
		fprintf(stderr, "akis-vcard: cannot open %s/ctl: %s\n", o->dir, strerror(errno));
		goto out;
	}
	if (o->log && !(r->log = fopen(o->log, "a"))) {
		fprintf(stderr, "akis-vcard: %s: %s\n", o->log, strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	write_status(r);
	loop(r);
	disconnect(r, "exit");
	rc = 0;
out:
	if (r->log)
		fclose(r->log);
	if (r->ctl >= 0)
		close(r->ctl);
	vc_image_free(&r->card);
	free(r);
	return rc;
}
