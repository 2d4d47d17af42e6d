/* File system of the virtual card: SELECT (ISO 7816-4 §11.1.1), READ BINARY
 * (§11.2.3), and AKIS's LIST FILES (docs/card.md §3). */
#include "fs.h"

#include <string.h>

#include "image.h"
#include "sec.h"

static const uint8_t name_pkcs15[] = {'P', 'K', 'C', 'S', '-', '1', '5'};
static const uint8_t aid_pkcs15[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                     0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};

bool vc_in_pkcs15(const struct vc_card *c)
{
	return c->files[c->cur_df].fid == VC_FID_PKCS15 && c->files[c->cur_df].parent == 0;
}

static int child(const struct vc_card *c, int df, uint16_t fid)
{
	for (int i = 1; i < c->nfiles; i++)
		if (c->files[i].parent == df && c->files[i].fid == fid)
			return i;
	return -1;
}

/* P1 00: the MF, the current DF, a child of it, its parent, or a sibling. */
static int find_by_fid(const struct vc_card *c, uint16_t fid)
{
	int cur = c->cur_df, parent = c->files[cur].parent, i;
	if (fid == VC_FID_MF)
		return 0;
	if (c->files[cur].fid == fid)
		return cur;
	if ((i = child(c, cur, fid)) >= 0)
		return i;
	if (parent >= 0 && c->files[parent].fid == fid)
		return parent;
	return parent >= 0 ? child(c, parent, fid) : -1;
}

static int walk_path(const struct vc_card *c, int from, const uint8_t *p, size_t n)
{
	int at = from;
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint16_t fid = (uint16_t)(p[i] << 8 | p[i + 1]);
		if (!c->files[at].is_df)
			return -1;
		at = child(c, at, fid);
		if (at < 0)
			return -1;
	}
	return at;
}

static int find_by_name(const struct vc_card *c, const uint8_t *n, size_t len)
{
	bool hit = (len == sizeof name_pkcs15 && memcmp(n, name_pkcs15, len) == 0) ||
	           (len == sizeof aid_pkcs15 && memcmp(n, aid_pkcs15, len) == 0);
	return hit ? child(c, 0, VC_FID_PKCS15) : -1;
}

/* Resolve the target of a SELECT; sets *sw for malformed data. */
static int resolve(const struct vc_card *c, const struct vc_cmd *cmd, uint16_t *sw)
{
	const uint8_t *d = cmd->data;
	size_t n = cmd->lc;
	int t;
	*sw = SW_NOT_FOUND;
	switch (cmd->p1) {
	case 0x00:
		if (n == 0)
			return 0;
		if (n != 2)
			break;
		return find_by_fid(c, (uint16_t)(d[0] << 8 | d[1]));
	case 0x01:
	case 0x02:
		if (n != 2)
			break;
		t = child(c, c->cur_df, (uint16_t)(d[0] << 8 | d[1]));
		return (t >= 0 && c->files[t].is_df == (cmd->p1 == 0x01)) ? t : -1;
	case 0x03:
		if (n != 0)
			break;
		return c->files[c->cur_df].parent >= 0 ? c->files[c->cur_df].parent : -1;
	case 0x04:
		if (n < 1 || n > 16)
			break;
		return find_by_name(c, d, n);
	case 0x08:
	case 0x09:
		if (n < 2 || n > 16 || (n & 1)) /* ISO 7816-4 §7.1.1: a path is pairs of bytes */
			break;
		if (cmd->p1 == 0x08 && d[0] == 0x3F && d[1] == 0x00) { /* TUBITAK 1.0 form [C] */
			d += 2;
			n -= 2;
		}
		return walk_path(c, cmd->p1 == 0x08 ? 0 : c->cur_df, d, n);
	default:
		*sw = SW_P1P2;
		return -1;
	}
	*sw = SW_LC_P1P2;
	return -1;
}

static uint8_t sec_byte(const struct vc_card *c, int idx)
{
	/* docs/card.md §3: 12 on EFs, 02 on DFs, plus 40/80 when the DF's first PIN
	 * lost tries [S]. */
	const struct vc_file *f = &c->files[idx];
	const struct vc_pin *p;
	uint8_t b = 0x02;
	if (!f->is_df)
		return 0x12;
	p = vc_pin_find((struct vc_card *)c, idx == 0 ? 0x01 : 0x81);
	if (p && p->tries < p->max && p->tries > 1)
		b |= 0x40;
	if (p && p->tries == 1)
		b |= 0x80;
	return b;
}

static void put(struct vc_resp *r, const uint8_t *b, size_t n)
{
	if (r->len + n <= sizeof r->data) {
		memcpy(r->data + r->len, b, n);
		r->len += n;
	}
}

static void fci(const struct vc_card *c, int idx, const struct vc_cmd *cmd, struct vc_resp *r)
{
	const struct vc_file *f = &c->files[idx];
	uint8_t b[8];
	r->len = 2;
	if (!f->is_df) {
		b[0] = 0x80, b[1] = 2, b[2] = (uint8_t)(f->len >> 8), b[3] = (uint8_t)f->len;
		put(r, b, 4);
	}
	b[0] = 0x82, b[1] = 1, b[2] = f->is_df ? 0x38 : 0x01;
	put(r, b, 3);
	b[0] = 0x83, b[1] = 2, b[2] = (uint8_t)(f->fid >> 8), b[3] = (uint8_t)f->fid;
	put(r, b, 4);
	if (f->is_df && idx != 0) {
		bool by_name = cmd->p1 == 0x04;
		b[0] = 0x84, b[1] = (uint8_t)(by_name ? cmd->lc : sizeof name_pkcs15);
		put(r, b, 2);
		put(r, by_name ? cmd->data : name_pkcs15, b[1]);
	}
	b[0] = 0x8A, b[1] = 1, b[2] = 0x05; /* operational, activated: ISO 7816-4 §5.3.3.2 */
	put(r, b, 3);
	b[0] = 0x90, b[1] = 1, b[2] = sec_byte(c, idx);
	put(r, b, 3);
	r->data[0] = cmd->p2 == 0x04 ? 0x62 : 0x6F;
	r->data[1] = (uint8_t)(r->len - 2);
}

void vc_cmd_select(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	uint16_t sw;
	int t;
	if (cmd->p2 != 0x00 && cmd->p2 != 0x04 && cmd->p2 != 0x0C) {
		r->sw = SW_P1P2;
		return;
	}
	t = resolve(c, cmd, &sw);
	if (t < 0) {
		r->sw = sw;
		return;
	}
	if (c->files[t].is_df) {
		/* docs/card.md §3 (2.x): re-selecting the MF logs DF 3D00 out */
		if (t == 0 && !vc_is_1x(c) && child(c, 0, VC_FID_PKCS15) > 0)
			vc_sec_clear_df(c, child(c, 0, VC_FID_PKCS15));
		if (t != c->cur_df)
			c->se_key = -1; /* the security environment is per DF */
		c->cur_df = t;
		c->cur_ef = -1;
	} else {
		if (c->files[t].parent != c->cur_df)
			c->se_key = -1;
		c->cur_df = c->files[t].parent;
		c->cur_ef = t;
	}
	if (cmd->p2 != 0x0C)
		fci(c, t, cmd, r);
	r->sw = SW_OK;
}

void vc_cmd_read_binary(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	const struct vc_file *f;
	size_t off, avail, n;
	if (cmd->p1 & 0x80) { /* short EF identifier form: not supported by AKIS [S] */
		r->sw = SW_P1P2;
		return;
	}
	if (cmd->lc != 0 || !cmd->has_le) {
		r->sw = SW_WRONG_LEN;
		return;
	}
	if (c->cur_ef < 0) {
		r->sw = SW_NO_EF;
		return;
	}
	f = &c->files[c->cur_ef];
	off = (size_t)cmd->p1 << 8 | cmd->p2;
	if (off >= f->len) {
		r->sw = SW_WRONG_OFFSET;
		return;
	}
	avail = f->len - off;
	n = cmd->le < avail ? cmd->le : avail;
	if (n > sizeof r->data)
		n = sizeof r->data;
	memcpy(r->data, f->data + off, n);
	r->len = n;
	r->sized = true;
	r->sw = cmd->le > avail ? SW_EOF : SW_OK; /* docs/card.md §3: 6282 past the end */
}

void vc_cmd_list_files(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	if (!vc_is_1x(c)) {
		r->sw = SW_INS;
		return;
	}
	if (cmd->p1 || cmd->p2) {
		r->sw = SW_P1P2;
		return;
	}
	for (int i = 1; i < c->nfiles && r->len + 20 <= sizeof r->data; i++) {
		const struct vc_file *f = &c->files[i];
		uint8_t *rec = r->data + r->len;
		if (f->parent != c->cur_df)
			continue;
		memset(rec, 0, 20);
		rec[0] = f->is_df ? 0x3D : 0x2F;
		rec[1] = (uint8_t)(f->fid >> 8);
		rec[2] = (uint8_t)f->fid;
		rec[3] = (uint8_t)(f->len >> 8);
		rec[4] = (uint8_t)f->len;
		r->len += 20;
	}
	r->sw = SW_OK;
}
