/*
 * clv_metrics.c
 *	  clv_metrics_agg(orders, revenue) over one row per customer: customers,
 *	  orders, revenue, average order value, purchase frequency, repeat rate
 *	  and historical LTV.
 *
 * Definitions (these reproduce the published CDNOW figures when an order is
 * a row of the transaction table, e.g. rfm_agg's frequency and monetary):
 *   average order value = revenue / orders
 *   purchase frequency  = orders / customers
 *   repeat rate         = customers with more than one order / customers
 *   historical LTV      = average order value * purchase frequency
 *                       = revenue / customers
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "clv.h"

PG_FUNCTION_INFO_V1(clv_metrics_trans);
PG_FUNCTION_INFO_V1(clv_metrics_combine);
PG_FUNCTION_INFO_V1(clv_metrics_serialize);
PG_FUNCTION_INFO_V1(clv_metrics_deserialize);
PG_FUNCTION_INFO_V1(clv_metrics_final);

typedef struct MetricsState
{
	int64		customers;
	int64		orders;
	int64		repeaters;
	Numeric		revenue;		/* in the aggregate context */
} MetricsState;

/* The state, created in the aggregate context on first use. */
static MetricsState *
metrics_state(FunctionCallInfo fcinfo, MemoryContext aggcxt)
{
	MetricsState *st;
	MemoryContext old;

	if (!PG_ARGISNULL(0))
		return (MetricsState *) PG_GETARG_POINTER(0);
	st = MemoryContextAllocZero(aggcxt, sizeof(MetricsState));
	old = MemoryContextSwitchTo(aggcxt);
	st->revenue = int64_to_numeric(0);
	MemoryContextSwitchTo(old);
	return st;
}

/* revenue += n, in the aggregate context. */
static void
metrics_add_revenue(MetricsState *st, MemoryContext aggcxt, Numeric n)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	Numeric		prev = st->revenue;

	st->revenue = DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(prev),
													  NumericGetDatum(n)));
	pfree(prev);
	MemoryContextSwitchTo(old);
}

/* Transition: one customer's order count and revenue; rows with a NULL are skipped. */
Datum
clv_metrics_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	MetricsState *st;
	int64		orders;
	Numeric		revenue;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "clv_metrics_trans called in non-aggregate context");
	st = metrics_state(fcinfo, aggcxt);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	orders = PG_GETARG_INT64(1);
	revenue = PG_GETARG_NUMERIC(2);
	if (orders < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("orders must be at least 1, got " INT64_FORMAT, orders),
				 errdetail("Each row is a customer with at least one order.")));
	if (numeric_is_nan(revenue) || numeric_is_inf(revenue))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("revenue must be a finite number"),
				 errdetail("Revenue is summed over customers.")));
	st->customers++;
	st->orders += orders;
	st->repeaters += orders > 1;
	metrics_add_revenue(st, aggcxt, revenue);
	PG_RETURN_POINTER(st);
}

/* Combine two partial states. */
Datum
clv_metrics_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	MetricsState *a;
	MetricsState *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "clv_metrics_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	b = (MetricsState *) PG_GETARG_POINTER(1);
	a = metrics_state(fcinfo, aggcxt);
	a->customers += b->customers;
	a->orders += b->orders;
	a->repeaters += b->repeaters;
	metrics_add_revenue(a, aggcxt, b->revenue);
	PG_RETURN_POINTER(a);
}

/* Serialise: three counts, then the revenue numeric's bytes. */
Datum
clv_metrics_serialize(PG_FUNCTION_ARGS)
{
	MetricsState *st = (MetricsState *) PG_GETARG_POINTER(0);
	int64		counts[3] = {st->customers, st->orders, st->repeaters};
	Size		nlen = VARSIZE(st->revenue);
	bytea	   *out = palloc(VARHDRSZ + sizeof(counts) + nlen);

	SET_VARSIZE(out, VARHDRSZ + sizeof(counts) + nlen);
	memcpy(VARDATA(out), counts, sizeof(counts));
	memcpy(VARDATA(out) + sizeof(counts), st->revenue, nlen);
	PG_RETURN_BYTEA_P(out);
}

/* Rebuild a state from clv_metrics_serialize's bytes. */
Datum
clv_metrics_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	MetricsState *st;
	int64		counts[3];
	Size		len = VARSIZE_ANY_EXHDR(in);

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "clv_metrics_deserialize called in non-aggregate context");
	if (len <= sizeof(counts))
		elog(ERROR, "invalid clv_metrics_agg state: too short");
	memcpy(counts, VARDATA_ANY(in), sizeof(counts));
	st = MemoryContextAllocZero(aggcxt, sizeof(MetricsState));
	st->customers = counts[0];
	st->orders = counts[1];
	st->repeaters = counts[2];
	st->revenue = MemoryContextAlloc(aggcxt, len - sizeof(counts));
	memcpy(st->revenue, VARDATA_ANY(in) + sizeof(counts), len - sizeof(counts));
	PG_RETURN_POINTER(st);
}

/* numeric a / b for a count b. */
static Datum
numeric_per(Numeric a, int64 b)
{
	return DirectFunctionCall2(numeric_div, NumericGetDatum(a),
							   NumericGetDatum(int64_to_numeric(b)));
}

/* Final: the clv_metrics composite, or NULL without customers. */
Datum
clv_metrics_final(PG_FUNCTION_ARGS)
{
	MetricsState *st;
	TupleDesc	desc;
	Datum		values[7];
	bool		nulls[7] = {0};

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (MetricsState *) PG_GETARG_POINTER(0);
	if (st->customers == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "clv_metrics_final must return a composite type");
	desc = BlessTupleDesc(desc);
	values[0] = Int64GetDatum(st->customers);
	values[1] = Int64GetDatum(st->orders);
	values[2] = NumericGetDatum(st->revenue);
	values[3] = numeric_per(st->revenue, st->orders);
	values[4] = Float8GetDatum((double) st->orders / st->customers);
	values[5] = Float8GetDatum((double) st->repeaters / st->customers);
	values[6] = numeric_per(st->revenue, st->customers);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
