/* The card image on disk: DIR/card.conf, DIR/fs/..., DIR/keys/ (PEM). */
#ifndef AKIS_VCARD_IMAGE_H
#define AKIS_VCARD_IMAGE_H

#include "vcard.h"

extern const char *const vc_profile_names[3];
const uint8_t *vc_profile_atr(enum vc_profile p, size_t *len);
bool vc_profile_parse(const char *s, enum vc_profile *out) VC_WARN_UNUSED;
const char *vc_alg_name(enum vc_key_alg a);

/* Load everything (conf, file tree, keys). Returns false with a message on stderr. */
bool vc_image_load(struct vc_card *c, const char *dir) VC_WARN_UNUSED;
/* Write card.conf atomically (temp + rename). */
bool vc_image_save(const struct vc_card *c) VC_WARN_UNUSED;
void vc_image_free(struct vc_card *c);

struct vc_pin *vc_pin_find(struct vc_card *c, uint8_t ref);
struct vc_key *vc_key_find(struct vc_card *c, uint8_t ref);

/* hex helpers */
bool vc_hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len) VC_WARN_UNUSED;
void vc_hex_encode(const uint8_t *in, size_t len, char *out); /* out: 2*len+1 */

#endif
