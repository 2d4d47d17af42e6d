/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis-monitor without GTK and without a card: certificate states and the
 * old/new rule (R51), PIN action results in the holder's words, the
 * blocked-PIN advice through the shared core (R50), the test dump.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/akis-tool/certinfo.c"
#include "../../tools/akis-tool/errors.c"
#include "../../tools/akis-tool/json.c"
#include "../../tools/akis-tool/report.c"
#include "../../tools/akis-monitor/model.c"

#define DAY 86400L
/* 2026-06-01T00:00:00Z */
static const time_t NOW = 1780272000;

static struct tool_report *new_report(void)
{
	struct tool_report *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	strcpy(r->reader, "Reader 0");
	r->present = r->is_akis = r->bound = true;
	r->info.profile = AKIS_PROFILE_2;
	strcpy(r->info.version, "2.5.2");
	r->life_cycle = TOOL_LC_USABLE;
	r->pin = (struct tool_pin_state){true, false, false, 3};
	r->puk = (struct tool_pin_state){true, false, false, 3};
	return r;
}

static void add_nes(struct tool_report *r, long from, long to)
{
	struct tool_cert *c = &r->certs[r->n_certs++];
	memset(c, 0, sizeof(*c));
	c->parsed = true;
	strcpy(c->holder, "TEST KİŞİ");
	strcpy(c->subject_serial, "10000000146");
	strcpy(c->issuer, "CN=NES Hizmet,O=Kamu Sertifikasyon Merkezi,C=TR");
	strcpy(c->issuer_cn, "NES Hizmet");
	c->purposes = TOOL_PURPOSE_QUALIFIED;
	c->not_before = NOW + from;
	c->not_after = NOW + to;
}

static struct mon_cert_view view(struct tool_report *r, size_t i)
{
	struct mon_cert_view v;
	tool_report_warnings(r, NOW);
	mon_cert_view(r, i, NOW, &v);
	return v;
}

static void test_plain_states(void **state)
{
	(void)state;
	struct tool_report *r = new_report();
	char t[512];
	add_nes(r, -100 * DAY, 600 * DAY);
	struct mon_cert_view v = view(r, 0);
	assert_int_equal(v.state, MON_CERT_USABLE);
	mon_cert_state_text(r, &v, t, sizeof(t));
	assert_string_equal(t, "Usable until 2028-01-22 00:00 UTC.");

	r->certs[0].not_after = NOW + 12 * DAY + 3600;
	v = view(r, 0);
	assert_int_equal(v.state, MON_CERT_EXPIRES_SOON);
	assert_int_equal(v.days, 12);
	mon_cert_state_text(r, &v, t, sizeof(t));
	assert_string_equal(t, "Usable, but expires in 12 days (2026-06-13 01:00 UTC): renew it in "
	                       "time.");

	r->certs[0].not_after = NOW - DAY;
	v = view(r, 0);
	assert_int_equal(v.state, MON_CERT_EXPIRED);
	assert_string_equal(mon_cert_state_name(v.state), "expired");
	mon_cert_state_text(r, &v, t, sizeof(t));
	assert_string_equal(t, "Expired on 2026-05-31 00:00 UTC.");

	r->certs[0].not_before = NOW + 5 * DAY;
	r->certs[0].not_after = NOW + 900 * DAY;
	v = view(r, 0);
	assert_int_equal(v.state, MON_CERT_NOT_YET_VALID);
	assert_int_equal(v.old, -1);
	mon_cert_state_text(r, &v, t, sizeof(t));
	assert_string_equal(t, "Not valid yet: usable from 2026-06-06 00:00 UTC.");

	r->certs[0].parsed = false;
	v = view(r, 0);
	assert_int_equal(v.state, MON_CERT_UNREADABLE);
	free(r);
}

/* The issuer's rule: a new certificate is not used before the old one of
 * the same role expires. */
static void test_old_new_rule(void **state)
{
	(void)state;
	struct tool_report *r = new_report();
	char t[512];
	add_nes(r, -700 * DAY, 40 * DAY); /* old, valid 40 more days */
	add_nes(r, -2 * DAY, 1000 * DAY); /* new, already valid by its dates */
	struct mon_cert_view v = view(r, 1);
	assert_int_equal(v.state, MON_CERT_WAITS_FOR_OLD);
	assert_int_equal(v.old, 0);
	assert_int_equal(v.when, NOW + 40 * DAY);
	mon_cert_state_text(r, &v, t, sizeof(t));
	assert_string_equal(t,
	                    "New certificate, not to be used yet: the old certificate 1 stays in "
	                    "use until 2026-07-11 00:00 UTC; this one becomes usable then.");
	v = view(r, 0);
	assert_int_equal(v.state, MON_CERT_USABLE); /* the old one is the one to use */

	/* the new one not valid yet by its dates either: the later moment wins */
	r->certs[1].not_before = NOW + 10 * DAY;
	v = view(r, 1);
	assert_int_equal(v.state, MON_CERT_NOT_YET_VALID);
	assert_int_equal(v.old, 0);
	assert_int_equal(v.when, NOW + 40 * DAY);
	mon_cert_state_text(r, &v, t, sizeof(t));
	assert_non_null(strstr(t, "the old certificate 1 stays in use until 2026-07-11"));

	/* the old one expired: the new one is simply usable */
	r->certs[0].not_after = NOW - DAY;
	r->certs[1].not_before = NOW - DAY;
	v = view(r, 1);
	assert_int_equal(v.state, MON_CERT_USABLE);
	/* a different role (authentication) is no replacement */
	r->certs[0].not_after = NOW + 40 * DAY;
	r->certs[1].purposes = TOOL_PURPOSE_AUTH;
	v = view(r, 1);
	assert_int_equal(v.state, MON_CERT_USABLE);
	free(r);
}

static void result(enum mon_op op, akis_rv rv, int tries, const struct tool_report *r, char *t,
                   size_t cap, const char *code)
{
	struct mon_op_result res = {.op = op, .rv = rv, .tries = tries};
	mon_op_result_text(&res, r, t, cap);
	assert_string_equal(mon_op_result_code(&res), code);
}

static void test_results(void **state)
{
	(void)state;
	struct tool_report *r = new_report();
	char t[TOOL_WARN_TEXT_MAX];
	add_nes(r, -100 * DAY, 600 * DAY);
	result(MON_OP_CHANGE_PIN, AKIS_OK, -1, r, t, sizeof(t), "ok");
	assert_string_equal(t, "The PIN was changed.");
	result(MON_OP_UNBLOCK, AKIS_OK, -1, r, t, sizeof(t), "ok");
	assert_string_equal(t, "The PIN is unblocked and set to the new value.");
	result(MON_OP_CHANGE_PIN, AKIS_ERR_PIN_INCORRECT, 2, r, t, sizeof(t), "wrong");
	assert_string_equal(t, "Wrong PIN. 2 tries left.");
	result(MON_OP_CHANGE_PIN, AKIS_ERR_PIN_INCORRECT, 1, r, t, sizeof(t), "wrong");
	assert_string_equal(t, "Wrong PIN. 1 try left.");
	result(MON_OP_UNBLOCK, AKIS_ERR_PIN_INCORRECT, 1, r, t, sizeof(t), "wrong");
	assert_string_equal(t,
	                    "Wrong PUK. 1 try left: when none are left, the card is unusable for "
	                    "good.");
	/* the PIN ends blocked: the core's advice, Kamu SM on AKİS 2 */
	result(MON_OP_CHANGE_PIN, AKIS_ERR_PIN_INCORRECT, 0, r, t, sizeof(t), "blocked");
	assert_non_null(strstr(t, "The PIN is blocked. If you have your PUK, unblock the PIN here "
	                          "(the \"Unblock PIN\" button): 3 PUK tries left."));
	assert_non_null(strstr(t, "very likely one of them (based on: certificate issuer NES "
	                          "Hizmet, card AKİS 2.5.2"));
	result(MON_OP_CHANGE_PIN, AKIS_ERR_PIN_BLOCKED, -1, r, t, sizeof(t), "blocked");
	/* the PUK used up */
	result(MON_OP_UNBLOCK, AKIS_ERR_PIN_INCORRECT, 0, r, t, sizeof(t), "dead");
	assert_non_null(strstr(t, "must be replaced"));
	result(MON_OP_CHANGE_PIN, AKIS_ERR_DEAD, -1, r, t, sizeof(t), "dead");
	/* refused on the host */
	struct mon_op_result res = {.op = MON_OP_CHANGE_PIN,
	                            .rv = AKIS_ERR_PIN_LEN,
	                            .tries = -1,
	                            .min_len = 4,
	                            .max_len = 8};
	mon_op_result_text(&res, r, t, sizeof(t));
	assert_string_equal(t, "It must be 4 to 8 digits long; nothing was sent to the card.");
	res.entries_differ = true;
	mon_op_result_text(&res, r, t, sizeof(t));
	assert_string_equal(mon_op_result_code(&res), "format");
	assert_string_equal(t, "The two new entries differ; nothing was sent to the card.");
	result(MON_OP_CHANGE_PUK, AKIS_ERR_REMOVED, -1, r, t, sizeof(t), "error");
	assert_non_null(strstr(t, "The card could not do it: "));
	free(r);
}

static void test_purposes_and_dump(void **state)
{
	(void)state;
	char t[256];
	mon_purpose_text(TOOL_PURPOSE_AUTH | TOOL_PURPOSE_ENCRYPT, t, sizeof(t));
	assert_string_equal(t, "authentication, encryption");
	mon_purpose_text(0, t, sizeof(t));
	assert_string_equal(t, "");

	struct mon_card *cards = calloc(2, sizeof(*cards));
	assert_non_null(cards);
	struct tool_report *r = new_report();
	add_nes(r, -700 * DAY, 40 * DAY);
	add_nes(r, -2 * DAY, 1000 * DAY);
	r->pin = (struct tool_pin_state){true, true, false, 0};
	tool_report_warnings(r, NOW);
	cards[0].r = *r;
	strcpy(cards[1].r.reader, "Empty");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct mon_dump_extra x = {"unblock", "wrong", "Wrong PUK.", 1};
	mon_dump_json(f, cards, 2, NOW, &x);
	fclose(f);
	assert_non_null(strstr(out, "\"cert_states\":[{\"state\":\"usable\""));
	assert_non_null(strstr(out, "{\"state\":\"waits_for_old\""));
	assert_non_null(strstr(out, "\"pin_advice\":\"The PIN is blocked."));
	assert_non_null(strstr(out, "\"reader\":\"Empty\",\"card_present\":false,\"card\":null,"
	                            "\"monitor\":{\"cert_states\":[],\"pin_advice\":null}"));
	assert_non_null(strstr(out, "\"dialog\":\"unblock\",\"result\":{\"code\":\"wrong\","
	                            "\"text\":\"Wrong PUK.\"},\"notifications\":1}"));
	free(out);
	free(r);
	free(cards);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_plain_states),
	        cmocka_unit_test(test_old_new_rule),
	        cmocka_unit_test(test_results),
	        cmocka_unit_test(test_purposes_and_dump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
