/*
 * fuzz_audience_in.c
 *	  libFuzzer target: audience_in(), the text input of the audience type
 *	  ('{1,2,5-9}' and '\x<hex of portable bytes>'), with the real builder,
 *	  batched id merge, validator and flat result behind it.
 *
 * Inputs that are not valid UTF-8 without NUL are skipped: the server
 * rejects them before a type input function sees them.
 */
#include "fuzz_pg.h"

#include "audience/audience_internal.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern bool fuzz_valid_utf8(const uint8_t *s, size_t len);
extern Datum audience_in(PG_FUNCTION_ARGS);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text;

	if (size > 65536 || !fuzz_valid_utf8(data, size))
		return 0;
	fuzz_init();
	text = fuzz_cstring(data, size);
	FUZZ_TRY(
		{
			LOCAL_FCINFO(fcinfo, 1);
			Datum		d;
			AudienceFlat *flat;
			roaring_bitmap_t *b;

			InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
			fcinfo->args[0].value = CStringGetDatum(text);
			fcinfo->args[0].isnull = false;
			d = audience_in(fcinfo);
			/* a flat value (PL/Proxy pfrees what input functions return) */
			FUZZ_ASSERT(!audience_datum_is_expanded(d), "input returned an expanded value");
			flat = (AudienceFlat *) DatumGetPointer(d);
			b = audience_flat_load(flat);
			FUZZ_ASSERT(b != NULL, "no bitmap");
			/* stored again, the same bytes */
			{
				struct varlena *again = audience_flatten(b);

				FUZZ_ASSERT(VARSIZE(again) == VARSIZE(flat) &&
							memcmp(again, flat, VARSIZE(flat)) == 0, "stored form differs");
			}
			roaring_bitmap_free(b);
		});
	fuzz_reset();
	return 0;
}
