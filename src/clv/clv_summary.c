/*
 * clv_summary.c
 *	  clv_summary_agg(ts, amount, calibration_end, unit): one customer's
 *	  (frequency, recency, T, monetary_value) in the conventions of the
 *	  BG/NBD and Gamma-Gamma literature.
 *
 * Purchases on one calendar day (session time zone) are one occasion whose
 * value is the day's sum; frequency counts repeat occasions; recency and T
 * run from the first occasion's day, in units of `unit`; monetary_value is
 * the mean of the repeat occasions only.  Purchases after calibration_end
 * are ignored.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "clv.h"

PG_FUNCTION_INFO_V1(clv_summary_trans);
PG_FUNCTION_INFO_V1(clv_summary_combine);
PG_FUNCTION_INFO_V1(clv_summary_serialize);
PG_FUNCTION_INFO_V1(clv_summary_deserialize);
PG_FUNCTION_INFO_V1(clv_summary_final);

/* One purchase: its day and value. */
typedef struct SummaryItem
{
	int32		day;
	double		amount;
} SummaryItem;

typedef struct SummaryState
{
	TimestampTz cal_end;
	int32		cal_day;		/* calibration_end's date */
	double		unit_days;
	int64		n;
	int64		cap;
	SummaryItem *items;
} SummaryState;

/* Serialised header; n SummaryItems follow. */
typedef struct SummaryWire
{
	int64		cal_end;
	int64		n;
	double		unit_days;
	int32		cal_day;
	int32		pad;
} SummaryWire;

/* The calendar date of a timestamptz in the session time zone. */
static int32
ts_day(TimestampTz ts)
{
	return DatumGetDateADT(DirectFunctionCall1(timestamptz_date, TimestampTzGetDatum(ts)));
}

/* An interval's length in days (a month counts 30 days, as in interval arithmetic). */
static double
unit_in_days(const Interval *u)
{
	double		days = u->month * (double) DAYS_PER_MONTH + u->day +
		(double) u->time / USECS_PER_DAY;

	if (!(days > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unit must be a positive interval, got %s",
						DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(u)))),
				 errdetail("Recency and T are expressed as multiples of unit, e.g. '7 days' for weeks.")));
	return days;
}

/* A new empty state in the aggregate context. */
static SummaryState *
summary_state_new(MemoryContext aggcxt, TimestampTz cal_end, double unit_days)
{
	SummaryState *st = MemoryContextAllocZero(aggcxt, sizeof(SummaryState));

	st->cal_end = cal_end;
	st->cal_day = ts_day(cal_end);
	st->unit_days = unit_days;
	st->cap = 8;
	st->items = MemoryContextAllocHuge(aggcxt, sizeof(SummaryItem) * st->cap);
	return st;
}

/* Append one purchase. */
static void
summary_append(SummaryState *st, int32 day, double amount)
{
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->items = repalloc_huge(st->items, sizeof(SummaryItem) * st->cap);
	}
	st->items[st->n].day = day;
	st->items[st->n].amount = amount;
	st->n++;
}

/* Error unless two states agree on calibration_end and unit. */
static void
summary_check_same(const SummaryState *st, TimestampTz cal_end, double unit_days)
{
	if (st->cal_end != cal_end || st->unit_days != unit_days)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("calibration_end and unit must be the same for every row of a group"),
				 errdetail("One customer's summary needs a single calibration period and time unit.")));
}

/* Transition: one purchase; NULL ts or amount and purchases after calibration_end are skipped. */
Datum
clv_summary_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	SummaryState *st;
	TimestampTz cal_end;
	double		unit_days;
	double		amount;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "clv_summary_trans called in non-aggregate context");
	if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("calibration_end and unit must not be null"),
				 errdetail("The summary is measured up to calibration_end in units of unit.")));
	cal_end = PG_GETARG_TIMESTAMPTZ(3);
	unit_days = unit_in_days(PG_GETARG_INTERVAL_P(4));
	if (PG_ARGISNULL(0))
		st = summary_state_new(aggcxt, cal_end, unit_days);
	else
		st = (SummaryState *) PG_GETARG_POINTER(0);
	summary_check_same(st, cal_end, unit_days);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_GETARG_TIMESTAMPTZ(1) > cal_end)
		PG_RETURN_POINTER(st);
	amount = DatumGetFloat8(DirectFunctionCall1(numeric_float8, PG_GETARG_DATUM(2)));
	if (!isfinite(amount))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must be a finite number, got %g", amount),
				 errdetail("Order amounts are summed into occasion values.")));
	summary_append(st, ts_day(PG_GETARG_TIMESTAMPTZ(1)), amount);
	PG_RETURN_POINTER(st);
}

/* Combine: concatenate the purchases of two partial states. */
Datum
clv_summary_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	SummaryState *a;
	SummaryState *b;
	int64		i;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "clv_summary_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	b = (SummaryState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
		a = summary_state_new(aggcxt, b->cal_end, b->unit_days);
	else
		a = (SummaryState *) PG_GETARG_POINTER(0);
	summary_check_same(a, b->cal_end, b->unit_days);
	for (i = 0; i < b->n; i++)
		summary_append(a, b->items[i].day, b->items[i].amount);
	PG_RETURN_POINTER(a);
}

/* Serialise: header then the purchases. */
Datum
clv_summary_serialize(PG_FUNCTION_ARGS)
{
	SummaryState *st = (SummaryState *) PG_GETARG_POINTER(0);
	SummaryWire w = {0};
	Size		len = VARHDRSZ + sizeof(SummaryWire) + sizeof(SummaryItem) * st->n;
	bytea	   *out = palloc_extended(len, MCXT_ALLOC_HUGE);

	w.cal_end = st->cal_end;
	w.n = st->n;
	w.unit_days = st->unit_days;
	w.cal_day = st->cal_day;
	SET_VARSIZE(out, len);
	memcpy(VARDATA(out), &w, sizeof(SummaryWire));
	memcpy(VARDATA(out) + sizeof(SummaryWire), st->items, sizeof(SummaryItem) * st->n);
	PG_RETURN_BYTEA_P(out);
}

/* Rebuild a state from clv_summary_serialize's bytes. */
Datum
clv_summary_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	SummaryState *st;
	SummaryWire w;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "clv_summary_deserialize called in non-aggregate context");
	if (VARSIZE_ANY_EXHDR(in) < sizeof(SummaryWire))
		elog(ERROR, "invalid clv_summary_agg state: too short");
	memcpy(&w, VARDATA_ANY(in), sizeof(SummaryWire));
	if (w.n < 0 || VARSIZE_ANY_EXHDR(in) != sizeof(SummaryWire) + sizeof(SummaryItem) * w.n)
		elog(ERROR, "invalid clv_summary_agg state: length does not match count");
	st = MemoryContextAllocZero(aggcxt, sizeof(SummaryState));
	st->cal_end = w.cal_end;
	st->cal_day = w.cal_day;
	st->unit_days = w.unit_days;
	st->n = w.n;
	st->cap = Max(w.n, 1);
	st->items = MemoryContextAllocHuge(aggcxt, sizeof(SummaryItem) * st->cap);
	memcpy(st->items, VARDATA_ANY(in) + sizeof(SummaryWire), sizeof(SummaryItem) * w.n);
	PG_RETURN_POINTER(st);
}

/*
 * qsort order by day, then amount: a day's amounts are then added in the
 * same order whatever order the rows arrived in (serial or parallel plan),
 * so the floating-point result does not depend on the plan.
 */
static int
item_cmp(const void *pa, const void *pb)
{
	const SummaryItem *a = pa;
	const SummaryItem *b = pb;

	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return a->amount < b->amount ? -1 : (a->amount > b->amount ? 1 : 0);
}

/* Final: the clv_summary composite, or NULL without purchases in the calibration period. */
Datum
clv_summary_final(PG_FUNCTION_ARGS)
{
	SummaryState *st;
	SummaryItem *items;
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {0};
	int64		i,
				occasions = 0;
	int32		first_day,
				last_day = 0;
	double		repeat_value = 0.0,
				day_value = 0.0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (SummaryState *) PG_GETARG_POINTER(0);
	if (st->n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "clv_summary_final must return a composite type");
	desc = BlessTupleDesc(desc);

	/* Sort a copy: a final function must leave the state as it found it. */
	items = palloc_extended(sizeof(SummaryItem) * st->n, MCXT_ALLOC_HUGE);
	memcpy(items, st->items, sizeof(SummaryItem) * st->n);
	qsort(items, st->n, sizeof(SummaryItem), item_cmp);
	first_day = items[0].day;
	for (i = 0; i < st->n; i++)
	{
		if (i == 0 || items[i].day != last_day)
		{
			/* Close the previous occasion; only repeat occasions count towards monetary value. */
			if (occasions > 1)
				repeat_value += day_value;
			occasions++;
			last_day = items[i].day;
			day_value = 0.0;
		}
		day_value += items[i].amount;
	}
	if (occasions > 1)
		repeat_value += day_value;

	values[0] = Int32GetDatum((int32) (occasions - 1));
	values[1] = Float8GetDatum((last_day - first_day) / st->unit_days);
	values[2] = Float8GetDatum((st->cal_day - first_day) / st->unit_days);
	values[3] = Float8GetDatum(occasions > 1 ? repeat_value / (occasions - 1) : 0.0);
	pfree(items);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
