/* Key selection (MSE) and on-card crypto (PSO) with OpenSSL, docs/card.md §3. */
#ifndef AKIS_VCARD_CRYPTOOP_H
#define AKIS_VCARD_CRYPTOOP_H

#include "vcard.h"

void vc_cmd_mse(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);
void vc_cmd_pso(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);

#endif
