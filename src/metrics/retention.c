/*
 * retention.c
 *	  Cohort retention over period audiences, and the event-level
 *	  retention aggregate of Doris and ClickHouse.
 */
#include "postgres.h"

#include "audience/audience.h"
#include "catalog/pg_type.h"
#include "metrics/metrics_util.h"
#include "miscadmin.h"
#include "utils/array.h"

/* Periods in one call: a bound that keeps the arrays small. */
#define RETENTION_MAX_PERIODS 100000
/* Conditions of retention_agg: one bit each in a 64-bit mask. */
#define RETENTION_MAX_CONDITIONS 64

/*
 * Persons of the cohort present in each period (continuous: present in
 * every period up to and including it), as int64 counts.
 */
static int64 *
retention_counts(FunctionCallInfo fcinfo, int *nperiods)
{
	const roaring_bitmap_t *cohort = PG_GETARG_AUDIENCE_BITMAP(0);
	MetricsAudienceArray periods = metrics_audience_array(PG_GETARG_ARRAYTYPE_P(1), "periods",
														  RETENTION_MAX_PERIODS);
	bool		continuous = PG_GETARG_BOOL(2);
	int64	   *counts = palloc(sizeof(int64) * Max(periods.n, 1));
	roaring_bitmap_t *running = NULL;

	if (continuous)
		running = metrics_own(roaring_bitmap_copy(cohort));
	for (int i = 0; i < periods.n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (continuous)
		{
			roaring_bitmap_and_inplace(running, periods.bitmaps[i]);
			counts[i] = (int64) roaring_bitmap_get_cardinality(running);
		}
		else
			counts[i] = (int64) roaring_bitmap_and_cardinality(cohort, periods.bitmaps[i]);
	}
	*nperiods = periods.n;
	return counts;
}

PG_FUNCTION_INFO_V1(audience_retention);
/* audience_retention(cohort, periods, continuous): retained count per period */
Datum
audience_retention(PG_FUNCTION_ARGS)
{
	int			n;
	int64	   *counts = retention_counts(fcinfo, &n);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(counts[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(audience_retention_rate);
/* audience_retention_rate(...): retained share of the cohort per period */
Datum
audience_retention_rate(PG_FUNCTION_ARGS)
{
	int			n;
	int64	   *counts = retention_counts(fcinfo, &n);
	uint64		size = audience_datum_cardinality(PG_GETARG_DATUM(0));
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = (size == 0);
		elems[i] = Float8GetDatum(size == 0 ? 0.0 : (double) counts[i] / (double) size);
	}
	if (n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(FLOAT8OID));
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls, 1, dims, lbs, FLOAT8OID, 8,
											 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* The state of retention_agg: which conditions some row has met. */
typedef struct RetentionState
{
	int32		vl_len_;
	int32		nconds;
	uint64		seen;
} RetentionState;

/* Number of conditions in the array, checked against the limits. */
static int
retention_nconds(ArrayType *conds)
{
	int			n = ArrayGetNItems(ARR_NDIM(conds), ARR_DIMS(conds));

	if (n < 1 || n > RETENTION_MAX_CONDITIONS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("retention_agg takes 1 to %d conditions, not %d",
						RETENTION_MAX_CONDITIONS, n),
				 errdetail("Each condition is one bit of a 64-bit mask.")));
	return n;
}

/* A new state for n conditions in the aggregate context. */
static RetentionState *
retention_state_new(MemoryContext cxt, int n, uint64 seen)
{
	RetentionState *state = MemoryContextAllocZero(cxt, sizeof(RetentionState));

	SET_VARSIZE(state, sizeof(RetentionState));
	state->nconds = n;
	state->seen = seen;
	return state;
}

/* Raise an error when two rows or states disagree on the number of conditions. */
static void
retention_check_same(int expected, int got)
{
	if (expected != got)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_agg got %d conditions after %d", got, expected),
				 errdetail("Every row of a group must pass the same number of conditions.")));
}

PG_FUNCTION_INFO_V1(retention_agg_trans);
/* retention_agg transition: OR the row's true conditions into the state */
Datum
retention_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	RetentionState *state;
	ArrayType  *conds;
	int			n;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("retention_agg_trans called outside an aggregate")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	conds = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(conds) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("retention_agg conditions must be a one-dimensional array")));
	n = retention_nconds(conds);
	if (PG_ARGISNULL(0))
		state = retention_state_new(aggcxt, n, 0);
	else
	{
		/* Our own state, allocated in the aggregate context: change it in place. */
		state = (RetentionState *) PG_GETARG_POINTER(0);
		retention_check_same(state->nconds, n);
	}
	state->seen |= metrics_bool_mask(conds, n);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(retention_agg_combine);
/* retention_agg combine: OR two partial states */
Datum
retention_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	RetentionState *a;
	RetentionState *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("retention_agg_combine called outside an aggregate")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = (RetentionState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(retention_state_new(aggcxt, b->nconds, b->seen));
	a = (RetentionState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	retention_check_same(a->nconds, b->nconds);
	PG_RETURN_POINTER(retention_state_new(aggcxt, a->nconds, a->seen | b->seen));
}

PG_FUNCTION_INFO_V1(retention_agg_final);
/*
 * retention_agg final: element 1 is whether condition 1 was met, element i
 * whether conditions 1 and i were both met (by any rows of the group).
 */
Datum
retention_agg_final(PG_FUNCTION_ARGS)
{
	RetentionState *state;
	Datum		elems[RETENTION_MAX_CONDITIONS];
	bool		anchor;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (RetentionState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	anchor = (state->seen & 1) != 0;
	for (int i = 0; i < state->nconds; i++)
		elems[i] = Int32GetDatum(anchor && (state->seen & (((uint64) 1) << i)) ? 1 : 0);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, state->nconds, INT4OID, 4, true, TYPALIGN_INT));
}
