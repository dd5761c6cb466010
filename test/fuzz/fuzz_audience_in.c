/*
 * fuzz_audience_in.c
 *	  libFuzzer target: audience_in(), the text input of the audience type
 *	  ('{1,2,5-9}' and '\x<hex of portable bytes>'), with the real expanded
 *	  object, batched id merge and validator behind it.
 *
 * Inputs that are not valid UTF-8 without NUL are skipped: the server
 * rejects them before a type input function sees them.
 */
#include "fuzz_pg.h"

#include "audience/audience.h"

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
			AudienceExpanded *ea;
			roaring_bitmap_t *b;

			InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
			fcinfo->args[0].value = CStringGetDatum(text);
			fcinfo->args[0].isnull = false;
			d = audience_in(fcinfo);
			ea = audience_datum_expanded(d);
			b = audience_expanded_bitmap(ea);
			FUZZ_ASSERT(b != NULL, "no bitmap");
			/* the stored form of what was read, and back */
			{
				AudienceFlat *flat = audience_flatten(b);
				roaring_bitmap_t *back = audience_flat_load(flat);

				FUZZ_ASSERT(roaring_bitmap_equals(b, back), "stored form differs");
				roaring_bitmap_free(back);
			}
		});
	fuzz_reset();
	return 0;
}
