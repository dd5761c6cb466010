/*
 * audience_cmp.c
 *	  Equality, btree ordering and hashing of audiences, so audience columns
 *	  work in GROUP BY, DISTINCT, ORDER BY, unique indexes and hash joins.
 *
 * Two audiences with the same persons may be encoded differently (array,
 * bitset or run containers), so all of these look at the ids, never at the
 * bytes.  Order: compare the sorted id lists element by element; a proper
 * prefix sorts first, so '{}' is the smallest audience.  The comparison
 * works a container (65536 ids) at a time (audience_measure.c).
 */
#include "postgres.h"

#include <xxhash.h>

#include "audience/audience_internal.h"
#include "miscadmin.h"

#define CMP_CHUNK 1024

/*
 * Three-way comparison of the sorted id lists, a container at a time.
 * Let d be the smallest id in exactly one of the sets, say in x, not in y.
 * Both lists agree on every id below d; at that position x has d and y has
 * its next id above d, if any.  So x sorts first when y has an id above d,
 * and y (then a proper prefix of x) first when it has none.  This is the
 * order 0.1.0 computed id by id, which btree indexes built then rely on.
 */
static int
audience_compare(const roaring_bitmap_t *a, const roaring_bitmap_t *b)
{
	uint32		d;
	bool		in_a;
	const roaring_bitmap_t *y;

	if (!audience_first_difference(a, b, &d, &in_a))
		return 0;
	y = in_a ? b : a;
	if (!roaring_bitmap_is_empty(y) && roaring_bitmap_maximum(y) > d)
		return in_a ? -1 : 1;
	return in_a ? 1 : -1;
}

/* Compare arguments 0 and 1. */
static int
audience_compare_args(FunctionCallInfo fcinfo)
{
	return audience_compare(PG_GETARG_AUDIENCE_BITMAP(0), PG_GETARG_AUDIENCE_BITMAP(1));
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
