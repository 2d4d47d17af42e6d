/* SPDX-License-Identifier: BSD-3-Clause */
#include "app.h"

#include <stdio.h>
#include <time.h>

#include "model.h"

void mon_app_dump(struct mon_app *a)
{
	if (a->dump_path == NULL || a->snap == NULL)
		return;
	gchar *tmp = g_strdup_printf("%s.tmp", a->dump_path);
	FILE *f = fopen(tmp, "w");
	if (f != NULL) {
		struct mon_dump_extra x = {a->dialog_kind, a->result_code, a->result_text,
		                           a->notifications};
		mon_dump_json(f, a->snap->cards, a->snap->n, time(NULL), &x);
		if (fclose(f) == 0)
			rename(tmp, a->dump_path);
	}
	g_free(tmp);
}
