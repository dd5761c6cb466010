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
#include "common/sql_safety.h"
#include "miscadmin.h"

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
	uint32		magic;			/* CLV_MAGIC_SUMMARY */
	TimestampTz cal_end;
	int32		cal_day;		/* calibration_end's date */
	double		unit_days;
	int64		n;
	int64		cap;
	SummaryItem *items;
} SummaryState;

/* Serialised state after the ClvWireHeader; n SummaryItems follow. */
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

	if (!(days > 0) || !isfinite(days))
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

	st->magic = CLV_MAGIC_SUMMARY;
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

/*
 * Transition: one purchase; NULL ts or amount and purchases after
 * calibration_end are skipped.  Infinite timestamps are errors: their day
 * numbers are sentinels, and subtracting them gave recencies of minus two
 * billion days before 0.2.0.
 */
Datum
clv_summary_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "clv_summary_trans");
	SummaryState *st = clv_state_arg(fcinfo, 0, CLV_MAGIC_SUMMARY, "clv_summary_trans");
	TimestampTz cal_end;
	TimestampTz ts;
	double		unit_days;
	double		amount;

	if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("calibration_end and unit must not be null"),
				 errdetail("The summary is measured up to calibration_end in units of unit.")));
	cal_end = clv_arg_timestamp(fcinfo, 3, "calibration_end");
	unit_days = unit_in_days(PG_GETARG_INTERVAL_P(4));
	if (st == NULL)
		st = summary_state_new(aggcxt, cal_end, unit_days);
	summary_check_same(st, cal_end, unit_days);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	ts = clv_arg_timestamp(fcinfo, 1, "ts");
	if (ts > cal_end)
		PG_RETURN_POINTER(st);
	amount = DatumGetFloat8(DirectFunctionCall1(numeric_float8, PG_GETARG_DATUM(2)));
	if (!isfinite(amount))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must be a finite number, got %g", amount),
				 errdetail("Order amounts are summed into occasion values.")));
	summary_append(st, ts_day(ts), amount);
	PG_RETURN_POINTER(st);
}

/* Combine: concatenate the purchases of two partial states. */
Datum
clv_summary_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "clv_summary_combine");
	SummaryState *a = clv_state_arg(fcinfo, 0, CLV_MAGIC_SUMMARY, "clv_summary_combine");
	SummaryState *b = clv_state_arg(fcinfo, 1, CLV_MAGIC_SUMMARY, "clv_summary_combine");
	int64		i;

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = summary_state_new(aggcxt, b->cal_end, b->unit_days);
	summary_check_same(a, b->cal_end, b->unit_days);
	for (i = 0; i < b->n; i++)
	{
		summary_append(a, b->items[i].day, b->items[i].amount);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_POINTER(a);
}

/* Serialise: header then the purchases. */
Datum
clv_summary_serialize(PG_FUNCTION_ARGS)
{
	SummaryState *st;
	SummaryWire w = {0};
	Size		len;
	bytea	   *out;

	(void) qy_aggregate_context(fcinfo, "clv_summary_serialize");
	st = clv_state_arg(fcinfo, 0, CLV_MAGIC_SUMMARY, "clv_summary_serialize");
	len = VARHDRSZ + sizeof(ClvWireHeader) + sizeof(SummaryWire) + sizeof(SummaryItem) * st->n;
	out = palloc_extended(len, MCXT_ALLOC_HUGE);
	w.cal_end = st->cal_end;
	w.n = st->n;
	w.unit_days = st->unit_days;
	w.cal_day = st->cal_day;
	SET_VARSIZE(out, len);
	clv_wire_header(VARDATA(out), CLV_MAGIC_SUMMARY);
	memcpy(VARDATA(out) + sizeof(ClvWireHeader), &w, sizeof(SummaryWire));
	memcpy(VARDATA(out) + sizeof(ClvWireHeader) + sizeof(SummaryWire), st->items,
		   sizeof(SummaryItem) * st->n);
	PG_RETURN_BYTEA_P(out);
}

/* Error about serialised clv_summary_agg bytes. */
static void
summary_wire_invalid(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid state for clv_summary_deserialize: %s", what),
			 errdetail("The bytes were not serialised by clv_summary_agg.")));
}

/* Rebuild a state from clv_summary_serialize's bytes, validating every field. */
Datum
clv_summary_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "clv_summary_deserialize");
	const char *data = clv_wire_check(in, CLV_MAGIC_SUMMARY, sizeof(SummaryWire),
									  "clv_summary_deserialize");
	Size		avail = VARSIZE_ANY_EXHDR(in) - sizeof(ClvWireHeader) - sizeof(SummaryWire);
	SummaryState *st;
	SummaryWire w;
	int64		i;

	memcpy(&w, data, sizeof(SummaryWire));
	if (w.n < 0 || avail % sizeof(SummaryItem) != 0 || (uint64) w.n != avail / sizeof(SummaryItem))
		summary_wire_invalid("length does not match count");
	if (TIMESTAMP_NOT_FINITE(w.cal_end) || w.cal_day != ts_day(w.cal_end) ||
		!(w.unit_days > 0) || !isfinite(w.unit_days))
		summary_wire_invalid("calibration_end or unit out of range");
	st = MemoryContextAllocZero(aggcxt, sizeof(SummaryState));
	st->magic = CLV_MAGIC_SUMMARY;
	st->cal_end = w.cal_end;
	st->cal_day = w.cal_day;
	st->unit_days = w.unit_days;
	st->n = w.n;
	st->cap = Max(w.n, 1);
	st->items = MemoryContextAllocHuge(aggcxt, sizeof(SummaryItem) * st->cap);
	memcpy(st->items, data + sizeof(SummaryWire), sizeof(SummaryItem) * w.n);
	for (i = 0; i < w.n; i++)
	{
		/* A purchase is a finite amount on a finite day up to calibration_end. */
		if (!isfinite(st->items[i].amount) || st->items[i].day > st->cal_day ||
			DATE_NOT_FINITE(st->items[i].day) || st->items[i].day < -POSTGRES_EPOCH_JDATE)
			summary_wire_invalid("purchase out of range");
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
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

	(void) qy_aggregate_context(fcinfo, "clv_summary_final");
	st = clv_state_arg(fcinfo, 0, CLV_MAGIC_SUMMARY, "clv_summary_final");
	if (st == NULL || st->n == 0)
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
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
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
	if (!isfinite(repeat_value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("monetary value out of range"),
				 errdetail("The sum of the repeat occasions' amounts exceeds the double precision range.")));
	if (occasions - 1 > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("frequency " INT64_FORMAT " out of range", occasions - 1),
				 errdetail("Frequency is an integer.")));

	/* Day numbers are subtracted in 64 bits. */
	values[0] = Int32GetDatum((int32) (occasions - 1));
	values[1] = Float8GetDatum((double) ((int64) last_day - (int64) first_day) / st->unit_days);
	values[2] = Float8GetDatum((double) ((int64) st->cal_day - (int64) first_day) / st->unit_days);
	values[3] = Float8GetDatum(occasions > 1 ? repeat_value / (occasions - 1) : 0.0);
	pfree(items);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
