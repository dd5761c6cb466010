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
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "clv.h"
#include "common/sql_safety.h"

/* One customer's row of clv_metrics_agg: at least one order, finite revenue. */
void
clv_metrics_check_row(int64 orders, Numeric revenue)
{
	if (orders < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("orders must be at least 1, got " INT64_FORMAT, orders),
				 errdetail("Each row is a customer with at least one order.")));
	if (numeric_is_nan(revenue) || numeric_is_inf(revenue))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("revenue must be a finite number, got %s",
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(revenue)))),
				 errdetail("Revenue is summed over customers.")));
}

PG_FUNCTION_INFO_V1(clv_metrics_trans);
PG_FUNCTION_INFO_V1(clv_metrics_combine);
PG_FUNCTION_INFO_V1(clv_metrics_serialize);
PG_FUNCTION_INFO_V1(clv_metrics_deserialize);
PG_FUNCTION_INFO_V1(clv_metrics_final);

typedef struct MetricsState
{
	uint32		magic;			/* CLV_MAGIC_METRICS */
	int64		customers;
	int64		orders;
	int64		repeaters;
	Numeric		revenue;		/* in the aggregate context */
} MetricsState;

/* A new state in the aggregate context. */
static MetricsState *
metrics_state_new(MemoryContext aggcxt)
{
	MetricsState *st = MemoryContextAllocZero(aggcxt, sizeof(MetricsState));
	MemoryContext old;

	st->magic = CLV_MAGIC_METRICS;
	old = MemoryContextSwitchTo(aggcxt);
	st->revenue = int64_to_numeric(0);
	MemoryContextSwitchTo(old);
	return st;
}

/* a += b for the counts, with an error instead of a wrap-around. */
static void
metrics_add_count(int64 *a, int64 b)
{
	if (pg_add_s64_overflow(*a, b, a))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("clv_metrics_agg count out of range"),
				 errdetail("Orders and customers are counted in bigint.")));
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
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "clv_metrics_trans");
	MetricsState *st = clv_state_arg(fcinfo, 0, CLV_MAGIC_METRICS, "clv_metrics_trans");
	int64		orders;
	Numeric		revenue;

	if (st == NULL)
		st = metrics_state_new(aggcxt);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	orders = PG_GETARG_INT64(1);
	revenue = PG_GETARG_NUMERIC(2);
	clv_metrics_check_row(orders, revenue);
	metrics_add_count(&st->customers, 1);
	metrics_add_count(&st->orders, orders);
	st->repeaters += orders > 1;
	metrics_add_revenue(st, aggcxt, revenue);
	PG_RETURN_POINTER(st);
}

/* Combine two partial states. */
Datum
clv_metrics_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "clv_metrics_combine");
	MetricsState *a = clv_state_arg(fcinfo, 0, CLV_MAGIC_METRICS, "clv_metrics_combine");
	MetricsState *b = clv_state_arg(fcinfo, 1, CLV_MAGIC_METRICS, "clv_metrics_combine");

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = metrics_state_new(aggcxt);
	metrics_add_count(&a->customers, b->customers);
	metrics_add_count(&a->orders, b->orders);
	metrics_add_count(&a->repeaters, b->repeaters);
	metrics_add_revenue(a, aggcxt, b->revenue);
	PG_RETURN_POINTER(a);
}

/* Serialise: header, three counts, then the revenue in numeric's send format. */
Datum
clv_metrics_serialize(PG_FUNCTION_ARGS)
{
	MetricsState *st;
	int64		counts[3];
	bytea	   *nbytes;
	Size		nlen;
	bytea	   *out;

	(void) qy_aggregate_context(fcinfo, "clv_metrics_serialize");
	st = clv_state_arg(fcinfo, 0, CLV_MAGIC_METRICS, "clv_metrics_serialize");
	counts[0] = st->customers;
	counts[1] = st->orders;
	counts[2] = st->repeaters;
	nbytes = DatumGetByteaPP(DirectFunctionCall1(numeric_send, NumericGetDatum(st->revenue)));
	nlen = VARSIZE_ANY_EXHDR(nbytes);
	out = palloc(VARHDRSZ + sizeof(ClvWireHeader) + sizeof(counts) + nlen);
	SET_VARSIZE(out, VARHDRSZ + sizeof(ClvWireHeader) + sizeof(counts) + nlen);
	clv_wire_header(VARDATA(out), CLV_MAGIC_METRICS);
	memcpy(VARDATA(out) + sizeof(ClvWireHeader), counts, sizeof(counts));
	memcpy(VARDATA(out) + sizeof(ClvWireHeader) + sizeof(counts), VARDATA_ANY(nbytes), nlen);
	PG_RETURN_BYTEA_P(out);
}

/* Rebuild a state from clv_metrics_serialize's bytes, validating every field. */
Datum
clv_metrics_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "clv_metrics_deserialize");
	int64		counts[3];
	const char *data = clv_wire_check(in, CLV_MAGIC_METRICS, sizeof(counts) + 1,
									  "clv_metrics_deserialize");
	Size		nlen = VARSIZE_ANY_EXHDR(in) - sizeof(ClvWireHeader) - sizeof(counts);
	MetricsState *st;
	StringInfoData buf;
	Numeric		n;

	memcpy(counts, data, sizeof(counts));
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, data + sizeof(counts), nlen);
	/* numeric_recv validates the digits; the sum of finite revenues is finite. */
	n = DatumGetNumeric(DirectFunctionCall3(numeric_recv, PointerGetDatum(&buf),
											ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	if (counts[0] < 0 || counts[1] < counts[0] || counts[2] < 0 || counts[2] > counts[0] ||
		buf.cursor != buf.len || numeric_is_nan(n) || numeric_is_inf(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid state for clv_metrics_deserialize: counts or revenue out of range"),
				 errdetail("The bytes were not serialised by clv_metrics_agg.")));
	st = MemoryContextAllocZero(aggcxt, sizeof(MetricsState));
	st->magic = CLV_MAGIC_METRICS;
	st->customers = counts[0];
	st->orders = counts[1];
	st->repeaters = counts[2];
	st->revenue = MemoryContextAlloc(aggcxt, VARSIZE(n));
	memcpy(st->revenue, n, VARSIZE(n));
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

	(void) qy_aggregate_context(fcinfo, "clv_metrics_final");
	st = clv_state_arg(fcinfo, 0, CLV_MAGIC_METRICS, "clv_metrics_final");
	if (st == NULL || st->customers == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(clv_metrics_datum(fcinfo, st->customers, st->orders, st->repeaters, st->revenue));
}

/*
 * The clv_metrics composite of the counts and revenue (customers > 0), for
 * the calling final function (both forms of clv_metrics_agg).
 */
Datum
clv_metrics_datum(FunctionCallInfo fcinfo, int64 customers, int64 orders, int64 repeaters,
				  Numeric revenue)
{
	TupleDesc	desc;
	Datum		values[7];
	bool		nulls[7] = {0};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "clv_metrics_final must return a composite type");
	desc = BlessTupleDesc(desc);
	values[0] = Int64GetDatum(customers);
	values[1] = Int64GetDatum(orders);
	values[2] = NumericGetDatum(revenue);
	values[3] = numeric_per(revenue, orders);
	values[4] = Float8GetDatum((double) orders / customers);
	values[5] = Float8GetDatum((double) repeaters / customers);
	values[6] = numeric_per(revenue, customers);
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}
