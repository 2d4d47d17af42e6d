/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * change-pin, change-puk, unblock (R41).
 *
 * Order, every time: read the card's rules and counters (one transaction),
 * ask for the secrets with no transaction held, check them on the host
 * (akis_pin_check: a malformed PIN never costs a try, docs/card.md §3),
 * then one transaction for the change, ended by LOGOUT so that a verified
 * PIN does not outlive the tool (docs/design.md "Logout hygiene"). The
 * checks and the card side are pinflow.c's, shared with akis-monitor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "card.h"
#include "pinflow.h"
#include "prompt.h"
#include "tool.h"

struct secret {
	char v[TOOL_PIN_MAX];
	size_t len;
};

/* The words that differ between the PIN and the PUK (whole sentences,
 * so that translations can inflect). */
struct words {
	const char *ask_current;
	const char *ask_new;
	const char *ask_again;
	const char *bad_format;
	const char *changed;
	const char *wrong;
	const char *wrong_no_count;
	const char *tries_left;
};

static const struct words pin_words = {
        N_("Current PIN: "),        N_("New PIN: "),
        N_("New PIN again: "),      N_("The PIN must be %u to %u digits long."),
        N_("The PIN was changed."), N_("Wrong PIN. Tries left: %d."),
        N_("Wrong PIN."),           N_("PIN tries left: %d"),
};

static const struct words puk_words = {
        N_("Current PUK: "),        N_("New PUK: "),
        N_("New PUK again: "),      N_("The PUK must be %u to %u digits long."),
        N_("The PUK was changed."), N_("Wrong PUK. Tries left: %d."),
        N_("Wrong PUK."),           N_("PUK tries left: %d"),
};

static const struct words *words_for(enum akis_pin_which which)
{
	return which == AKIS_PIN_SO ? &puk_words : &pin_words;
}

static int no_tty(void)
{
	tool_err("%s", _("no terminal to ask on: use --pin-stdin, or the --pin/--new-pin/--puk/"
	                 "--new-puk/--yes options meant for scripts"));
	return TOOL_EXIT_USAGE;
}

static int prompt_error(enum prompt_rv rv)
{
	switch (rv) {
	case PROMPT_OK:
		return TOOL_EXIT_OK;
	case PROMPT_NO_TTY:
		return no_tty();
	case PROMPT_EOF:
		tool_err("%s", _("input ended before the PIN was given"));
		return TOOL_EXIT_USAGE;
	case PROMPT_TOO_LONG:
		tool_err("%s", _("the PIN is too long"));
		return TOOL_EXIT_USAGE;
	case PROMPT_IO:
		break;
	}
	tool_err("%s", _("cannot read from the terminal"));
	return TOOL_EXIT_ERROR;
}

/* From the option (scripts), stdin (--pin-stdin) or the terminal; twice on
 * the terminal when `again` is given. */
static int get_secret(const struct tool_opts *o, const char *optval, const char *ask,
                      const char *again, struct secret *s)
{
	struct secret s2;
	int ex = TOOL_EXIT_OK;
	memset(&s2, 0, sizeof(s2));
	if (optval != NULL) {
		s->len = strlen(optval); /* bounded by main.c */
		memcpy(s->v, optval, s->len + 1);
		goto out;
	}
	if (o->pin_stdin) {
		ex = prompt_error(prompt_read_line(0, s->v, sizeof(s->v), &s->len));
		goto out;
	}
	ex = prompt_error(prompt_secret(_(ask), s->v, sizeof(s->v), &s->len));
	if (ex != TOOL_EXIT_OK || again == NULL)
		goto out;
	ex = prompt_error(prompt_secret(_(again), s2.v, sizeof(s2.v), &s2.len));
	if (ex == TOOL_EXIT_OK && (s2.len != s->len || CRYPTO_memcmp(s2.v, s->v, s->len) != 0)) {
		tool_err("%s", _("the two entries differ; nothing was changed"));
		ex = TOOL_EXIT_USAGE;
	}
out:
	OPENSSL_cleanse(&s2, sizeof(s2));
	return ex;
}

/* Host-side checks of both secrets (never an APDU, pinflow.h). */
static int check_secrets(const struct akis_card *card, enum tool_pin_op op,
                         const struct secret *cur, const struct secret *nw)
{
	enum akis_pin_which which = AKIS_PIN_USER;
	akis_rv rv = tool_pinflow_check(card, op, cur->v, cur->len, nw->v, nw->len, &which);
	if (rv == AKIS_OK)
		return TOOL_EXIT_OK;
	const struct akis_pin_info *pi = &card->pins[which];
	if ((rv == AKIS_ERR_PIN_LEN || rv == AKIS_ERR_PIN_INVALID) && pi->max_len > 0)
		tool_err(_(words_for(which)->bad_format), pi->min_len, pi->max_len);
	else
		tool_err("%s", tool_rv_text(rv));
	return tool_exit_from_rv(rv);
}

static int dead_card(void)
{
	tool_err("%s", _("The card is dead (life cycle AA): the PUK is used up. "
	                 "The card cannot be used any more and must be replaced."));
	return TOOL_EXIT_DEAD;
}

/* What the holder can do now (R50): the same advice as status. */
static int pin_blocked(const struct tool_report *r)
{
	struct tool_pin_advice a;
	char msg[TOOL_WARN_TEXT_MAX];
	tool_pin_advice(r, &a);
	tool_pin_advice_text(&a, "akis-tool unblock", msg, sizeof(msg));
	tool_err("%s", msg);
	return TOOL_EXIT_BLOCKED;
}

/* The card's answer to a wrong secret; tries is the card's count. */
static int wrong_secret(const struct tool_report *r, enum akis_pin_which which, int tries)
{
	const struct words *w = words_for(which);
	if (tries == 0)
		return which == AKIS_PIN_SO ? dead_card() : pin_blocked(r);
	if (tries < 0)
		tool_err("%s", _(w->wrong_no_count));
	else
		tool_err(_(w->wrong), tries);
	return TOOL_EXIT_WRONG_PIN;
}

static int card_result(const struct tool_report *r, akis_rv rv, enum akis_pin_which which,
                       int tries)
{
	if (rv == AKIS_OK)
		return TOOL_EXIT_OK;
	if (rv == AKIS_ERR_PIN_INCORRECT)
		return wrong_secret(r, which, tries);
	if (rv == AKIS_ERR_PIN_BLOCKED)
		return which == AKIS_PIN_SO ? dead_card() : pin_blocked(r);
	if (rv == AKIS_ERR_DEAD)
		return dead_card();
	if (rv == AKIS_ERR_PIN_LEN || rv == AKIS_ERR_PIN_INVALID) {
		tool_err("%s", _("the card did not accept the new value; nothing was changed"));
		return TOOL_EXIT_USAGE;
	}
	tool_err("%s", tool_rv_text(rv));
	return tool_exit_from_rv(rv);
}

/* Refuse early what the card would refuse: dead card, blocked secret. */
static int precheck(const struct tool_report *r, enum akis_pin_which which)
{
	const struct tool_pin_state *s = which == AKIS_PIN_SO ? &r->puk : &r->pin;
	if (r->life_cycle == TOOL_LC_DEAD ||
	    (r->puk.known && r->puk.blocked && which == AKIS_PIN_SO))
		return dead_card();
	if (s->known && s->blocked)
		return pin_blocked(r);
	if (s->known && s->tries_left >= 0) {
		printf(_(words_for(which)->tries_left), s->tries_left);
		putchar('\n');
	}
	fflush(stdout);
	return TOOL_EXIT_OK;
}

/* The action on the card (pinflow.h), its result in the holder's words. */
static int run_tx(struct akis_card *card, const struct tool_report *r, enum tool_pin_op op,
                  const struct secret *cur, const struct secret *nw)
{
	struct tool_pinflow_result res;
	akis_rv rv = tool_pinflow_run(card, op, cur->v, cur->len, nw->v, nw->len, &res, NULL, 0);
	return card_result(r, rv, res.which, res.tries);
}

struct session {
	struct akis_readers *pc;
	struct akis_card *card;
	struct tool_report *r;
};

static int session_open(const struct tool_opts *o, struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->r = calloc(1, sizeof(*s->r));
	if (s->r == NULL) {
		tool_err("%s", tool_rv_text(AKIS_ERR_NO_MEMORY));
		return TOOL_EXIT_ERROR;
	}
	int ex = tool_pcsc_open(&s->pc);
	if (ex == TOOL_EXIT_OK)
		ex = tool_card_open(s->pc, o->reader, &s->card, s->r);
	return ex;
}

static void session_close(struct session *s)
{
	akis_card_free(s->card);
	if (s->pc != NULL)
		akis_readers_close(s->pc);
	free(s->r);
	memset(s, 0, sizeof(*s));
}

static int change_secret(const struct tool_opts *o, enum akis_pin_which which)
{
	struct session ss;
	struct secret cur, nw;
	const struct words *w = words_for(which);
	const char *opt_cur = which == AKIS_PIN_SO ? o->puk : o->pin;
	const char *opt_new = which == AKIS_PIN_SO ? o->new_puk : o->new_pin;
	memset(&cur, 0, sizeof(cur));
	memset(&nw, 0, sizeof(nw));
	int ex = session_open(o, &ss);
	if (ex == TOOL_EXIT_OK)
		ex = precheck(ss.r, which);
	if (ex == TOOL_EXIT_OK)
		ex = get_secret(o, opt_cur, w->ask_current, NULL, &cur);
	if (ex == TOOL_EXIT_OK)
		ex = get_secret(o, opt_new, w->ask_new, w->ask_again, &nw);
	enum tool_pin_op op = which == AKIS_PIN_SO ? TOOL_OP_CHANGE_PUK : TOOL_OP_CHANGE_PIN;
	if (ex == TOOL_EXIT_OK)
		ex = check_secrets(ss.card, op, &cur, &nw);
	if (ex == TOOL_EXIT_OK)
		ex = run_tx(ss.card, ss.r, op, &cur, &nw);
	if (ex == TOOL_EXIT_OK)
		printf("%s\n", _(w->changed));
	OPENSSL_cleanse(&cur, sizeof(cur));
	OPENSSL_cleanse(&nw, sizeof(nw));
	session_close(&ss);
	return ex;
}

int cmd_change_pin(const struct tool_opts *o)
{
	return change_secret(o, AKIS_PIN_USER);
}

int cmd_change_puk(const struct tool_opts *o)
{
	return change_secret(o, AKIS_PIN_SO);
}

/* ----- unblock ----- */

/* Show the PUK count, warn, ask. */
static int unblock_confirm(const struct tool_opts *o, const struct tool_report *r)
{
	if (r->life_cycle == TOOL_LC_DEAD || (r->puk.known && r->puk.blocked))
		return dead_card();
	if (r->puk.known && r->puk.tries_left >= 0) {
		printf(_(puk_words.tries_left), r->puk.tries_left);
		putchar('\n');
	}
	if (r->pin.known && !r->pin.blocked)
		printf("%s\n",
		       _("Note: the PIN is not blocked; unblocking sets a new PIN anyway."));
	printf("%s\n", _("Warning: every wrong PUK uses up a try. When no PUK tries are left, "
	                 "the card is unusable for ever and must be replaced."));
	fflush(stdout);
	if (o->yes)
		return TOOL_EXIT_OK;
	bool yes = false;
	enum prompt_rv prv = prompt_confirm(_("Unblock the PIN with the PUK now?"), &yes);
	if (prv != PROMPT_OK)
		return prompt_error(prv);
	if (!yes) {
		printf("%s\n", _("Cancelled; nothing was sent to the card."));
		return TOOL_EXIT_CANCELLED;
	}
	return TOOL_EXIT_OK;
}

int cmd_unblock(const struct tool_opts *o)
{
	struct session ss;
	struct secret puk, nw;
	memset(&puk, 0, sizeof(puk));
	memset(&nw, 0, sizeof(nw));
	int ex = session_open(o, &ss);
	if (ex == TOOL_EXIT_OK)
		ex = unblock_confirm(o, ss.r);
	if (ex == TOOL_EXIT_OK)
		ex = get_secret(o, o->puk, N_("PUK: "), NULL, &puk);
	if (ex == TOOL_EXIT_OK)
		ex = get_secret(o, o->new_pin, pin_words.ask_new, pin_words.ask_again, &nw);
	if (ex == TOOL_EXIT_OK)
		ex = check_secrets(ss.card, TOOL_OP_UNBLOCK, &puk, &nw);
	if (ex == TOOL_EXIT_OK)
		ex = run_tx(ss.card, ss.r, TOOL_OP_UNBLOCK, &puk, &nw);
	if (ex == TOOL_EXIT_OK)
		printf("%s\n", _("The PIN is unblocked and set to the new value."));
	OPENSSL_cleanse(&puk, sizeof(puk));
	OPENSSL_cleanse(&nw, sizeof(nw));
	session_close(&ss);
	return ex;
}
