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
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "clv.h"
#include "clv_numeric.h"
#include "common/sql_safety.h"

PG_FUNCTION_INFO_V1(rfm_agg_trans);
PG_FUNCTION_INFO_V1(rfm_agg_combine);
PG_FUNCTION_INFO_V1(rfm_agg_serialize);
PG_FUNCTION_INFO_V1(rfm_agg_deserialize);
PG_FUNCTION_INFO_V1(rfm_agg_final);

typedef struct RfmState
{
	uint32		magic;			/* CLV_MAGIC_RFM */
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

/*
 * Fixed part of the serialised state, after the ClvWireHeader; the numeric
 * sum follows in numeric's binary send format when !fast.
 */
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

	st->magic = CLV_MAGIC_RFM;
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

/*
 * Transition: one order (ts, amount) of the customer; rows with a NULL ts or
 * amount are skipped.  Infinite timestamps are errors: recency would be
 * meaningless (and overflowed before 0.2.0).
 */
Datum
rfm_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "rfm_agg_trans");
	RfmState   *st = clv_state_arg(fcinfo, 0, CLV_MAGIC_RFM, "rfm_agg_trans");
	TimestampTz as_of;
	TimestampTz ts;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be null"),
				 errdetail("Recency is measured up to as_of.")));
	as_of = clv_arg_timestamp(fcinfo, 3, "as_of");
	if (st == NULL)
		st = rfm_state_new(aggcxt, as_of);
	if (as_of != st->as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a group"),
				 errdetail("Recency of one customer needs a single reference time.")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);

	ts = clv_arg_timestamp(fcinfo, 1, "ts");
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
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "rfm_agg_combine");
	RfmState   *a = clv_state_arg(fcinfo, 0, CLV_MAGIC_RFM, "rfm_agg_combine");
	RfmState   *b = clv_state_arg(fcinfo, 1, CLV_MAGIC_RFM, "rfm_agg_combine");

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
	{
		a = rfm_state_new(aggcxt, b->as_of);
		a->fast = b->fast;
	}
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
	if (pg_add_s64_overflow(a->count, b->count, &a->count))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("rfm_agg order count out of range")));

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

/* Serialise: header, the fixed fields, then the numeric sum (numeric_send) when not on the fast path. */
Datum
rfm_agg_serialize(PG_FUNCTION_ARGS)
{
	RfmState   *st;
	RfmWire		w = {0};
	bytea	   *nbytes = NULL;
	Size		nlen = 0;
	bytea	   *out;

	(void) qy_aggregate_context(fcinfo, "rfm_agg_serialize");
	st = clv_state_arg(fcinfo, 0, CLV_MAGIC_RFM, "rfm_agg_serialize");
	if (!st->fast && st->nsum)
	{
		nbytes = DatumGetByteaPP(DirectFunctionCall1(numeric_send, NumericGetDatum(st->nsum)));
		nlen = VARSIZE_ANY_EXHDR(nbytes);
	}
	out = palloc(VARHDRSZ + sizeof(ClvWireHeader) + sizeof(RfmWire) + nlen);
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
	SET_VARSIZE(out, VARHDRSZ + sizeof(ClvWireHeader) + sizeof(RfmWire) + nlen);
	clv_wire_header(VARDATA(out), CLV_MAGIC_RFM);
	memcpy(VARDATA(out) + sizeof(ClvWireHeader), &w, sizeof(RfmWire));
	if (nlen)
		memcpy(VARDATA(out) + sizeof(ClvWireHeader) + sizeof(RfmWire), VARDATA_ANY(nbytes), nlen);
	PG_RETURN_BYTEA_P(out);
}

/* Error about serialised rfm_agg bytes. */
static void
rfm_wire_invalid(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid state for rfm_agg_deserialize: %s", what),
			 errdetail("The bytes were not serialised by rfm_agg.")));
}

/* Rebuild a state from rfm_agg_serialize's bytes, validating every field. */
Datum
rfm_agg_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "rfm_agg_deserialize");
	const char *data = clv_wire_check(in, CLV_MAGIC_RFM, sizeof(RfmWire), "rfm_agg_deserialize");
	Size		nlen = VARSIZE_ANY_EXHDR(in) - sizeof(ClvWireHeader) - sizeof(RfmWire);
	RfmState   *st;
	RfmWire		w;

	memcpy(&w, data, sizeof(RfmWire));
	if (w.count < 0 || TIMESTAMP_NOT_FINITE(w.as_of) ||
		(w.count > 0 && (TIMESTAMP_NOT_FINITE(w.first) || TIMESTAMP_NOT_FINITE(w.last) ||
						 w.first > w.last)))
		rfm_wire_invalid("count or timestamps out of range");
	if ((w.fast != 0 && w.fast != 1) || w.iscale < 0 || w.iscale > 36 ||
		(w.fast && nlen != 0))
		rfm_wire_invalid("sum out of range");
#ifndef HAVE_INT128
	if (w.fast)
		rfm_wire_invalid("sum out of range");
#endif
	st = rfm_state_new(aggcxt, w.as_of);
	st->count = w.count;
	st->first = w.first;
	st->last = w.last;
	st->fast = w.fast;
	st->iscale = w.iscale;
#ifdef HAVE_INT128
	st->isum = ((int128) w.isum_hi << 64) | (int128) w.isum_lo;
	{
		int128		limit = (int128) 1000000000000000000LL * 1000000000000000000LL;

		if (st->isum > limit || st->isum < -limit)
			rfm_wire_invalid("sum out of range");
	}
#endif
	if (!w.fast && nlen > 0)
	{
		StringInfoData buf;
		Numeric		n;

		/* numeric_recv validates the digits; a finite sum is all rfm_agg keeps. */
		initStringInfo(&buf);
		appendBinaryStringInfo(&buf, data + sizeof(RfmWire), nlen);
		n = DatumGetNumeric(DirectFunctionCall3(numeric_recv, PointerGetDatum(&buf),
												ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
		if (buf.cursor != buf.len || numeric_is_nan(n) || numeric_is_inf(n))
			rfm_wire_invalid("sum is not a finite numeric");
		st->nsum = MemoryContextAlloc(aggcxt, VARSIZE(n));
		memcpy(st->nsum, n, VARSIZE(n));
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

	(void) qy_aggregate_context(fcinfo, "rfm_agg_final");
	st = clv_state_arg(fcinfo, 0, CLV_MAGIC_RFM, "rfm_agg_final");
	if (st == NULL || st->count == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rfm_agg_final must return a composite type");
	desc = BlessTupleDesc(desc);

#ifdef HAVE_INT128
	sum = st->fast ? clv_scaled_to_numeric(st->isum, st->iscale) : st->nsum;
#else
	sum = st->nsum;
#endif
	if (sum == NULL)
		sum = int64_to_numeric(0);
	/* Far-apart finite timestamps overflow int64 microseconds: subtract safely. */
	values[0] = Float8GetDatum(clv_timestamp_diff_days(st->as_of, st->last));
	values[1] = Int64GetDatum(st->count);
	values[2] = NumericGetDatum(sum);
	values[3] = TimestampTzGetDatum(st->first);
	values[4] = TimestampTzGetDatum(st->last);
	values[5] = DirectFunctionCall2(numeric_div, NumericGetDatum(sum),
									NumericGetDatum(int64_to_numeric(st->count)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
