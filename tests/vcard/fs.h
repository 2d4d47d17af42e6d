/* File system commands: SELECT, READ BINARY, LIST FILES (docs/card.md §2, §3). */
#ifndef AKIS_VCARD_FS_H
#define AKIS_VCARD_FS_H

#include "vcard.h"

#define VC_FID_MF     0x3F00
#define VC_FID_PKCS15 0x3D00

void vc_cmd_select(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);
void vc_cmd_read_binary(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);
void vc_cmd_list_files(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r);
/* true when the current DF is DF 3D00 (where PIN 81/82 and the keys live) */
bool vc_in_pkcs15(const struct vc_card *c);

#endif
