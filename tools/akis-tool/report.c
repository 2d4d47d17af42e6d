/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis-tool's view of one reader and card: warnings (R40) and rendering.
 */
#include "report.h"

#include <libintl.h>
#include <strings.h>
#include <string.h>

#include "errors.h"
#include "tool.h"

/* ----- names (stable, for JSON) ----- */

const char *tool_profile_name(enum akis_profile p)
{
	switch (p) {
	case AKIS_PROFILE_1_0:
		return "akis-1.0";
	case AKIS_PROFILE_1_2:
		return "akis-1.2";
	case AKIS_PROFILE_2:
		return "akis-2";
	}
	return "unknown";
}

const char *tool_life_cycle_name(uint8_t lc)
{
	switch (lc) {
	case TOOL_LC_USABLE:
		return "usable";
	case TOOL_LC_ADMIN:
		return "admin";
	case TOOL_LC_DEAD:
		return "dead";
	default:
		return "unknown";
	}
}

static const char *const warn_names[] = {
        [TOOL_W_CARD_DEAD] = "card_dead",
        [TOOL_W_PUK_BLOCKED] = "puk_blocked",
        [TOOL_W_PIN_BLOCKED] = "pin_blocked",
        [TOOL_W_PIN_TRIES_LOW] = "pin_tries_low",
        [TOOL_W_PUK_TRIES_LOW] = "puk_tries_low",
        [TOOL_W_CARD_ADMIN] = "card_admin",
        [TOOL_W_CERT_UNREADABLE] = "cert_unreadable",
        [TOOL_W_CERT_EXPIRED] = "cert_expired",
        [TOOL_W_CERT_NOT_YET_VALID] = "cert_not_yet_valid",
        [TOOL_W_CERT_EXPIRES_SOON] = "cert_expires_soon",
        [TOOL_W_NEW_CERT_PENDING] = "new_cert_pending",
        [TOOL_W_OLD_CERT_STILL_VALID] = "old_cert_still_valid",
};

const char *tool_warn_code_name(enum tool_warn_code c)
{
	if ((size_t)c < sizeof(warn_names) / sizeof(warn_names[0]) && warn_names[c] != NULL)
		return warn_names[c];
	return "unknown";
}

static const struct {
	unsigned bit;
	const char *name; /* JSON */
	const char *text; /* translated on use */
} purpose_tab[] = {
        {TOOL_PURPOSE_QUALIFIED, "qualified_signature", N_("qualified electronic signature (NES)")},
        {TOOL_PURPOSE_SIGNATURE, "signature", N_("signature (not qualified)")},
        {TOOL_PURPOSE_ESEAL, "e_seal", N_("e-seal of an organisation (Mali Mühür)")},
        {TOOL_PURPOSE_AUTH, "authentication", N_("authentication")},
        {TOOL_PURPOSE_ENCRYPT, "encryption", N_("encryption")},
        {TOOL_PURPOSE_CA, "ca", N_("certificate authority")},
        {TOOL_PURPOSE_ANY, "any", N_("unrestricted (no key usage extension)")},
};

static const struct {
	unsigned bit;
	const char *name; /* RFC 5280 §4.2.1.3 */
} ku_tab[] = {
        {TOOL_KU_DIGITAL_SIGNATURE, "digitalSignature"},
        {TOOL_KU_NON_REPUDIATION, "nonRepudiation"},
        {TOOL_KU_KEY_ENCIPHERMENT, "keyEncipherment"},
        {TOOL_KU_DATA_ENCIPHERMENT, "dataEncipherment"},
        {TOOL_KU_KEY_AGREEMENT, "keyAgreement"},
        {TOOL_KU_KEY_CERT_SIGN, "keyCertSign"},
        {TOOL_KU_CRL_SIGN, "cRLSign"},
        {TOOL_KU_ENCIPHER_ONLY, "encipherOnly"},
        {TOOL_KU_DECIPHER_ONLY, "decipherOnly"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ----- warnings ----- */

static void add_warning(struct tool_report *r, enum tool_warn_code code, int cert, int other,
                        time_t date, int tries)
{
	if (r->n_warnings >= TOOL_WARN_MAX)
		return;
	struct tool_warning *w = &r->warnings[r->n_warnings++];
	w->code = code;
	w->cert = cert;
	w->other = other;
	w->date = date;
	w->tries = tries;
}

static bool tries_low(const struct tool_pin_state *s)
{
	return s->known && !s->blocked && s->tries_left >= 0 && s->tries_left <= TOOL_TRIES_LOW;
}

static void pin_warnings(struct tool_report *r)
{
	if (r->life_cycle == TOOL_LC_DEAD) {
		add_warning(r, TOOL_W_CARD_DEAD, -1, -1, 0, 0);
		return; /* nothing else can be done with the card */
	}
	if (r->puk.known && r->puk.blocked)
		add_warning(r, TOOL_W_PUK_BLOCKED, -1, -1, 0, 0);
	if (r->pin.known && r->pin.blocked)
		add_warning(r, TOOL_W_PIN_BLOCKED, -1, -1, 0, 0);
	if (tries_low(&r->pin))
		add_warning(r, TOOL_W_PIN_TRIES_LOW, -1, -1, 0, r->pin.tries_left);
	if (tries_low(&r->puk))
		add_warning(r, TOOL_W_PUK_TRIES_LOW, -1, -1, 0, r->puk.tries_left);
	if (r->life_cycle == TOOL_LC_ADMIN)
		add_warning(r, TOOL_W_CARD_ADMIN, -1, -1, 0, 0);
}

static void cert_validity_warnings(struct tool_report *r, int i, time_t now)
{
	const struct tool_cert *c = &r->certs[i];
	if (!c->parsed) {
		add_warning(r, TOOL_W_CERT_UNREADABLE, i, -1, 0, 0);
		return;
	}
	switch (tool_cert_validity(c, now)) {
	case TOOL_EXPIRED:
		add_warning(r, TOOL_W_CERT_EXPIRED, i, -1, c->not_after, 0);
		break;
	case TOOL_NOT_YET_VALID:
		add_warning(r, TOOL_W_CERT_NOT_YET_VALID, i, -1, c->not_before, 0);
		break;
	case TOOL_VALID: {
		double left = difftime(c->not_after, now);
		if (left < (double)TOOL_EXPIRY_SOON_DAYS * 86400.0)
			add_warning(r, TOOL_W_CERT_EXPIRES_SOON, i, -1, c->not_after,
			            (int)(left / 86400.0));
		break;
	}
	}
}

/* Same holder and the same purposes (not a CA): one replaces the other. */
static bool same_role(const struct tool_cert *a, const struct tool_cert *b)
{
	return a->parsed && b->parsed && a->purposes == b->purposes &&
	       !(a->purposes & TOOL_PURPOSE_CA) &&
	       strcmp(a->subject_serial, b->subject_serial) == 0 &&
	       strcmp(a->holder, b->holder) == 0;
}

/* An old certificate still valid next to a newer one of the same role. */
static void renewal_warnings(struct tool_report *r, time_t now)
{
	for (size_t i = 0; i < r->n_certs; i++) {
		const struct tool_cert *old = &r->certs[i];
		if (!old->parsed || tool_cert_validity(old, now) != TOOL_VALID)
			continue;
		for (size_t k = 0; k < r->n_certs; k++) {
			const struct tool_cert *nw = &r->certs[k];
			if (k == i || !same_role(old, nw) || nw->not_before <= old->not_before)
				continue;
			enum tool_validity v = tool_cert_validity(nw, now);
			if (v == TOOL_NOT_YET_VALID)
				add_warning(r, TOOL_W_NEW_CERT_PENDING, (int)i, (int)k,
				            nw->not_before, 0);
			else if (v == TOOL_VALID)
				add_warning(r, TOOL_W_OLD_CERT_STILL_VALID, (int)i, (int)k,
				            old->not_after, 0);
		}
	}
}

void tool_report_warnings(struct tool_report *r, time_t now)
{
	r->n_warnings = 0;
	if (!r->bound)
		return;
	pin_warnings(r);
	for (size_t i = 0; i < r->n_certs; i++)
		cert_validity_warnings(r, (int)i, now);
	renewal_warnings(r, now);
}

/* ----- text ----- */

void tool_fput_safe(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_seq_len(p + i, len - i);
		if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7F))) {
			fputc('?', f);
			i++;
			continue;
		}
		/* C1 controls (U+0080-U+009F) are terminal escapes too. */
		if (n == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0)
			fputc('?', f);
		else
			fwrite(p + i, 1, n, f);
		i += n;
	}
}

/* ----- a blocked PIN: what the holder can do (R50) ----- */

/* Case-insensitive substring (ASCII folding is enough: the names are ASCII). */
static bool has_word(const char *s, const char *word)
{
	size_t n = strlen(word);
	for (; *s != '\0'; s++)
		if (strncasecmp(s, word, n) == 0)
			return true;
	return false;
}

bool tool_issuer_is_kamusm(const char *issuer_dn)
{
	return has_word(issuer_dn, "Kamu SM") || has_word(issuer_dn, "KamuSM") ||
	       has_word(issuer_dn, "Kamu Sertifikasyon Merkezi");
}

const char *tool_online_unblock_name(enum tool_online_unblock o)
{
	switch (o) {
	case TOOL_ONLINE_NO:
		return "no";
	case TOOL_ONLINE_POSSIBLE:
		return "possible";
	case TOOL_ONLINE_LIKELY:
		return "likely";
	}
	return "no";
}

/* Card text for a message: as tool_fput_safe writes it (the message may go
 * to a terminal). Truncated to cap - 1 bytes. */
static void copy_safe(char *out, size_t cap, const char *s)
{
	memset(out, 0, cap);
	FILE *f = fmemopen(out, cap - 1, "w");
	if (f == NULL)
		return;
	tool_fput_safe(f, s);
	fclose(f);
}

void tool_pin_advice(const struct tool_report *r, struct tool_pin_advice *a)
{
	memset(a, 0, sizeof(*a));
	a->puk_usable = r->life_cycle != TOOL_LC_DEAD && !(r->puk.known && r->puk.blocked);
	a->puk_tries_left = r->puk.known ? r->puk.tries_left : -1;
	snprintf(a->version, sizeof(a->version), "%s", r->info.version);
	for (size_t i = 0; i < r->n_certs; i++) {
		const struct tool_cert *c = &r->certs[i];
		if (!c->parsed || (c->purposes & TOOL_PURPOSE_CA))
			continue;
		bool kamusm = tool_issuer_is_kamusm(c->issuer);
		if (a->issuer[0] == '\0' || (kamusm && !a->issuer_kamusm))
			copy_safe(a->issuer, sizeof(a->issuer),
			          c->issuer_cn[0] != '\0' ? c->issuer_cn : c->issuer);
		a->issuer_kamusm = a->issuer_kamusm || kamusm;
	}
	if (!a->issuer_kamusm)
		a->online = TOOL_ONLINE_NO;
	else /* [assumption] AKİS 2.x cards were first issued after 2011 */
		a->online = r->info.profile == AKIS_PROFILE_2 ? TOOL_ONLINE_LIKELY
		                                              : TOOL_ONLINE_POSSIBLE;
}

static void advice_puk(const struct tool_pin_advice *a, const char *here, char *out, size_t cap)
{
	if (!a->puk_usable)
		snprintf(out, cap, "%s", _("The PUK is blocked too: it cannot unblock the PIN."));
	else if (a->puk_tries_left < 0)
		snprintf(out, cap,
		         _("If you have your PUK, unblock the PIN here (%s). When the PUK tries "
		           "are used up by wrong PUKs, the card is unusable for good."),
		         here);
	else
		snprintf(out, cap,
		         ngettext("If you have your PUK, unblock the PIN here (%s): %d PUK try "
		                  "left. When the PUK tries are used up by wrong PUKs, the card is "
		                  "unusable for good.",
		                  "If you have your PUK, unblock the PIN here (%s): %d PUK tries "
		                  "left. When the PUK tries are used up by wrong PUKs, the card is "
		                  "unusable for good.",
		                  (unsigned long)a->puk_tries_left),
		         here, a->puk_tries_left);
}

static void advice_online(const struct tool_pin_advice *a, char *out, size_t cap)
{
	switch (a->online) {
	case TOOL_ONLINE_LIKELY:
		snprintf(out, cap,
		         _("Without the PUK: Kamu SM cards issued since 1 January 2011 are "
		           "unblocked "
		           "online at Kamu SM's NES portal (\"Kilit Çözme\"). This "
		           "card is very likely one of them (based on: certificate issuer %s, card "
		           "AKİS %s; the issue date is not on the card)."),
		         a->issuer, a->version);
		break;
	case TOOL_ONLINE_POSSIBLE:
		snprintf(out, cap,
		         _("Without the PUK: if this card was issued on or after 1 January 2011, "
		           "unblock the PIN online at Kamu SM's NES portal (\"Kilit "
		           "Çözme\"); older cards need the PUK (based on: certificate "
		           "issuer %s, card AKİS %s; the issue date is not on the card)."),
		         a->issuer, a->version);
		break;
	case TOOL_ONLINE_NO:
		if (a->issuer[0] != '\0')
			snprintf(out, cap,
			         _("Without the PUK, ask the provider that issued your certificate "
			           "(%s) how to unblock the PIN."),
			         a->issuer);
		else
			snprintf(out, cap, "%s",
			         _("Without the PUK, ask the provider that issued your certificate "
			           "how to unblock the PIN."));
		break;
	}
}

void tool_pin_advice_text(const struct tool_pin_advice *a, const char *here, char *out, size_t cap)
{
	char puk[512], online[768];
	advice_puk(a, here, puk, sizeof(puk));
	advice_online(a, online, sizeof(online));
	snprintf(out, cap, "%s %s %s", _("The PIN is blocked."), puk, online);
}

static void warn_cert_date(char *out, size_t cap, const char *fmt, int cert, time_t t)
{
	char d[32];
	tool_time_text(t, d, sizeof(d));
	snprintf(out, cap, fmt, tool_cert_number(cert), d);
}

void tool_warning_text(const struct tool_report *r, const struct tool_warning *w, char *out,
                       size_t cap)
{
	char d1[32], d2[32];
	out[0] = '\0';
	switch (w->code) {
	case TOOL_W_CARD_DEAD:
		snprintf(out, cap, "%s",
		         _("The card is dead (life cycle AA): the PUK is used up. "
		           "The card cannot be used any more and must be replaced."));
		break;
	case TOOL_W_PUK_BLOCKED:
		snprintf(out, cap, "%s", _("The PUK is blocked: the card must be replaced."));
		break;
	case TOOL_W_PIN_BLOCKED: {
		struct tool_pin_advice a;
		tool_pin_advice(r, &a);
		tool_pin_advice_text(&a, "akis-tool unblock", out, cap);
		break;
	}
	case TOOL_W_PIN_TRIES_LOW:
		snprintf(out, cap,
		         ngettext("Only %d PIN try left: one more wrong PIN blocks it.",
		                  "Only %d PIN tries left.", (unsigned long)w->tries),
		         w->tries);
		break;
	case TOOL_W_PUK_TRIES_LOW:
		snprintf(out, cap,
		         ngettext("Only %d PUK try left: when the PUK is blocked the card must be "
		                  "replaced.",
		                  "Only %d PUK tries left: when the PUK is blocked the card must "
		                  "be replaced.",
		                  (unsigned long)w->tries),
		         w->tries);
		break;
	case TOOL_W_CARD_ADMIN:
		snprintf(out, cap, "%s",
		         _("The card is in the administration life cycle (A0), not issued for "
		           "use."));
		break;
	case TOOL_W_CERT_UNREADABLE:
		snprintf(out, cap, _("Certificate %d could not be read."),
		         tool_cert_number(w->cert));
		break;
	case TOOL_W_CERT_EXPIRED:
		warn_cert_date(out, cap, _("Certificate %d expired on %s."), w->cert, w->date);
		break;
	case TOOL_W_CERT_NOT_YET_VALID:
		warn_cert_date(out, cap,
		               _("Certificate %d is not valid yet: it can be used from %s."),
		               w->cert, w->date);
		break;
	case TOOL_W_CERT_EXPIRES_SOON:
		tool_time_text(w->date, d1, sizeof(d1));
		snprintf(out, cap,
		         ngettext("Certificate %d expires in %d day (%s).",
		                  "Certificate %d expires in %d days (%s).",
		                  (unsigned long)w->tries),
		         tool_cert_number(w->cert), w->tries, d1);
		break;
	case TOOL_W_NEW_CERT_PENDING:
		tool_time_text(r->certs[w->cert].not_after, d1, sizeof(d1));
		tool_time_text(w->date, d2, sizeof(d2));
		snprintf(out, cap,
		         _("Certificate %d is still valid (until %s) next to a new certificate %d: "
		           "the new certificate can be used from %s."),
		         tool_cert_number(w->cert), d1, tool_cert_number(w->other), d2);
		break;
	case TOOL_W_OLD_CERT_STILL_VALID:
		tool_time_text(w->date, d1, sizeof(d1));
		snprintf(out, cap,
		         _("An old certificate %d (valid until %s) is still valid next to the new "
		           "certificate %d: applications may pick either; use the new one."),
		         tool_cert_number(w->cert), d1, tool_cert_number(w->other));
		break;
	}
}

static void print_purposes(FILE *f, unsigned purposes)
{
	bool first = true;
	for (size_t i = 0; i < NELEM(purpose_tab); i++) {
		if (!(purposes & purpose_tab[i].bit))
			continue;
		fprintf(f, "%s%s", first ? "" : ", ", _(purpose_tab[i].text));
		first = false;
	}
	fputc('\n', f);
}

static const char *validity_text(const struct tool_cert *c, time_t now)
{
	switch (tool_cert_validity(c, now)) {
	case TOOL_VALID:
		return _("valid");
	case TOOL_EXPIRED:
		return _("EXPIRED");
	case TOOL_NOT_YET_VALID:
		return _("NOT YET VALID");
	}
	return "";
}

static void print_field(FILE *f, const char *label, const char *value)
{
	if (value[0] == '\0')
		return;
	fprintf(f, "        %s: ", label);
	tool_fput_safe(f, value);
	fputc('\n', f);
}

static void print_cert(FILE *f, const struct tool_report *r, size_t i, time_t now)
{
	const struct tool_cert *c = &r->certs[i];
	fprintf(f, "    [%d] ", tool_cert_number((int)i));
	if (!c->parsed) {
		fprintf(f, "%s ", _("unreadable certificate"));
		tool_fput_safe(f, c->label);
		fputc('\n', f);
		return;
	}
	print_purposes(f, c->purposes);
	print_field(f, _("Label"), c->label);
	print_field(f, _("Holder"), c->holder);
	print_field(f, _("Subject serial number"), c->subject_serial);
	print_field(f, _("Issuer"), c->issuer_cn[0] != '\0' ? c->issuer_cn : c->issuer);
	char nb[32], na[32];
	tool_time_text(c->not_before, nb, sizeof(nb));
	tool_time_text(c->not_after, na, sizeof(na));
	fprintf(f, "        %s: %s - %s (%s)\n", _("Valid"), nb, na, validity_text(c, now));
}

static void print_pin(FILE *f, const char *label, const struct tool_pin_state *s)
{
	fprintf(f, "  %s: ", label);
	if (!s->known)
		fprintf(f, "%s\n", _("unknown"));
	else if (s->blocked)
		fprintf(f, "%s\n", _("BLOCKED"));
	else if (s->tries_left < 0)
		fprintf(f, "%s\n", _("not blocked (tries left not reported)"));
	else
		fprintf(f,
		        ngettext("%d try left\n", "%d tries left\n", (unsigned long)s->tries_left),
		        s->tries_left);
}

const char *tool_life_cycle_text(uint8_t lc)
{
	switch (lc) {
	case TOOL_LC_USABLE:
		return _("usable");
	case TOOL_LC_ADMIN:
		return _("administration");
	case TOOL_LC_DEAD:
		return _("dead (card must be replaced)");
	default:
		return _("unknown");
	}
}

static void print_card_head(FILE *f, const struct tool_report *r)
{
	fprintf(f, "  %s: AKİS %s (%s", _("Card"), r->info.version,
	        tool_profile_name(r->info.profile));
	if (r->info.chip[0] != '\0')
		fprintf(f, ", %s", r->info.chip);
	fprintf(f, ")\n");
	if (r->has_error)
		fprintf(f, "  %s: %s\n", _("Error"), tool_rv_text(r->error));
	if (!r->bound)
		return;
	fprintf(f, "  %s: ", _("Serial number"));
	for (size_t i = 0; i < r->serial_len; i++)
		fprintf(f, "%02X", r->serial[i]);
	fputc('\n', f);
	if (r->token_label[0] != '\0') {
		fprintf(f, "  %s: ", _("Label"));
		tool_fput_safe(f, r->token_label);
		fputc('\n', f);
	}
	fprintf(f, "  %s: %s (%02X)\n", _("Life cycle"), tool_life_cycle_text(r->life_cycle),
	        r->life_cycle);
	print_pin(f, "PIN", &r->pin);
	print_pin(f, "PUK", &r->puk);
}

void tool_report_print(FILE *f, const struct tool_report *r, time_t now)
{
	fprintf(f, "%s: ", _("Reader"));
	tool_fput_safe(f, r->reader);
	fputc('\n', f);
	if (!r->present) {
		fprintf(f, "  %s\n", _("no card"));
		return;
	}
	if (!r->is_akis) {
		fprintf(f, "  %s: %s (ATR ", _("Card"), _("not an AKİS card"));
		for (size_t i = 0; i < r->atr_len; i++)
			fprintf(f, "%s%02X", i ? " " : "", r->atr[i]);
		fprintf(f, ")\n");
		return;
	}
	print_card_head(f, r);
	if (!r->bound)
		return;
	fprintf(f, "  %s:", _("Certificates"));
	fprintf(f, r->n_certs == 0 ? " %s\n" : "%s\n", r->n_certs == 0 ? _("none") : "");
	for (size_t i = 0; i < r->n_certs; i++)
		print_cert(f, r, i, now);
	if (r->n_warnings > 0)
		fprintf(f, "  %s:\n", _("Warnings"));
	for (size_t i = 0; i < r->n_warnings; i++) {
		char msg[TOOL_WARN_TEXT_MAX];
		tool_warning_text(r, &r->warnings[i], msg, sizeof(msg));
		fprintf(f, "    ! %s\n", msg);
	}
}

/* ----- JSON (schema: akis-tool.1, JSON OUTPUT) ----- */

static void json_pin(struct json *j, const char *key, const struct tool_pin_state *s)
{
	json_key(j, key);
	if (!s->known) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_key(j, "tries_left");
	if (s->tries_left < 0)
		json_null(j);
	else
		json_int(j, s->tries_left);
	json_kbool(j, "blocked", s->blocked);
	json_kbool(j, "verified", s->verified);
	json_obj_end(j);
}

static void json_cert_lists(struct json *j, const struct tool_cert *c)
{
	json_key(j, "purposes");
	json_arr_begin(j);
	for (size_t i = 0; i < NELEM(purpose_tab); i++)
		if (c->purposes & purpose_tab[i].bit)
			json_str(j, purpose_tab[i].name);
	json_arr_end(j);
	json_key(j, "key_usage");
	if (!c->has_key_usage) {
		json_null(j);
	} else {
		json_arr_begin(j);
		for (size_t i = 0; i < NELEM(ku_tab); i++)
			if (c->key_usage & ku_tab[i].bit)
				json_str(j, ku_tab[i].name);
		json_arr_end(j);
	}
	json_key(j, "policies");
	json_arr_begin(j);
	for (size_t i = 0; i < c->n_policies; i++)
		json_str(j, c->policies[i]);
	json_arr_end(j);
}

static const char *validity_name(enum tool_validity v)
{
	switch (v) {
	case TOOL_VALID:
		return "valid";
	case TOOL_EXPIRED:
		return "expired";
	case TOOL_NOT_YET_VALID:
		return "not_yet_valid";
	}
	return "unknown";
}

static void json_cert(struct json *j, const struct tool_cert *c, int number, time_t now)
{
	char t[32];
	json_obj_begin(j);
	json_kint(j, "number", number);
	json_kstr(j, "label", c->label);
	json_kstr(j, "id", c->id_hex);
	json_kbool(j, "readable", c->parsed);
	if (c->parsed) {
		json_kstr(j, "holder", c->holder);
		json_kstr(j, "subject_serial_number", c->subject_serial);
		json_kstr(j, "subject", c->subject);
		json_kstr(j, "issuer", c->issuer);
		json_kstr(j, "issuer_cn", c->issuer_cn);
		json_kstr(j, "serial", c->serial_hex);
		tool_time_iso(c->not_before, t, sizeof(t));
		json_kstr(j, "not_before", t);
		tool_time_iso(c->not_after, t, sizeof(t));
		json_kstr(j, "not_after", t);
		json_kstr(j, "validity", validity_name(tool_cert_validity(c, now)));
		json_kbool(j, "qualified", (c->purposes & TOOL_PURPOSE_QUALIFIED) != 0);
		json_kbool(j, "qc_statements", c->has_qc_statements);
		json_kbool(j, "ca", c->is_ca || c->authority);
		json_cert_lists(j, c);
	}
	json_obj_end(j);
}

/* The blocked-PIN advice for scripts (akis-tool.1, JSON OUTPUT). */
static void json_advice(struct json *j, const struct tool_report *r)
{
	struct tool_pin_advice a;
	tool_pin_advice(r, &a);
	json_key(j, "advice");
	json_obj_begin(j);
	json_kbool(j, "puk_unblock", a.puk_usable);
	json_key(j, "puk_tries_left");
	if (a.puk_tries_left < 0)
		json_null(j);
	else
		json_int(j, a.puk_tries_left);
	json_kstr(j, "online_unblock", tool_online_unblock_name(a.online));
	json_kbool(j, "issuer_kamusm", a.issuer_kamusm);
	json_kstr(j, "issuer", a.issuer);
	json_kstr(j, "card_version", a.version);
	json_obj_end(j);
}

static void json_warning(struct json *j, const struct tool_report *r, const struct tool_warning *w)
{
	char msg[TOOL_WARN_TEXT_MAX], t[32];
	json_obj_begin(j);
	json_kstr(j, "code", tool_warn_code_name(w->code));
	json_key(j, "certificate");
	if (w->cert < 0)
		json_null(j);
	else
		json_int(j, tool_cert_number(w->cert));
	if (w->other >= 0)
		json_kint(j, "other_certificate", tool_cert_number(w->other));
	if (w->date != 0) {
		tool_time_iso(w->date, t, sizeof(t));
		json_kstr(j, "date", t);
	}
	if (w->code == TOOL_W_PIN_TRIES_LOW || w->code == TOOL_W_PUK_TRIES_LOW)
		json_kint(j, "tries_left", w->tries);
	if (w->code == TOOL_W_CERT_EXPIRES_SOON)
		json_kint(j, "days_left", w->tries);
	if (w->code == TOOL_W_PIN_BLOCKED)
		json_advice(j, r);
	tool_warning_text(r, w, msg, sizeof(msg));
	json_kstr(j, "message", msg);
	json_obj_end(j);
}

static void json_card(struct json *j, const struct tool_report *r, time_t now)
{
	json_obj_begin(j);
	json_key(j, "atr");
	json_hex(j, r->atr, r->atr_len);
	json_kbool(j, "akis", r->is_akis);
	if (r->is_akis) {
		json_kstr(j, "profile", tool_profile_name(r->info.profile));
		json_kstr(j, "version", r->info.version);
		json_kstr(j, "chip", r->info.chip);
	}
	json_key(j, "error");
	if (r->has_error)
		json_str(j, tool_rv_code(r->error));
	else
		json_null(j);
	if (r->bound) {
		json_key(j, "serial");
		json_hex(j, r->serial, r->serial_len);
		json_kstr(j, "label", r->token_label);
		json_kstr(j, "life_cycle", tool_life_cycle_name(r->life_cycle));
		json_kint(j, "life_cycle_byte", r->life_cycle);
		json_pin(j, "pin", &r->pin);
		json_pin(j, "puk", &r->puk);
		json_key(j, "certificates");
		json_arr_begin(j);
		for (size_t i = 0; i < r->n_certs; i++)
			json_cert(j, &r->certs[i], tool_cert_number((int)i), now);
		json_arr_end(j);
		json_key(j, "warnings");
		json_arr_begin(j);
		for (size_t i = 0; i < r->n_warnings; i++)
			json_warning(j, r, &r->warnings[i]);
		json_arr_end(j);
	}
	json_obj_end(j);
}

void tool_report_json_fields(struct json *j, const struct tool_report *r, time_t now)
{
	json_kstr(j, "reader", r->reader);
	json_kbool(j, "card_present", r->present);
	json_key(j, "card");
	if (r->present)
		json_card(j, r, now);
	else
		json_null(j);
}

void tool_report_json(struct json *j, const struct tool_report *r, time_t now)
{
	json_obj_begin(j);
	tool_report_json_fields(j, r, now);
	json_obj_end(j);
}
