/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What akis-tool knows about one reader and its card, the warnings drawn
 * from it, and its two renderings (text through gettext, JSON with a stable
 * schema documented in akis-tool.1). Pure: filled by card.c, tested by
 * tests/unit/test_tool.c without a card.
 */
#ifndef AKIS_TOOL_REPORT_H
#define AKIS_TOOL_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../../akis/akis.h"
#include "../../akis/reader.h"
#include "certinfo.h"
#include "errors.h"
#include "json.h"

/* A PIN or PUK counter as the card reported it (akis_pin_status_tx). */
struct tool_pin_state {
	bool known; /* the status query answered */
	bool blocked;
	bool verified;
	int tries_left; /* -1: the card did not say */
};

/* Life cycle byte (docs/card.md §3, GET DATA 01 04). */
#define TOOL_LC_USABLE 0xA5u
#define TOOL_LC_ADMIN  0xA0u
#define TOOL_LC_DEAD   0xAAu

/* At or below this many tries left, warn (the test cards have 3). */
#define TOOL_TRIES_LOW 2
/* Warn this many days before a usable certificate expires. */
#define TOOL_EXPIRY_SOON_DAYS 30

enum tool_warn_code {
	TOOL_W_CARD_DEAD,            /* life cycle AA */
	TOOL_W_PUK_BLOCKED,          /* the card must be replaced */
	TOOL_W_PIN_BLOCKED,          /* what the holder can do: tool_pin_advice (R50) */
	TOOL_W_PIN_TRIES_LOW,        /* tries */
	TOOL_W_PUK_TRIES_LOW,        /* tries */
	TOOL_W_CARD_ADMIN,           /* life cycle A0 */
	TOOL_W_CERT_UNREADABLE,      /* cert */
	TOOL_W_CERT_EXPIRED,         /* cert, date = notAfter */
	TOOL_W_CERT_NOT_YET_VALID,   /* cert, date = notBefore */
	TOOL_W_CERT_EXPIRES_SOON,    /* cert, date = notAfter, days */
	TOOL_W_NEW_CERT_PENDING,     /* cert = old (valid), other = new, date = new notBefore */
	TOOL_W_OLD_CERT_STILL_VALID, /* cert = old, other = new, both valid, date = old notAfter */
};

struct tool_warning {
	enum tool_warn_code code;
	int cert;  /* index into report certs (0-based), -1 none */
	int other; /* second certificate, -1 none */
	time_t date;
	int tries; /* or days for EXPIRES_SOON */
};

#define TOOL_WARN_MAX 48u

struct tool_report {
	char reader[AKIS_READER_NAME_MAX];
	bool present; /* a card is in the reader */
	uint8_t atr[AKIS_ATR_MAX];
	size_t atr_len;
	bool is_akis; /* akis_atr_match */
	struct akis_atr_info info;
	bool bound; /* identity and directory read */
	bool has_error;
	akis_rv error; /* when has_error */
	uint8_t serial[AKIS_SERIAL_MAX];
	size_t serial_len;
	uint8_t life_cycle; /* 0 unknown */
	char token_label[AKIS_LABEL_MAX];
	struct tool_pin_state pin, puk;
	struct tool_cert certs[AKIS_MAX_CERTS];
	size_t n_certs;
	struct tool_warning warnings[TOOL_WARN_MAX];
	size_t n_warnings;
};

/*
 * One numbering of certificates wherever a person or a script sees one
 * (issue 10): from 1, in the order of the card's directory. akis-tool's
 * text ("[3]", "Certificate 3"), its JSON ("number" of a certificate,
 * "certificate" and "other_certificate" of a warning) and akis-monitor
 * ("3. ...", "the old certificate 3") all use it; only the C arrays are
 * 0-based.
 */
static inline int tool_cert_number(int index)
{
	return index + 1;
}

/* Recompute r->warnings from the rest of *r at time `now`. */
void tool_report_warnings(struct tool_report *r, time_t now);

/* Profile name as in docs/card.md §1 ("akis-1.2"). */
const char *tool_profile_name(enum akis_profile p);
/* "usable" / "admin" / "dead" / "unknown" (JSON). */
const char *tool_life_cycle_name(uint8_t lc);
/* The same in the holder's words (translated). */
const char *tool_life_cycle_text(uint8_t lc);
/* Stable warning code for JSON ("cert_expired"). */
const char *tool_warn_code_name(enum tool_warn_code c);
/* Room for one warning's text (the blocked-PIN advice is the longest). */
#define TOOL_WARN_TEXT_MAX 1536u

/* One warning as a translated sentence. */
void tool_warning_text(const struct tool_report *r, const struct tool_warning *w, char *out,
                       size_t cap);

/*
 * What a holder with a blocked PIN can do (R50). The card cannot tell its
 * issue date, so the online unblock at Kamu SM's NES portal ("Kilit
 * Çözme", no PUK, cards issued since 1 January 2011) is judged from two
 * pieces of evidence, both named in the message: a certificate issued by
 * Kamu SM, and the card's version from the ATR.
 */
enum tool_online_unblock {
	TOOL_ONLINE_NO,       /* no Kamu SM certificate: ask the issuer */
	TOOL_ONLINE_POSSIBLE, /* Kamu SM, AKİS 1.x: only if issued since 2011 */
	TOOL_ONLINE_LIKELY,   /* Kamu SM, AKİS 2.x: a card generation after 2011 */
};

struct tool_pin_advice {
	bool puk_usable;    /* the PUK can still unblock (not blocked, card not dead) */
	int puk_tries_left; /* -1: unknown */
	bool issuer_kamusm; /* a certificate issued by Kamu SM */
	enum tool_online_unblock online;
	char issuer[TOOL_NAME_MAX]; /* issuer CN of the first certificate, may be empty */
	char version[16];           /* AKİS version from the ATR */
};

/* Is this issuer DN (RFC 2253) Kamu SM's ("Kamu SM", "Kamu Sertifikasyon
 * Merkezi", any case)? */
bool tool_issuer_is_kamusm(const char *issuer_dn);
/* The advice for this report (meaningful whatever the PIN state). */
void tool_pin_advice(const struct tool_report *r, struct tool_pin_advice *a);
/* "online_unblock" JSON value: "no" / "possible" / "likely". */
const char *tool_online_unblock_name(enum tool_online_unblock o);
/* The advice as translated sentences; `here` names how to unblock with the
 * PUK in this program ("akis-tool unblock"). */
void tool_pin_advice_text(const struct tool_pin_advice *a, const char *here, char *out, size_t cap);

/* Text rendering for a terminal (control characters from the card are
 * replaced, never sent to the terminal). */
void tool_report_print(FILE *f, const struct tool_report *r, time_t now);
/* One reader object of the JSON schema. */
void tool_report_json(struct json *j, const struct tool_report *r, time_t now);
/* The same members without the braces (watch events add their own). */
void tool_report_json_fields(struct json *j, const struct tool_report *r, time_t now);

/* Write card-supplied text safely: valid UTF-8 kept, control characters and
 * invalid bytes replaced by '?'. */
void tool_fput_safe(FILE *f, const char *s);

#endif
