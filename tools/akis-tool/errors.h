/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis_rv for akis-tool's users: JSON code, message, exit status.
 */
#ifndef AKIS_TOOL_ERRORS_H
#define AKIS_TOOL_ERRORS_H

#include "../../akis/akis.h"

/* Stable JSON code ("removed"); "unknown" for a value not in the table. */
const char *tool_rv_code(akis_rv rv);
/* Translated sentence for the user. */
const char *tool_rv_text(akis_rv rv);
/* Exit status (enum tool_exit). */
int tool_exit_from_rv(akis_rv rv);

#endif
