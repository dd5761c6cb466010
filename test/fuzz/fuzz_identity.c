/*
 * fuzz_identity.c
 *	  libFuzzer target: identity normalisers and junk-value blocking
 *	  (identity_rules.c): trim, phone, email and none, blocked-value lists,
 *	  and the '*' rule copied to types met for the first time.
 *
 * Input: byte 0 picks the normaliser; the rest, split at byte 0x01, is the
 * identifier type, the value, then blocked values.  Blocked patterns use
 * the backend's regex engine: they are fuzzed in the server
 * (test/fuzz/sql_fuzz.py, target identity_pattern).
 */
#include "fuzz_pg.h"

#include "../../src/identity/identity_rules.c"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern bool fuzz_valid_utf8(const uint8_t *s, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const normalizers[] = {"trim", "phone", "email", "none"};
	char	   *text;
	char	   *parts[16];
	int			nparts = 0;

	if (size < 1 || size > 65536 || !fuzz_valid_utf8(data + 1, size - 1))
		return 0;
	fuzz_init();
	text = fuzz_cstring(data + 1, size - 1);
	parts[nparts++] = text;
	for (char *s = text; *s && nparts < 16; s++)
		if (*s == '\x01')
		{
			*s = '\0';
			parts[nparts++] = s + 1;
		}
	FUZZ_TRY(
		{
			IdentityRules *rules = palloc0(sizeof(IdentityRules));
			IdentityRule *star;
			IdentityRule *r;
			const char *type = parts[0];
			const char *value = nparts > 1 ? parts[1] : "";
			StringInfoData out;
			int			k;

			rules->cxt = CurrentMemoryContext;
			rules->cap = 1;
			rules->rules = palloc(sizeof(IdentityRule));
			/* the built-in '*' rule, and a rule for "t" with the chosen normaliser */
			k = identity_rules_append(rules);
			star = &rules->rules[k];
			star->id_type = pstrdup("*");
			star->id_type_len = 1;
			star->normalizer = IDENTITY_NORM_TRIM;
			star->limit_slot = -1;
			rules->deflt = k;
			k = identity_rules_append(rules);
			r = &rules->rules[k];
			r->id_type = pstrdup("t");
			r->id_type_len = 1;
			r->normalizer = identity_normalizer_parse(normalizers[data[0] % 4]);
			r->max_per_person = data[0] >> 4;
			r->limit_slot = r->max_per_person > 0 ? rules->nlimited++ : -1;
			r->blocked = palloc(sizeof(char *) * 16);
			for (int i = 2; i < nparts; i++)
			{
				char	   *v = pstrdup(parts[i]);

				identity_ascii_lower(v, strlen(v));
				r->blocked[r->nblocked++] = v;
			}
			rules->last = rules->deflt;
			initStringInfo(&out);
			/* the configured type, then the input's own type (new: copy of '*') */
			for (int pass = 0; pass < 2; pass++)
			{
				int			rule = pass == 0 ? identity_rules_type(rules, "t", 1) :
					identity_rules_type(rules, type, strlen(type));
				bool		kept = identity_normalize_value(rules, rule, value, strlen(value), &out);

				FUZZ_ASSERT(out.len >= 0 && out.len <= (int) strlen(value) && out.data[out.len] == '\0',
							"normalised value longer than the input");
				FUZZ_ASSERT(strlen(out.data) == (size_t) out.len, "normalised value has a NUL");
				if (kept && rules->rules[rule].normalizer != IDENTITY_NORM_PHONE)
				{
					/* normalising twice changes nothing */
					StringInfoData again;
					char	   *first = pstrdup(out.data);

					initStringInfo(&again);
					identity_normalize_into(rules, rule, first, strlen(first), &again);
					FUZZ_ASSERT(strcmp(again.data, first) == 0, "normaliser is not idempotent");
				}
			}
		});
	fuzz_reset();
	return 0;
}
