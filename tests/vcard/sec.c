/* PINs and security status of the virtual card.
 * Rules: docs/card.md §3 (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER,
 * LOGOUT) and ISO 7816-4 §11.5. PINs 81/82 live in DF 3D00, 01/02 in the MF. */
#include "sec.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "fs.h"
#include "image.h"

static bool pin_in_df(uint8_t ref)
{
	return (ref & 0x80) != 0;
}

void vc_sec_clear_df(struct vc_card *c, int df)
{
	bool pkcs15 = df > 0;
	for (int i = 0; i < c->npins; i++)
		if (pin_in_df(c->pins[i].ref) == pkcs15)
			c->pins[i].verified = false;
	if (pkcs15)
		for (int i = 0; i < c->nkeys; i++)
			c->keys[i].consent_ok = false;
}

void vc_sec_reset(struct vc_card *c)
{
	for (int i = 0; i < c->npins; i++)
		c->pins[i].verified = false;
	for (int i = 0; i < c->nkeys; i++)
		c->keys[i].consent_ok = false;
	c->cur_df = 0;
	c->cur_ef = -1;
	c->se_key = -1;
	c->se_op = VC_SE_NONE;
	c->chaining = false;
	c->chain_len = 0;
	c->pend_len = c->pend_off = 0;
}

bool vc_sec_verified(struct vc_card *c, uint8_t ref)
{
	struct vc_pin *p = vc_pin_find(c, ref);
	return p && p->verified;
}

/* A PIN reference usable from the current DF: DF-specific ones (bit 8) only in
 * DF 3D00, global ones anywhere (ISO 7816-4 §7.5.1). */
static struct vc_pin *lookup(struct vc_card *c, uint8_t ref)
{
	if (pin_in_df(ref) && !vc_in_pkcs15(c))
		return NULL;
	return vc_pin_find(c, ref);
}

/* Wire form of a PIN → ASCII digits. akis-1.0 sends one digit per byte as
 * 0x00-0x09 (half-nibble-bcd in the AODF), the others ASCII [C]. */
static bool decode_pin(const struct vc_card *c, const uint8_t *in, size_t n, char *out)
{
	bool digits = true;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = in[i];
		if (c->profile == VC_AKIS_10)
			b = b <= 9 ? (uint8_t)('0' + b) : 'x';
		digits = digits && b >= '0' && b <= '9';
		out[i] = (char)b;
	}
	out[n] = '\0';
	return digits;
}

static bool pin_len_ok(size_t n)
{
	return n >= VC_PIN_MIN && n <= VC_PIN_MAX;
}

static uint16_t tries_sw(const struct vc_pin *p)
{
	return (uint16_t)(0x63C0 | (p->tries & 0x0F));
}

static void save(struct vc_card *c)
{
	if (!vc_image_save(c))
		fprintf(stderr, "akis-vcard: cannot persist card.conf\n");
}

/* Compare a candidate (wire bytes) with the stored PIN; spends or restores
 * tries. Returns the status word. Caller checked that p is not blocked. */
static uint16_t check_pin(struct vc_card *c, struct vc_pin *p, const uint8_t *d, size_t n)
{
	char cand[VC_PIN_MAX + 1];
	size_t sl = strlen(p->value);
	bool ok;
	decode_pin(c, d, n, cand);
	ok = n == sl && CRYPTO_memcmp(cand, p->value, sl) == 0;
	OPENSSL_cleanse(cand, sizeof cand);
	if (ok) {
		bool changed = p->tries != p->max;
		p->tries = p->max;
		p->verified = true;
		if (changed)
			save(c);
		return SW_OK;
	}
	p->tries = p->tries > 0 ? p->tries - 1 : 0;
	p->verified = false;
	for (int i = 0; i < c->nkeys; i++) /* docs/card.md §3: a wrong VERIFY clears it */
		c->keys[i].consent_ok = false;
	if (p->ref == 0x82 && p->tries == 0)
		c->life_cycle = 0xAA; /* docs/card.md §4: PUK exhausted → unusable [C] */
	save(c);
	return tries_sw(p);
}

void vc_cmd_verify(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	struct vc_pin *p;
	if (cmd->p1 != 0x00) {
		r->sw = SW_P1P2;
		return;
	}
	p = lookup(c, cmd->p2);
	if (!p) {
		r->sw = SW_REF_NOT_FOUND;
		return;
	}
	if (p->tries <= 0 || (c->life_cycle == 0xAA && pin_in_df(p->ref))) {
		r->sw = vc_blocked_sw(c);
		return;
	}
	if (cmd->lc == 0) { /* status query, never spends a try [S] */
		r->sw = p->verified ? SW_OK : tries_sw(p);
		return;
	}
	if (!pin_len_ok(cmd->lc)) {
		r->sw = SW_WRONG_LEN;
		return;
	}
	r->sw = check_pin(c, p, cmd->data, cmd->lc);
	if (r->sw == SW_OK && p->ref == 0x81)
		for (int i = 0; i < c->nkeys; i++)
			c->keys[i].consent_ok = true;
}

/* Split CHANGE REFERENCE DATA data into old and new.
 * 1.x: Lold old Lnew new [C]; 2.x: old‖new, old as long as the stored PIN (ISO). */
static bool split_change(const struct vc_card *c, const struct vc_cmd *cmd, const struct vc_pin *p,
                         size_t *old_len, const uint8_t **nw, size_t *new_len)
{
	const uint8_t *d = cmd->data;
	size_t n = cmd->lc;
	if (vc_is_1x(c)) {
		if (n < 2 || (size_t)d[0] + 2 > n || (size_t)d[0] + 2 + d[d[0] + 1] != n)
			return false;
		*old_len = d[0];
		*nw = d + 2 + d[0];
		*new_len = d[d[0] + 1];
		return true;
	}
	*old_len = strlen(p->value);
	if (n <= *old_len)
		return false;
	*nw = d + *old_len;
	*new_len = n - *old_len;
	return true;
}

/* P1/P2 → reference: 1.x P1 02 P2 ref&7F (ref ≥ 80) or P1 01 P2 ref; 2.x P1 00. */
static bool change_ref(const struct vc_card *c, const struct vc_cmd *cmd, uint8_t *ref)
{
	if (vc_is_1x(c)) {
		if (cmd->p1 == 0x02 && cmd->p2 < 0x80) {
			*ref = (uint8_t)(cmd->p2 | 0x80);
			return true;
		}
		*ref = cmd->p2;
		return cmd->p1 == 0x01 && cmd->p2 < 0x80;
	}
	*ref = cmd->p2;
	return cmd->p1 == 0x00;
}

static bool new_pin_ok(const struct vc_card *c, const uint8_t *d, size_t n, char *out)
{
	return pin_len_ok(n) && decode_pin(c, d, n, out);
}

void vc_cmd_change(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	char nw[VC_PIN_MAX + 1];
	const uint8_t *nd;
	size_t ol, nl;
	uint8_t ref;
	struct vc_pin *p;
	if (!change_ref(c, cmd, &ref)) {
		r->sw = SW_P1P2;
		return;
	}
	p = lookup(c, ref);
	if (!p) {
		r->sw = SW_REF_NOT_FOUND;
		return;
	}
	if (p->tries <= 0 || (c->life_cycle == 0xAA && pin_in_df(ref))) {
		r->sw = vc_blocked_sw(c);
		return;
	}
	if (!split_change(c, cmd, p, &ol, &nd, &nl) || !pin_len_ok(ol)) {
		r->sw = SW_WRONG_LEN;
		return;
	}
	if (!new_pin_ok(c, nd, nl, nw)) {
		r->sw = SW_WRONG_DATA;
		goto out;
	}
	r->sw = check_pin(c, p, vc_is_1x(c) ? cmd->data + 1 : cmd->data, ol);
	if (r->sw == SW_OK) {
		memcpy(p->value, nw, sizeof nw);
		save(c);
	}
out:
	OPENSSL_cleanse(nw, sizeof nw);
}

void vc_cmd_reset_retry(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	char nw[VC_PIN_MAX + 1] = "";
	struct vc_pin *p, *puk;
	if (cmd->p1 != 0x02 && cmd->p1 != 0x03) {
		r->sw = SW_P1P2;
		return;
	}
	if (cmd->p2 != 0x81 && cmd->p2 != 0x01) {
		r->sw = SW_REF_NOT_FOUND;
		return;
	}
	p = lookup(c, cmd->p2);
	puk = lookup(c, (uint8_t)(cmd->p2 + 1)); /* 82 unblocks 81, 02 unblocks 01 */
	if (!p || !puk) {
		r->sw = SW_REF_NOT_FOUND;
		return;
	}
	if ((cmd->p1 == 0x03) != (cmd->lc == 0)) {
		r->sw = SW_WRONG_LEN;
		return;
	}
	if (!puk->verified || (c->life_cycle == 0xAA && pin_in_df(p->ref))) {
		r->sw = SW_SEC_STATUS;
		return;
	}
	if (cmd->p1 == 0x02 && !new_pin_ok(c, cmd->data, cmd->lc, nw)) {
		r->sw = SW_WRONG_DATA;
		goto out;
	}
	if (cmd->p1 == 0x02)
		memcpy(p->value, nw, sizeof nw);
	p->tries = p->max;
	p->verified = false;
	save(c);
	r->sw = SW_OK;
out:
	OPENSSL_cleanse(nw, sizeof nw);
}

void vc_cmd_logout(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	if (cmd->p1 || cmd->p2) {
		r->sw = SW_P1P2;
		return;
	}
	vc_sec_clear_df(c, c->cur_df);
	r->sw = SW_OK;
}

/* GET DATA 01 06: the 0x4D-byte system buffer, serial at offset 55 [C].
 * GET DATA 01 04: 0x0A bytes, life cycle at byte 6 [C]. Other bytes [S]. */
void vc_cmd_get_data(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	if (cmd->p1 != 0x01 || (cmd->p2 != 0x06 && cmd->p2 != 0x04)) {
		r->sw = SW_REF_NOT_FOUND;
		return;
	}
	if (cmd->p2 == 0x06) {
		memset(r->data, 0, 0x4D);
		r->data[0] = 0x01;
		r->data[1] = (uint8_t)(c->profile + 1);
		memcpy(r->data + 55, c->serial, sizeof c->serial);
		r->len = 0x4D;
	} else {
		memset(r->data, 0, 0x0A);
		r->data[0] = 0x01;
		r->data[6] = c->life_cycle;
		r->len = 0x0A;
	}
	r->sw = SW_OK;
}

void vc_cmd_get_challenge(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	(void)c;
	if (cmd->p1 || cmd->p2) {
		r->sw = SW_P1P2;
		return;
	}
	if (cmd->lc || !cmd->has_le) {
		r->sw = SW_WRONG_LEN;
		return;
	}
	if (RAND_bytes(r->data, (int)cmd->le) != 1) {
		r->sw = SW_UNKNOWN;
		return;
	}
	r->len = cmd->le;
	r->sized = true;
	r->sw = SW_OK;
}

/* SET LIFE CYCLE 80 09 00 01/02 (docs/card.md §3); needs the system PIN [S]. */
void vc_cmd_set_life_cycle(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	if (cmd->p1 != 0x00 || (cmd->p2 != 0x01 && cmd->p2 != 0x02)) {
		r->sw = SW_P1P2;
		return;
	}
	if (c->life_cycle == 0xAA) {
		r->sw = SW_CONDITIONS;
		return;
	}
	if (!vc_sec_verified(c, 0x01)) {
		r->sw = SW_SEC_STATUS;
		return;
	}
	c->life_cycle = cmd->p2 == 0x01 ? 0xA5 : 0xA0;
	save(c);
	r->sw = SW_OK;
}
