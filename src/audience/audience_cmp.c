/*
 * audience_cmp.c
 *	  Equality, btree ordering and hashing of audiences, so audience columns
 *	  work in GROUP BY, DISTINCT, ORDER BY, unique indexes and hash joins.
 *
 * Two audiences with the same persons may be encoded differently (array,
 * bitset or run containers), so all of these look at the ids, never at the
 * bytes.  Order: compare the sorted id lists element by element; a proper
 * prefix sorts first, so '{}' is the smallest audience.
 */
#include "postgres.h"

#include <xxhash.h>

#include "audience/audience.h"
#include "miscadmin.h"

#define CMP_CHUNK 1024

/* Three-way comparison of the sorted id lists. */
static int
audience_compare(const roaring_bitmap_t *a, const roaring_bitmap_t *b)
{
	roaring_uint32_iterator_t ia;
	roaring_uint32_iterator_t ib;

	roaring_init_iterator(a, &ia);
	roaring_init_iterator(b, &ib);
	while (ia.has_value && ib.has_value)
	{
		if (ia.current_value != ib.current_value)
			return ia.current_value < ib.current_value ? -1 : 1;
		roaring_advance_uint32_iterator(&ia);
		roaring_advance_uint32_iterator(&ib);
	}
	if (ia.has_value)
		return 1;
	if (ib.has_value)
		return -1;
	return 0;
}

/* Compare arguments 0 and 1, with the cheap equality test first. */
static int
audience_compare_args(FunctionCallInfo fcinfo)
{
	const roaring_bitmap_t *a = PG_GETARG_AUDIENCE_BITMAP(0);
	const roaring_bitmap_t *b = PG_GETARG_AUDIENCE_BITMAP(1);

	if (roaring_bitmap_equals(a, b))
		return 0;
	return audience_compare(a, b);
}

PG_FUNCTION_INFO_V1(audience_eq);
/* a = b: the same persons */
Datum
audience_eq(PG_FUNCTION_ARGS)
{
	AudienceFlat ha;
	AudienceFlat hb;
	const AudienceFlat *a = audience_datum_header(PG_GETARG_DATUM(0), &ha);
	const AudienceFlat *b = audience_datum_header(PG_GETARG_DATUM(1), &hb);

	/* Different header counts or bounds settle it without the payloads. */
	if (a->cardinality != b->cardinality || a->min_id != b->min_id || a->max_id != b->max_id)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(roaring_bitmap_equals(PG_GETARG_AUDIENCE_BITMAP(0),
										 PG_GETARG_AUDIENCE_BITMAP(1)));
}

PG_FUNCTION_INFO_V1(audience_ne);
/* a <> b */
Datum
audience_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!DatumGetBool(audience_eq(fcinfo)));
}

PG_FUNCTION_INFO_V1(audience_cmp);
/* btree support: -1, 0 or 1 */
Datum
audience_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(audience_compare_args(fcinfo));
}

PG_FUNCTION_INFO_V1(audience_lt);
Datum
audience_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(audience_compare_args(fcinfo) < 0);
}

PG_FUNCTION_INFO_V1(audience_le);
Datum
audience_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(audience_compare_args(fcinfo) <= 0);
}

PG_FUNCTION_INFO_V1(audience_gt);
Datum
audience_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(audience_compare_args(fcinfo) > 0);
}

PG_FUNCTION_INFO_V1(audience_ge);
Datum
audience_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(audience_compare_args(fcinfo) >= 0);
}

/* XXH3 over the sorted ids, chunk by chunk, chaining the seed. */
static uint64
audience_hash_ids(const roaring_bitmap_t *bitmap, uint64 seed)
{
	roaring_uint32_iterator_t it;
	uint32		chunk[CMP_CHUNK];
	uint32		n;
	uint64		h = seed;

	roaring_init_iterator(bitmap, &it);
	while ((n = roaring_read_uint32_iterator(&it, chunk, CMP_CHUNK)) > 0)
	{
		h = XXH3_64bits_withSeed(chunk, n * sizeof(uint32), h);
		CHECK_FOR_INTERRUPTS();
	}
	return h;
}

PG_FUNCTION_INFO_V1(audience_hash_support);
/* hash support: equal audiences hash alike whatever their encoding */
Datum
audience_hash_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32((int32) audience_hash_ids(PG_GETARG_AUDIENCE_BITMAP(0), 0));
}

PG_FUNCTION_INFO_V1(audience_hash_support_extended);
/* extended hash support, with a 64-bit seed */
Datum
audience_hash_support_extended(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) audience_hash_ids(PG_GETARG_AUDIENCE_BITMAP(0),
											  (uint64) PG_GETARG_INT64(1)));
}
