/* Security status: PINs, PUKs, LOGOUT, life cycle, GET DATA (docs/card.md §3). */
#ifndef AKIS_VCARD_SEC_H
#define AKIS_VCARD_SEC_H

#include "vcard.h"

void vc_cmd_verify(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);
void vc_cmd_change(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);
void vc_cmd_reset_retry(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);
void vc_cmd_logout(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);
void vc_cmd_get_data(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);
void vc_cmd_get_challenge(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);
void vc_cmd_set_life_cycle(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);

/* Clear the security status held in DF files[df] (PINs and per-key consent). */
void vc_sec_clear_df(struct vc_card *c, int df);
/* Power-on / warm reset: everything volatile goes. */
void vc_sec_reset(struct vc_card *c);
/* Is PIN `ref` currently verified? */
bool vc_sec_verified(struct vc_card *c, uint8_t ref);

#endif
