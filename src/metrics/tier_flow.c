/*
 * tier_flow.c
 *	  Tier asset sizes and tier-to-tier flow matrices between two periods.
 *
 * Tiers are audiences listed from the lowest level to the highest.  With the
 * waterfall (the default), a person holding several tiers of a period counts
 * only in the highest, which is how tier ladders are counted; the tiers then
 * are disjoint and every cell is one AND-cardinality of two bitmaps, so the
 * matrix costs O(n * m) container intersections, never a pass per person.
 * Row and column 0 ("in no tier": arrivals and departures) follow from the
 * tier sizes and the unions of each period.
 */
#include "postgres.h"

#include "audience/audience.h"
#include "metrics/metrics_util.h"
#include "miscadmin.h"
#include "utils/builtins.h"

/* A generous bound: the matrix is (n + 1) x (m + 1) cells. */
#define TIER_MAX_TIERS 1000

/*
 * The tiers made disjoint: each person kept only in the highest tier that
 * holds them.  The result bitmaps belong to the current memory context.
 */
static const roaring_bitmap_t **
tier_waterfall_bitmaps(const MetricsAudienceArray *tiers)
{
	const roaring_bitmap_t **result;
	roaring_bitmap_t *above;

	result = palloc(sizeof(roaring_bitmap_t *) * Max(tiers->n, 1));
	if (tiers->n == 0)
		return result;
	above = metrics_own(roaring_bitmap_copy(tiers->bitmaps[tiers->n - 1]));
	result[tiers->n - 1] = tiers->bitmaps[tiers->n - 1];
	for (int i = tiers->n - 2; i >= 0; i--)
	{
		CHECK_FOR_INTERRUPTS();
		result[i] = metrics_own(roaring_bitmap_andnot(tiers->bitmaps[i], above));
		if (i > 0)
			roaring_bitmap_or_inplace(above, tiers->bitmaps[i]);
	}
	return result;
}

/* Emit one row of the flow matrix when its cell is not empty. */
static void
tier_flow_emit(Tuplestorestate *store, TupleDesc tupdesc, int from, int to,
			   uint64 persons, uint64 from_size)
{
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (persons == 0)
		return;
	values[0] = Int32GetDatum(from);
	values[1] = Int32GetDatum(to);
	values[2] = Int64GetDatum((int64) persons);
	if (tupdesc->natts > 3)
		values[3] = Float8GetDatum((double) persons / (double) from_size);
	tuplestore_putvalues(store, tupdesc, values, nulls);
}

PG_FUNCTION_INFO_V1(tier_flow);
/*
 * tier_flow(from_tiers, to_tiers, waterfall) and tier_flow_rate(...): the
 * non-empty cells of the flow matrix; the rate form has a fourth column,
 * persons divided by the size of the from tier.
 */
Datum
tier_flow(PG_FUNCTION_ARGS)
{
	MetricsAudienceArray from = metrics_audience_array(PG_GETARG_ARRAYTYPE_P(0), "from_tiers", TIER_MAX_TIERS);
	MetricsAudienceArray to = metrics_audience_array(PG_GETARG_ARRAYTYPE_P(1), "to_tiers", TIER_MAX_TIERS);
	bool		waterfall = PG_GETARG_BOOL(2);
	TupleDesc	tupdesc;
	Tuplestorestate *store = metrics_srf_begin(fcinfo, &tupdesc);
	const roaring_bitmap_t **f = waterfall ? tier_waterfall_bitmaps(&from) : from.bitmaps;
	const roaring_bitmap_t **t = waterfall ? tier_waterfall_bitmaps(&to) : to.bitmaps;
	roaring_bitmap_t *from_all = metrics_union(&from);
	roaring_bitmap_t *to_all = metrics_union(&to);
	uint64		arrivals = roaring_bitmap_andnot_cardinality(to_all, from_all);

	/* Row 0: arrivals, by the tier they land in. */
	for (int j = 0; j < to.n; j++)
	{
		CHECK_FOR_INTERRUPTS();
		tier_flow_emit(store, tupdesc, 0, j + 1,
					   roaring_bitmap_andnot_cardinality(t[j], from_all), arrivals);
	}
	for (int i = 0; i < from.n; i++)
	{
		uint64		size = roaring_bitmap_get_cardinality(f[i]);

		CHECK_FOR_INTERRUPTS();
		tier_flow_emit(store, tupdesc, i + 1, 0,
					   roaring_bitmap_andnot_cardinality(f[i], to_all), size);
		/* Up to 1000 x 1000 cells, each an intersection of two big sets. */
		for (int j = 0; j < to.n; j++)
		{
			CHECK_FOR_INTERRUPTS();
			tier_flow_emit(store, tupdesc, i + 1, j + 1,
						   roaring_bitmap_and_cardinality(f[i], t[j]), size);
		}
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(tier_waterfall);
/* tier_waterfall(tiers): the tiers made disjoint, highest tier first. */
Datum
tier_waterfall(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	MetricsAudienceArray tiers = metrics_audience_array(array, "tiers", TIER_MAX_TIERS);
	const roaring_bitmap_t **disjoint = tier_waterfall_bitmaps(&tiers);
	Datum	   *elems = palloc(sizeof(Datum) * Max(tiers.n, 1));
	int			dims[1] = {tiers.n};
	int			lbs[1] = {1};

	for (int i = 0; i < tiers.n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		roaring_bitmap_run_optimize((roaring_bitmap_t *) disjoint[i]);
		elems[i] = PointerGetDatum(audience_flatten(disjoint[i]));
	}
	if (tiers.n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(ARR_ELEMTYPE(array)));
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, NULL, 1, dims, lbs, ARR_ELEMTYPE(array),
											 -1, false, TYPALIGN_DOUBLE));
}
