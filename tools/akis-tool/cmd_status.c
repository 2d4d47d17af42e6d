/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * status and readers (R40). Read-only: the PIN and PUK counters come from
 * the VERIFY status query (akis_pin_status_tx), which never spends a try.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../pkcs11/config.h"
#include "card.h"
#include "tool.h"

/* 2: certificates numbered from 1, as in the text (issue 10) */
#define JSON_SCHEMA_VERSION 2

/*
 * R46: the module's per-signature PIN policy as its configuration sets it,
 * in general and per program (the environment variable, when set here,
 * wins for the programs started from this environment).
 */
static void policy_text(void)
{
	struct p11_config conf;
	const char *env = getenv("AKIS_PIN_PER_SIGNATURE");

	p11_config_load(&conf);
	printf(_("Qualified signature PIN (module): %s"),
	       conf.pps_general_login ? _("kept from the login (pin_per_signature = login)")
	                              : _("asked for each signature (pin_per_signature = card)"));
	if (conf.pps_programs[0] != '\0')
		printf(_("; per program: %s"), conf.pps_programs);
	if (env != NULL && env[0] != '\0')
		printf(_("; AKIS_PIN_PER_SIGNATURE=%s in this environment"), env);
	putchar('\n');
}

static void policy_json(struct json *j)
{
	struct p11_config conf;

	p11_config_load(&conf);
	json_kstr(j, "pin_per_signature", conf.pps_general_login ? "login" : "card");
	json_kstr(j, "pin_per_signature_programs", conf.pps_programs);
}

/* The document head shared by status and readers. */
static void json_head(struct json *j, const char *error)
{
	json_obj_begin(j);
	json_kint(j, "schema", JSON_SCHEMA_VERSION);
	json_kstr(j, "tool_version", AKIS_TOOL_VERSION);
	policy_json(j);
	json_key(j, "error");
	json_str(j, error);
	json_key(j, "readers");
	json_arr_begin(j);
}

static void json_tail(struct json *j)
{
	json_arr_end(j);
	json_obj_end(j);
}

/* pcscd or reader listing failed: still a valid document under --json. */
static int list_failed(const struct tool_opts *o, int ex, const char *code)
{
	if (o->json) {
		struct json j;
		json_init(&j, stdout, true);
		json_head(&j, code);
		json_tail(&j);
	}
	return ex;
}

static int open_and_list(const struct tool_opts *o, struct akis_readers **pc,
                         struct akis_reader *rd, size_t *n)
{
	int ex = tool_pcsc_open(pc);
	if (ex != TOOL_EXIT_OK)
		return list_failed(o, ex, "no_service");
	ex = tool_readers(*pc, rd, AKIS_READERS_MAX, n);
	if (ex != TOOL_EXIT_OK)
		return list_failed(o, ex, "readers");
	if (*n == 0) {
		tool_err("%s", _("no smart card reader found"));
		return list_failed(o, TOOL_EXIT_NO_CARD, "no_reader");
	}
	return TOOL_EXIT_OK;
}

/* Exit code of status: 0 when an AKİS card was read; else the first
 * card error; else 2 (no AKİS card). */
struct status_tally {
	bool any_read;
	int first_err;
};

static void tally(struct status_tally *t, const struct tool_report *r)
{
	if (!r->present || !r->is_akis)
		return;
	if (!r->has_error || r->error == AKIS_ERR_DEAD)
		t->any_read = true;
	else if (t->first_err == TOOL_EXIT_OK)
		t->first_err = tool_exit_from_rv(r->error);
}

static int status_readers(const struct tool_opts *o, const struct akis_reader *rd, size_t n,
                          struct json *j)
{
	struct status_tally t = {false, TOOL_EXIT_OK};
	size_t shown = 0;
	struct tool_report *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return TOOL_EXIT_ERROR;
	for (size_t i = 0; i < n; i++) {
		if (!tool_reader_matches(rd[i].name, o->reader))
			continue;
		time_t now = time(NULL);
		tool_report_read(&rd[i], r, now);
		if (o->json) {
			tool_report_json(j, r, now);
		} else {
			if (shown > 0)
				putchar('\n');
			tool_report_print(stdout, r, now);
		}
		fflush(stdout);
		shown++;
		tally(&t, r);
	}
	free(r);
	if (shown == 0 && o->reader != NULL)
		tool_err(_("no reader matches \"%s\""), o->reader);
	if (t.any_read)
		return TOOL_EXIT_OK;
	return t.first_err != TOOL_EXIT_OK ? t.first_err : TOOL_EXIT_NO_CARD;
}

int cmd_status(const struct tool_opts *o)
{
	struct akis_readers *pc = NULL;
	struct akis_reader rd[AKIS_READERS_MAX];
	size_t n = 0;
	struct json j;
	int ex = open_and_list(o, &pc, rd, &n);
	if (ex != TOOL_EXIT_OK)
		goto out;
	json_init(&j, stdout, true);
	if (o->json)
		json_head(&j, NULL);
	ex = status_readers(o, rd, n, &j);
	if (o->json)
		json_tail(&j);
	else
		policy_text();
out:
	if (pc != NULL)
		akis_readers_close(pc);
	return ex;
}

/* ----- readers: no card connection, ATR only ----- */

static void reader_json(struct json *j, const struct akis_reader *rd)
{
	struct akis_atr_info info;
	bool present = (rd->state & AKIS_READER_PRESENT) != 0;
	json_obj_begin(j);
	json_kstr(j, "reader", rd->name);
	json_kbool(j, "card_present", present);
	if (present) {
		bool akis = akis_atr_match(rd->atr, rd->atr_len, &info);
		json_key(j, "atr");
		json_hex(j, rd->atr, rd->atr_len);
		json_kbool(j, "akis", akis);
		if (akis) {
			json_kstr(j, "profile", tool_profile_name(info.profile));
			json_kstr(j, "version", info.version);
		}
		json_kbool(j, "exclusive", (rd->state & AKIS_READER_EXCLUSIVE) != 0);
		json_kbool(j, "mute", (rd->state & AKIS_READER_MUTE) != 0);
	}
	json_obj_end(j);
}

static void reader_text(const struct akis_reader *rd)
{
	struct akis_atr_info info;
	tool_fput_safe(stdout, rd->name);
	fputs(": ", stdout);
	if (!(rd->state & AKIS_READER_PRESENT))
		printf("%s\n", _("no card"));
	else if (rd->state & AKIS_READER_MUTE)
		printf("%s\n", _("card does not answer"));
	else if (akis_atr_match(rd->atr, rd->atr_len, &info))
		printf("AKİS %s (%s)\n", info.version, tool_profile_name(info.profile));
	else
		printf("%s\n", _("not an AKİS card"));
}

int cmd_readers(const struct tool_opts *o)
{
	struct akis_readers *pc = NULL;
	struct akis_reader rd[AKIS_READERS_MAX];
	size_t n = 0;
	struct json j;
	int ex = open_and_list(o, &pc, rd, &n);
	if (ex != TOOL_EXIT_OK)
		goto out;
	json_init(&j, stdout, true);
	if (o->json)
		json_head(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		if (!tool_reader_matches(rd[i].name, o->reader))
			continue;
		if (o->json)
			reader_json(&j, &rd[i]);
		else
			reader_text(&rd[i]);
	}
	if (o->json)
		json_tail(&j);
out:
	if (pc != NULL)
		akis_readers_close(pc);
	return ex;
}
