/*
 * audience_rate.c
 *	  Conversion and penetration rates: the share of a base audience that
 *	  is also in another.
 */
#include "postgres.h"

#include "audience/audience.h"

PG_FUNCTION_INFO_V1(audience_rate);
/* audience_rate(part, base): |part & base| / |base|, NULL for an empty base */
Datum
audience_rate(PG_FUNCTION_ARGS)
{
	uint64		base_size = audience_datum_cardinality(PG_GETARG_DATUM(1));
	const roaring_bitmap_t *part;
	const roaring_bitmap_t *base;

	if (base_size == 0)
		PG_RETURN_NULL();
	part = PG_GETARG_AUDIENCE_BITMAP(0);
	base = PG_GETARG_AUDIENCE_BITMAP(1);
	PG_RETURN_FLOAT8((double) roaring_bitmap_and_cardinality(part, base) / (double) base_size);
}
