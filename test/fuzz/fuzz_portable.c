/*
 * fuzz_portable.c
 *	  libFuzzer target: audience_portable_check(), the validator of CRoaring
 *	  portable bytes from clients (bytea cast, binary input, '\x' text).
 *
 * Oracle: bytes the validator accepts must load in CRoaring; what CRoaring
 * writes back (not always the same bytes: a run-format header without runs
 * is written in the no-run format) must pass the validator and load as the
 * same set; a rejection must say why.
 */
#include "fuzz_pg.h"

#include "audience/audience_internal.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *detail = NULL;
	bool		ok;

	fuzz_init();
	ok = audience_portable_check((const char *) data, size, &detail);
	if (ok)
	{
		roaring_bitmap_t *b = roaring_bitmap_portable_deserialize_safe((const char *) data, size);
		roaring_bitmap_t *back;
		size_t		n;
		char	   *out;
		const char *detail2 = NULL;

		FUZZ_ASSERT(b != NULL, "validated bytes do not load in CRoaring");
		n = roaring_bitmap_portable_size_in_bytes(b);
		out = malloc(n);
		FUZZ_ASSERT(roaring_bitmap_portable_serialize(b, out) == n, "serialised size differs");
		FUZZ_ASSERT(audience_portable_check(out, n, &detail2), "CRoaring's own output rejected: %s", detail2);
		back = roaring_bitmap_portable_deserialize_safe(out, n);
		FUZZ_ASSERT(back != NULL && roaring_bitmap_equals(b, back), "round trip changed the set");
		roaring_bitmap_free(back);
		/* operations every audience function relies on */
		if (roaring_bitmap_get_cardinality(b) > 0)
			FUZZ_ASSERT(roaring_bitmap_minimum(b) <= roaring_bitmap_maximum(b), "min > max");
		roaring_bitmap_run_optimize(b);
		free(out);
		roaring_bitmap_free(b);
	}
	else
		FUZZ_ASSERT(detail != NULL, "rejected without a detail");
	fuzz_reset();
	return 0;
}
