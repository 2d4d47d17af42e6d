/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificate states, PIN action results and the test dump of the view.
 */
#include "model.h"

#include <string.h>

#include "../akis-tool/errors.h"
#include "../akis-tool/json.h"
#include "i18n.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ----- certificates ----- */

static void plain_state(const struct tool_cert *c, time_t now, struct mon_cert_view *v)
{
	switch (tool_cert_validity(c, now)) {
	case TOOL_EXPIRED:
		v->state = MON_CERT_EXPIRED;
		v->when = c->not_after;
		return;
	case TOOL_NOT_YET_VALID:
		v->state = MON_CERT_NOT_YET_VALID;
		v->when = c->not_before;
		return;
	case TOOL_VALID:
		break;
	}
	double left = difftime(c->not_after, now);
	v->when = c->not_after;
	v->state = MON_CERT_USABLE;
	if (left < (double)TOOL_EXPIRY_SOON_DAYS * 86400.0) {
		v->state = MON_CERT_EXPIRES_SOON;
		v->days = (int)(left / 86400.0);
	}
}

void mon_cert_view(const struct tool_report *r, size_t i, time_t now, struct mon_cert_view *v)
{
	const struct tool_cert *c = &r->certs[i];
	memset(v, 0, sizeof(*v));
	v->old = -1;
	if (!c->parsed) {
		v->state = MON_CERT_UNREADABLE;
		return;
	}
	plain_state(c, now, v);
	/* The old/new rule, from the shared core's renewal warnings: the new
	 * certificate is `other`, the old one `cert`. */
	for (size_t k = 0; k < r->n_warnings; k++) {
		const struct tool_warning *w = &r->warnings[k];
		if (w->other != (int)i || w->cert < 0 || (size_t)w->cert >= r->n_certs)
			continue;
		time_t old_end = r->certs[w->cert].not_after;
		if (w->code == TOOL_W_NEW_CERT_PENDING) {
			v->state = MON_CERT_NOT_YET_VALID;
			v->old = w->cert;
			v->when = c->not_before > old_end ? c->not_before : old_end;
		} else if (w->code == TOOL_W_OLD_CERT_STILL_VALID) {
			v->state = MON_CERT_WAITS_FOR_OLD;
			v->old = w->cert;
			v->when = old_end;
		}
	}
}

const char *mon_cert_state_name(enum mon_cert_state s)
{
	switch (s) {
	case MON_CERT_USABLE:
		return "usable";
	case MON_CERT_EXPIRES_SOON:
		return "expires_soon";
	case MON_CERT_NOT_YET_VALID:
		return "not_yet_valid";
	case MON_CERT_WAITS_FOR_OLD:
		return "waits_for_old";
	case MON_CERT_EXPIRED:
		return "expired";
	case MON_CERT_UNREADABLE:
		return "unreadable";
	}
	return "unknown";
}

void mon_cert_state_text(const struct tool_report *r, const struct mon_cert_view *v, char *out,
                         size_t cap)
{
	char when[32], old_end[32] = "";
	tool_time_text(v->when, when, sizeof(when));
	if (v->old >= 0)
		tool_time_text(r->certs[v->old].not_after, old_end, sizeof(old_end));
	switch (v->state) {
	case MON_CERT_USABLE:
		snprintf(out, cap, _("Usable until %s."), when);
		break;
	case MON_CERT_EXPIRES_SOON:
		snprintf(out, cap,
		         NG_("Usable, but expires in %d day (%s): renew it in time.",
		             "Usable, but expires in %d days (%s): renew it in time.", v->days),
		         v->days, when);
		break;
	case MON_CERT_NOT_YET_VALID:
		if (v->old >= 0)
			snprintf(out, cap,
			         _("Not usable yet: the old certificate %d stays in use until %s; "
			           "this one can be used from %s."),
			         tool_cert_number(v->old), old_end, when);
		else
			snprintf(out, cap, _("Not valid yet: usable from %s."), when);
		break;
	case MON_CERT_WAITS_FOR_OLD:
		snprintf(out, cap,
		         _("New certificate, not to be used yet: the old certificate %d stays in "
		           "use "
		           "until %s; this one becomes usable then."),
		         tool_cert_number(v->old), when);
		break;
	case MON_CERT_EXPIRED:
		snprintf(out, cap, _("Expired on %s."), when);
		break;
	case MON_CERT_UNREADABLE:
		snprintf(out, cap, "%s", _("The certificate could not be read."));
		break;
	}
}

static const struct {
	unsigned bit;
	const char *text;
} purposes[] = {
        {TOOL_PURPOSE_QUALIFIED, N_("qualified electronic signature")},
        {TOOL_PURPOSE_SIGNATURE, N_("signature (not qualified)")},
        {TOOL_PURPOSE_ESEAL, N_("e-seal of an organisation")},
        {TOOL_PURPOSE_AUTH, N_("authentication")},
        {TOOL_PURPOSE_ENCRYPT, N_("encryption")},
        {TOOL_PURPOSE_CA, N_("certificate authority")},
        {TOOL_PURPOSE_ANY, N_("any purpose")},
};

void mon_purpose_text(unsigned bits, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < NELEM(purposes) && o < cap; i++) {
		if (!(bits & purposes[i].bit))
			continue;
		int w = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", _(purposes[i].text));
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* ----- PIN actions ----- */

static bool op_puk_secret(const struct mon_op_result *res)
{
	return res->op != MON_OP_CHANGE_PIN;
}

enum outcome { OUT_OK, OUT_WRONG, OUT_BLOCKED, OUT_DEAD, OUT_FORMAT, OUT_ERROR };

static enum outcome outcome(const struct mon_op_result *res)
{
	if (res->entries_differ)
		return OUT_FORMAT;
	if (res->rv == AKIS_OK)
		return OUT_OK;
	if (res->rv == AKIS_ERR_PIN_INCORRECT && res->tries != 0)
		return OUT_WRONG;
	if (res->rv == AKIS_ERR_PIN_INCORRECT || res->rv == AKIS_ERR_PIN_BLOCKED)
		return op_puk_secret(res) ? OUT_DEAD : OUT_BLOCKED;
	if (res->rv == AKIS_ERR_DEAD)
		return OUT_DEAD;
	if (res->rv == AKIS_ERR_PIN_LEN || res->rv == AKIS_ERR_PIN_INVALID)
		return OUT_FORMAT;
	return OUT_ERROR;
}

const char *mon_op_result_code(const struct mon_op_result *res)
{
	static const char *const names[] = {
	        [OUT_OK] = "ok",     [OUT_WRONG] = "wrong",   [OUT_BLOCKED] = "blocked",
	        [OUT_DEAD] = "dead", [OUT_FORMAT] = "format", [OUT_ERROR] = "error",
	};
	return names[outcome(res)];
}

static void ok_text(enum mon_op op, char *out, size_t cap)
{
	const char *t = op == MON_OP_CHANGE_PIN ? _("The PIN was changed.")
	                : op == MON_OP_CHANGE_PUK
	                        ? _("The PUK was changed.")
	                        : _("The PIN is unblocked and set to the new value.");
	snprintf(out, cap, "%s", t);
}

static void wrong_text(const struct mon_op_result *res, char *out, size_t cap)
{
	bool puk = op_puk_secret(res);
	if (res->tries < 0)
		snprintf(out, cap, "%s", puk ? _("Wrong PUK.") : _("Wrong PIN."));
	else if (puk)
		snprintf(out, cap,
		         NG_("Wrong PUK. %d try left: when none are left, the card is unusable for "
		             "good.",
		             "Wrong PUK. %d tries left: when none are left, the card is unusable "
		             "for "
		             "good.",
		             res->tries),
		         res->tries);
	else
		snprintf(out, cap,
		         NG_("Wrong PIN. %d try left.", "Wrong PIN. %d tries left.", res->tries),
		         res->tries);
}

void mon_op_result_text(const struct mon_op_result *res, const struct tool_report *r, char *out,
                        size_t cap)
{
	struct tool_pin_advice a;
	switch (outcome(res)) {
	case OUT_OK:
		ok_text(res->op, out, cap);
		return;
	case OUT_WRONG:
		wrong_text(res, out, cap);
		return;
	case OUT_BLOCKED:
		if (r == NULL)
			break;
		tool_pin_advice(r, &a);
		tool_pin_advice_text(&a, _("the \"Unblock PIN\" button"), out, cap);
		return;
	case OUT_DEAD:
		snprintf(out, cap, "%s",
		         _("The PUK is used up: the card cannot be used any more and must be "
		           "replaced."));
		return;
	case OUT_FORMAT:
		if (res->entries_differ)
			snprintf(out, cap, "%s",
			         _("The two new entries differ; nothing was sent to the card."));
		else if (res->max_len > 0)
			snprintf(
			        out, cap,
			        _("It must be %u to %u digits long; nothing was sent to the card."),
			        res->min_len, res->max_len);
		else
			break;
		return;
	case OUT_ERROR:
		break;
	}
	snprintf(out, cap, _("The card could not do it: %s."), tool_rv_text(res->rv));
}

/* ----- test dump ----- */

static void dump_monitor(struct json *j, const struct tool_report *r, time_t now)
{
	char text[TOOL_WARN_TEXT_MAX];
	json_key(j, "monitor");
	json_obj_begin(j);
	json_key(j, "cert_states");
	json_arr_begin(j);
	for (size_t i = 0; r->bound && i < r->n_certs; i++) {
		struct mon_cert_view v;
		mon_cert_view(r, i, now, &v);
		mon_cert_state_text(r, &v, text, sizeof(text));
		json_obj_begin(j);
		json_kstr(j, "state", mon_cert_state_name(v.state));
		json_kstr(j, "text", text);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "pin_advice");
	if (r->bound && r->pin.known && r->pin.blocked) {
		struct tool_pin_advice a;
		tool_pin_advice(r, &a);
		tool_pin_advice_text(&a, _("the \"Unblock PIN\" button"), text, sizeof(text));
		json_str(j, text);
	} else {
		json_null(j);
	}
	json_obj_end(j);
}

void mon_dump_json(FILE *f, const struct mon_card *cards, size_t n, time_t now,
                   const struct mon_dump_extra *x)
{
	struct json j;
	json_init(&j, f, false);
	json_obj_begin(&j);
	json_key(&j, "readers");
	json_arr_begin(&j);
	for (size_t i = 0; i < n; i++) {
		json_obj_begin(&j);
		tool_report_json_fields(&j, &cards[i].r, now);
		dump_monitor(&j, &cards[i].r, now);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "dialog");
	x->dialog != NULL ? json_str(&j, x->dialog) : json_null(&j);
	json_key(&j, "result");
	if (x->result_code != NULL) {
		json_obj_begin(&j);
		json_kstr(&j, "code", x->result_code);
		json_kstr(&j, "text", x->result_text != NULL ? x->result_text : "");
		json_obj_end(&j);
	} else {
		json_null(&j);
	}
	json_kint(&j, "notifications", x->notifications);
	json_obj_end(&j);
	fputc('\n', f);
}
