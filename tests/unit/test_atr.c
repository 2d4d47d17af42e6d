/* SPDX-License-Identifier: BSD-3-Clause */
/* akis/atr.c: every ATR of docs/card.md §1, plus ATRs that are not AKİS. */
#include "akis_fixture.h"

struct atr_case {
	const char *name;
	const char *atr;
	bool fix_tck; /* recompute TCK (for edited ATRs) */
	bool akis;
	enum akis_profile profile;
	const char *version;
	const char *chip;
};

static const struct atr_case cases[] = {
        {"akis-1.0", ATR_10, false, true, AKIS_PROFILE_1_0, "1.0", ""},
        {"akis-1.2.2", ATR_12, false, true, AKIS_PROFILE_1_2, "1.2.2", "Infineon"},
        {"1.x 12 12", "3B9F968131FE45806755454B41451212318073B3A180EA", false, true,
         AKIS_PROFILE_1_2, "1.2", "Infineon"},
        {"1.x 12 52", "3B9F968131FE45806755454B41451252318073B3A180AA", false, true,
         AKIS_PROFILE_1_2, "1.2", "Infineon"},
        {"1.x 12 53", "3B9F968131FE45806755454B41451253318073B3A180AB", false, true,
         AKIS_PROFILE_1_2, "1.2", ""},
        {"1.x 12 93", "3B9F968131FE45806755454B41451293318073B3A1806B", false, true,
         AKIS_PROFILE_1_2, "1.2", ""},
        {"1.x TA1 15", "3B9F158131FE45806755454B41451221318073B3A1805A", false, true,
         AKIS_PROFILE_1_2, "1.2", ""},
        {"akis-2.5.2", ATR_2, false, true, AKIS_PROFILE_2, "2.5.2", "NXP"},
        {"akis-2.2.8", "3B9F978131FE4580655443D2210831C073F62180810 55B", false, true,
         AKIS_PROFILE_2, "2.2.8", ""},
        {"2.x other version", "3B9F978131FE458065544399990831C073F6218081 0500", true, true,
         AKIS_PROFILE_2, "2", ""},
        /* not AKİS */
        {"1.2 bad TCK", "3B9F968131FE45806755454B41451292318073B3A1806B", false, false, 0, "", ""},
        {"1.2 cut", "3B9F968131FE45806755454B41451292318073B3A180", false, false, 0, "", ""},
        {"1.2 trailing byte", "3B9F968131FE45806755454B41451292318073B3A1806A00", false, false, 0,
         "", ""},
        {"2.x without 81 05", "3B9F978131FE45806554435322823 1C073F621808106 00", true, false, 0,
         "", ""},
        {"Yubikey", "3BF81300008131FE15597562696B657934D4", false, false, 0, "", ""},
        {"T=0 card", "3B6E00008031806 6B0840C016E01830090 00", false, false, 0, "", ""},
        {"UEKAE v2 word", "3B9F968131FE45806755454B41452292318073B3A18000", true, false, 0, "", ""},
        {"TS wrong", "3C9F968131FE45806755454B41451292318073B3A1806A", false, false, 0, "", ""},
        {"empty", "", false, false, 0, "", ""},
};

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		if (*s == ' ')
			continue;
		int v = (*s >= 'A') ? (*s & 0x0F) + 9 : *s - '0';
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return n;
}

static void test_atr_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct atr_case *c = &cases[i];
		uint8_t atr[40];
		size_t n = unhex(c->atr, atr, sizeof atr);
		if (c->fix_tck) {
			uint8_t x = 0;
			for (size_t j = 1; j + 1 < n; j++)
				x ^= atr[j];
			atr[n - 1] = x;
		}
		struct akis_atr_info info;
		memset(&info, 0x5A, sizeof info);
		bool got = akis_atr_match(atr, n, &info);
		if (got != c->akis)
			fail_msg("%s: match %d", c->name, got);
		if (!got)
			continue;
		if (info.profile != c->profile || strcmp(info.version, c->version) != 0 ||
		    strcmp(info.chip, c->chip) != 0)
			fail_msg("%s: profile %d version '%s' chip '%s'", c->name,
			         (int)info.profile, info.version, info.chip);
	}
	assert_false(akis_atr_match(NULL, 0, NULL));
}

/* Every prefix of a real ATR is refused, never read past. */
static void test_atr_prefixes(void **state)
{
	(void)state;
	uint8_t atr[40];
	size_t n = unhex(ATR_2, atr, sizeof atr);
	for (size_t len = 0; len < n; len++) {
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, atr, len);
		assert_false(akis_atr_match(p, len, NULL));
		free(p);
	}
	assert_true(akis_atr_match(atr, n, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_atr_table),
	        cmocka_unit_test(test_atr_prefixes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
