/*
 * audience_count.c
 *	  Sizes of set-algebra results without building them, and similarity.
 *
 * CRoaring counts an intersection, union, difference or symmetric
 * difference container by container without allocating the result, so
 * `audience_and_count(a, b)` is much cheaper than `cardinality(a & b)`.
 * Stored arguments are decoded once per call site (audience_cache.c).
 */
#include "postgres.h"

#include "audience/audience.h"

typedef uint64 (*BitmapCountOp) (const roaring_bitmap_t *, const roaring_bitmap_t *);

/* Apply a CRoaring counting operation to two audience arguments. */
static Datum
audience_count_op(FunctionCallInfo fcinfo, BitmapCountOp op)
{
	const roaring_bitmap_t *a = PG_GETARG_AUDIENCE_BITMAP(0);
	const roaring_bitmap_t *b = PG_GETARG_AUDIENCE_BITMAP(1);

	PG_RETURN_INT64((int64) op(a, b));
}

PG_FUNCTION_INFO_V1(audience_and_count);
/* cardinality(a & b) */
Datum
audience_and_count(PG_FUNCTION_ARGS)
{
	return audience_count_op(fcinfo, roaring_bitmap_and_cardinality);
}

PG_FUNCTION_INFO_V1(audience_or_count);
/* cardinality(a | b) */
Datum
audience_or_count(PG_FUNCTION_ARGS)
{
	return audience_count_op(fcinfo, roaring_bitmap_or_cardinality);
}

PG_FUNCTION_INFO_V1(audience_andnot_count);
/* cardinality(a - b) */
Datum
audience_andnot_count(PG_FUNCTION_ARGS)
{
	return audience_count_op(fcinfo, roaring_bitmap_andnot_cardinality);
}

PG_FUNCTION_INFO_V1(audience_xor_count);
/* cardinality(a # b) */
Datum
audience_xor_count(PG_FUNCTION_ARGS)
{
	return audience_count_op(fcinfo, roaring_bitmap_xor_cardinality);
}

PG_FUNCTION_INFO_V1(audience_jaccard);
/*
 * Jaccard similarity |a & b| / |a | b|.  Two empty audiences are equal sets,
 * so their similarity is 1 (CRoaring would give 0/0).
 */
Datum
audience_jaccard(PG_FUNCTION_ARGS)
{
	const roaring_bitmap_t *a = PG_GETARG_AUDIENCE_BITMAP(0);
	const roaring_bitmap_t *b = PG_GETARG_AUDIENCE_BITMAP(1);
	uint64		inter = roaring_bitmap_and_cardinality(a, b);
	uint64		uni = roaring_bitmap_get_cardinality(a) + roaring_bitmap_get_cardinality(b) - inter;

	if (uni == 0)
		PG_RETURN_FLOAT8(1.0);
	PG_RETURN_FLOAT8((double) inter / (double) uni);
}
