/*
 * rfm_agg.c
 *	  rfm_agg(ts, amount, as_of): one customer's recency, frequency and
 *	  monetary value, first and last purchase and average order value.
 *
 * Built for GROUP BY customer over large order tables: the state is a small
 * struct, and amounts are summed as exact 128-bit scaled integers read from
 * the numeric's digits (clv_numeric.c), falling back to numeric_add only for
 * values the fast path cannot hold.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "clv.h"
#include "clv_numeric.h"

PG_FUNCTION_INFO_V1(rfm_agg_trans);
PG_FUNCTION_INFO_V1(rfm_agg_combine);
PG_FUNCTION_INFO_V1(rfm_agg_serialize);
PG_FUNCTION_INFO_V1(rfm_agg_deserialize);
PG_FUNCTION_INFO_V1(rfm_agg_final);

typedef struct RfmState
{
	int64		count;
	TimestampTz first;
	TimestampTz last;
	TimestampTz as_of;
	bool		fast;			/* the sum is isum * 10^-iscale, not nsum */
	int32		iscale;
#ifdef HAVE_INT128
	int128		isum;
#endif
	Numeric		nsum;			/* in the aggregate context when !fast */
} RfmState;

/* Fixed part of the serialised state; a numeric sum follows when !fast. */
typedef struct RfmWire
{
	int64		count;
	int64		first;
	int64		last;
	int64		as_of;
	int64		isum_hi;
	uint64		isum_lo;
	int32		fast;
	int32		iscale;
} RfmWire;

/* A new empty state in the aggregate context. */
static RfmState *
rfm_state_new(MemoryContext aggcxt, TimestampTz as_of)
{
	RfmState   *st = MemoryContextAllocZero(aggcxt, sizeof(RfmState));

	st->as_of = as_of;
#ifdef HAVE_INT128
	st->fast = true;
#endif
	st->nsum = NULL;
	return st;
}

/* Move the sum to numeric form (before the first value the fast path cannot take). */
static void
rfm_to_numeric(RfmState *st, MemoryContext aggcxt)
{
	MemoryContext old;

	if (!st->fast)
	{
		if (st->nsum == NULL)
		{
			old = MemoryContextSwitchTo(aggcxt);
			st->nsum = int64_to_numeric(0);
			MemoryContextSwitchTo(old);
		}
		return;
	}
#ifdef HAVE_INT128
	old = MemoryContextSwitchTo(aggcxt);
	st->nsum = clv_scaled_to_numeric(st->isum, st->iscale);
	MemoryContextSwitchTo(old);
#endif
	st->fast = false;
}

/* nsum += n, keeping the sum in the aggregate context. */
static void
rfm_numeric_add(RfmState *st, MemoryContext aggcxt, Numeric n)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	Numeric		prev = st->nsum;

	st->nsum = DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(prev),
												   NumericGetDatum(n)));
	pfree(prev);
	MemoryContextSwitchTo(old);
}

/* Add one amount to the sum, on the fast path when possible. */
static void
rfm_add_amount(RfmState *st, MemoryContext aggcxt, Datum amount)
{
	Numeric		n;

#ifdef HAVE_INT128
	if (st->fast)
	{
		int128		v;
		int			scale;

		if (clv_numeric_scaled(amount, &v, &scale) &&
			clv_scaled_add(&st->isum, &st->iscale, v, scale))
			return;
	}
#endif
	n = DatumGetNumeric(amount);
	if (numeric_is_nan(n) || numeric_is_inf(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must be a finite number, got %s",
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)))),
				 errdetail("Order amounts are summed into the monetary value.")));
	rfm_to_numeric(st, aggcxt);
	rfm_numeric_add(st, aggcxt, n);
}

/* Transition: one order (ts, amount) of the customer; rows with a NULL ts or amount are skipped. */
Datum
rfm_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	RfmState   *st;
	TimestampTz ts;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "rfm_agg_trans called in non-aggregate context");
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be null"),
				 errdetail("Recency is measured up to as_of.")));
	if (PG_ARGISNULL(0))
		st = rfm_state_new(aggcxt, PG_GETARG_TIMESTAMPTZ(3));
	else
		st = (RfmState *) PG_GETARG_POINTER(0);
	if (PG_GETARG_TIMESTAMPTZ(3) != st->as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a group"),
				 errdetail("Recency of one customer needs a single reference time.")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);

	ts = PG_GETARG_TIMESTAMPTZ(1);
	if (st->count == 0 || ts < st->first)
		st->first = ts;
	if (st->count == 0 || ts > st->last)
		st->last = ts;
	st->count++;
	rfm_add_amount(st, aggcxt, PG_GETARG_DATUM(2));
	PG_RETURN_POINTER(st);
}

/* Combine two partial states of the same customer. */
Datum
rfm_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	RfmState   *a;
	RfmState   *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "rfm_agg_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	b = (RfmState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		a = rfm_state_new(aggcxt, b->as_of);
		a->fast = b->fast;
	}
	else
		a = (RfmState *) PG_GETARG_POINTER(0);
	if (a->as_of != b->as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a group"),
				 errdetail("Recency of one customer needs a single reference time.")));
	if (b->count == 0)
		PG_RETURN_POINTER(a);
	if (a->count == 0 || b->first < a->first)
		a->first = b->first;
	if (a->count == 0 || b->last > a->last)
		a->last = b->last;
	a->count += b->count;

#ifdef HAVE_INT128
	if (a->fast && b->fast && clv_scaled_add(&a->isum, &a->iscale, b->isum, b->iscale))
		PG_RETURN_POINTER(a);
	rfm_to_numeric(a, aggcxt);
	rfm_numeric_add(a, aggcxt, b->fast ? clv_scaled_to_numeric(b->isum, b->iscale) : b->nsum);
#else
	rfm_to_numeric(a, aggcxt);
	rfm_numeric_add(a, aggcxt, b->nsum ? b->nsum : int64_to_numeric(0));
#endif
	PG_RETURN_POINTER(a);
}

/* Serialise: the fixed fields, then the numeric sum's bytes when not on the fast path. */
Datum
rfm_agg_serialize(PG_FUNCTION_ARGS)
{
	RfmState   *st = (RfmState *) PG_GETARG_POINTER(0);
	RfmWire		w = {0};
	Size		nlen = (!st->fast && st->nsum) ? VARSIZE(st->nsum) : 0;
	bytea	   *out = palloc(VARHDRSZ + sizeof(RfmWire) + nlen);

	w.count = st->count;
	w.first = st->first;
	w.last = st->last;
	w.as_of = st->as_of;
	w.fast = st->fast;
	w.iscale = st->iscale;
#ifdef HAVE_INT128
	w.isum_hi = (int64) (st->isum >> 64);
	w.isum_lo = (uint64) st->isum;
#endif
	SET_VARSIZE(out, VARHDRSZ + sizeof(RfmWire) + nlen);
	memcpy(VARDATA(out), &w, sizeof(RfmWire));
	if (nlen)
		memcpy(VARDATA(out) + sizeof(RfmWire), st->nsum, nlen);
	PG_RETURN_BYTEA_P(out);
}

/* Rebuild a state from rfm_agg_serialize's bytes. */
Datum
rfm_agg_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	RfmState   *st;
	RfmWire		w;
	Size		len = VARSIZE_ANY_EXHDR(in);

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "rfm_agg_deserialize called in non-aggregate context");
	if (len < sizeof(RfmWire))
		elog(ERROR, "invalid rfm_agg state: too short");
	memcpy(&w, VARDATA_ANY(in), sizeof(RfmWire));
	st = rfm_state_new(aggcxt, w.as_of);
	st->count = w.count;
	st->first = w.first;
	st->last = w.last;
	st->fast = w.fast;
	st->iscale = w.iscale;
#ifdef HAVE_INT128
	st->isum = ((int128) w.isum_hi << 64) | (int128) w.isum_lo;
#endif
	if (len > sizeof(RfmWire))
	{
		st->nsum = MemoryContextAlloc(aggcxt, len - sizeof(RfmWire));
		memcpy(st->nsum, VARDATA_ANY(in) + sizeof(RfmWire), len - sizeof(RfmWire));
	}
	PG_RETURN_POINTER(st);
}

/* Final: the rfm_summary composite, or NULL for a customer without orders. */
Datum
rfm_agg_final(PG_FUNCTION_ARGS)
{
	RfmState   *st;
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {0};
	Numeric		sum;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (RfmState *) PG_GETARG_POINTER(0);
	if (st->count == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rfm_agg_final must return a composite type");
	desc = BlessTupleDesc(desc);

#ifdef HAVE_INT128
	sum = st->fast ? clv_scaled_to_numeric(st->isum, st->iscale) : st->nsum;
#else
	sum = st->nsum;
#endif
	values[0] = Float8GetDatum((double) (st->as_of - st->last) / USECS_PER_DAY);
	values[1] = Int64GetDatum(st->count);
	values[2] = NumericGetDatum(sum);
	values[3] = TimestampTzGetDatum(st->first);
	values[4] = TimestampTzGetDatum(st->last);
	values[5] = DirectFunctionCall2(numeric_div, NumericGetDatum(sum),
									NumericGetDatum(int64_to_numeric(st->count)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
