/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis_rv as akis-tool shows it: one table (an exhaustive switch, so that
 * -Wswitch-enum catches a new akis_rv) giving the stable JSON code, the
 * translated sentence and the exit status (tool.h, akis-tool.1).
 */
#include "errors.h"

#include <libintl.h>

#include "tool.h"

struct rv_row {
	const char *code; /* JSON, stable */
	const char *text; /* translated on use */
	int exit_code;
};

static struct rv_row rv_row(akis_rv rv)
{
	switch (rv) {
	case AKIS_OK:
		return (struct rv_row){"ok", N_("no error"), TOOL_EXIT_OK};
	case AKIS_ERR_ARGS:
		return (struct rv_row){"internal", N_("internal error (bad arguments)"),
		                       TOOL_EXIT_ERROR};
	case AKIS_ERR_NO_MEMORY:
		return (struct rv_row){"no_memory", N_("out of memory"), TOOL_EXIT_ERROR};
	case AKIS_ERR_BUFFER:
		return (struct rv_row){"internal", N_("internal error (buffer too small)"),
		                       TOOL_EXIT_ERROR};
	case AKIS_ERR_NO_SERVICE:
		return (struct rv_row){"no_service", N_("the PC/SC service (pcscd) is not running"),
		                       TOOL_EXIT_NO_CARD};
	case AKIS_ERR_REMOVED:
		return (struct rv_row){"removed", N_("the card or the reader was removed"),
		                       TOOL_EXIT_NO_CARD};
	case AKIS_ERR_RESET:
		return (struct rv_row){"reset", N_("the card was reset by another program"),
		                       TOOL_EXIT_ERROR};
	case AKIS_ERR_SHARING:
		return (struct rv_row){"sharing",
		                       N_("the card is used exclusively by another program"),
		                       TOOL_EXIT_ERROR};
	case AKIS_ERR_COMM:
		return (struct rv_row){"communication", N_("communication with the card failed"),
		                       TOOL_EXIT_ERROR};
	case AKIS_ERR_TIMEOUT:
		return (struct rv_row){"timeout", N_("the card did not answer in time"),
		                       TOOL_EXIT_ERROR};
	case AKIS_ERR_CANCELLED:
		return (struct rv_row){"cancelled", N_("cancelled"), TOOL_EXIT_CANCELLED};
	case AKIS_ERR_NOT_AKIS:
		return (struct rv_row){"not_akis", N_("not an AKİS card"), TOOL_EXIT_NO_CARD};
	case AKIS_ERR_CARD_DATA:
		return (struct rv_row){"card_data", N_("the card returned unexpected data"),
		                       TOOL_EXIT_ERROR};
	case AKIS_ERR_PIN_INCORRECT:
		return (struct rv_row){"pin_incorrect", N_("wrong PIN"), TOOL_EXIT_WRONG_PIN};
	case AKIS_ERR_PIN_BLOCKED:
		return (struct rv_row){"pin_blocked", N_("the PIN is blocked"), TOOL_EXIT_BLOCKED};
	case AKIS_ERR_PIN_LEN:
		return (struct rv_row){"pin_length", N_("the PIN has the wrong length"),
		                       TOOL_EXIT_USAGE};
	case AKIS_ERR_PIN_INVALID:
		return (struct rv_row){"pin_invalid",
		                       N_("the PIN contains characters the card does not accept"),
		                       TOOL_EXIT_USAGE};
	case AKIS_ERR_NOT_LOGGED_IN:
		return (struct rv_row){"not_logged_in", N_("the card refused: PIN not verified"),
		                       TOOL_EXIT_ERROR};
	case AKIS_ERR_CONDITIONS:
		return (struct rv_row){"conditions",
		                       N_("the card refused: conditions of use not satisfied"),
		                       TOOL_EXIT_ERROR};
	case AKIS_ERR_NOT_FOUND:
		return (struct rv_row){"not_found", N_("not found on the card"), TOOL_EXIT_ERROR};
	case AKIS_ERR_BAD_DATA:
		return (struct rv_row){"bad_data", N_("the card rejected the data"),
		                       TOOL_EXIT_ERROR};
	case AKIS_ERR_NOT_SUPPORTED:
		return (struct rv_row){"not_supported", N_("not supported by this card"),
		                       TOOL_EXIT_ERROR};
	case AKIS_ERR_DEAD:
		return (struct rv_row){"card_dead",
		                       N_("the card is dead (PUK used up) and must be replaced"),
		                       TOOL_EXIT_DEAD};
	}
	return (struct rv_row){"unknown", N_("unknown error"), TOOL_EXIT_ERROR};
}

const char *tool_rv_code(akis_rv rv)
{
	return rv_row(rv).code;
}

const char *tool_rv_text(akis_rv rv)
{
	return _(rv_row(rv).text);
}

int tool_exit_from_rv(akis_rv rv)
{
	return rv_row(rv).exit_code;
}
