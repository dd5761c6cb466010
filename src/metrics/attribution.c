/*
 * attribution.c
 *	  attribution(person_id, ts, touch, amount, model, time_window [, half_life]):
 *	  credit each order to the touches of the same person before it within a
 *	  window (last, first, linear, position 40/20/40, time_decay), summed per
 *	  touch value.
 *
 * Rows are orders (amount not null) and touches (touch not null), grouped by
 * person: the state keeps the current person's touches and orders, and when
 * the person changes it sorts them by time and sweeps the orders with a
 * window of touches [order time - window, order time], adding each order's
 * credit to the totals of the touch values.  So memory is one person's rows
 * plus one line per touch value, and the input is read once.  A bitmap of
 * the persons already flushed refuses input that is not grouped by person
 * (a person flushed twice would have orders credited to half their
 * touches); the same check refuses partial states that share a person, so
 * the combine function is exact whenever the persons are split between
 * partial aggregates (Citus shards distributed by person).
 *
 * doc/measurement.md states the semantics: edges, ties, reuse of touches.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "common/person_id.h"
#include "common/sql_safety.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "audience/audience.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#define ATTR_STATE_MAGIC	0x51594154	/* "QYAT" */
#define ATTR_SERIAL_TAG		0x51594101	/* "QYA", version 1 */

typedef enum AttrModel
{
	ATTR_LAST,
	ATTR_FIRST,
	ATTR_LINEAR,
	ATTR_POSITION,
	ATTR_TIME_DECAY
} AttrModel;

static const char *const attr_model_names[] = {"last", "first", "linear", "position", "time_decay"};

/* One touch value and the credit it has received. */
typedef struct AttrValue
{
	char	   *str;
	int			len;
	uint32		hash;
	int64		orders;			/* orders it got credit from */
	float8		credit;			/* fractional orders */
	float8		gmv;			/* credited amount */
	int64		stamp;			/* the last order that counted it */
} AttrValue;

typedef struct AttrTouch
{
	TimestampTz ts;
	int32		value;			/* index into values */
} AttrTouch;

typedef struct AttrOrder
{
	TimestampTz ts;
	float8		amount;
} AttrOrder;

typedef struct AttrState
{
	uint32		magic;			/* ATTR_STATE_MAGIC */
	bool		configured;		/* model and windows read from a row */
	AttrModel	model;
	Interval	window;
	bool		window_plain;	/* window has no days or months: a fixed duration */
	float8		half_life;		/* time_decay, in microseconds */
	MemoryContext cxt;

	AttrValue  *values;
	int32		nvalues;
	int32		values_cap;
	int32	   *slots;			/* open addressing over values, -1 empty */
	int32		nslots;

	int64		unattributed_orders;
	float8		unattributed_gmv;
	int64		order_seq;

	bool		has_person;
	uint32		person;
	AttrTouch  *touches;
	int64		ntouches;
	int64		touches_cap;
	AttrOrder  *orders;
	int64		norders;
	int64		orders_cap;

	roaring_bitmap_t *persons;	/* persons flushed; freed with cxt */
	MemoryContextCallback free_persons;
} AttrState;

/* Free the CRoaring bitmap when the state's memory goes. */
static void
attr_free_persons(void *arg)
{
	AttrState  *st = (AttrState *) arg;

	if (st->persons != NULL)
		roaring_bitmap_free(st->persons);
	st->persons = NULL;
}

static void
attr_bad_state(const char *fname)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid attribution state in %s", fname),
			 errdetail("The state was not built by the attribution aggregate.")));
}

/* The state argument, checked to be ours. */
static AttrState *
attr_state_arg(FunctionCallInfo fcinfo, int argno, const char *fname)
{
	AttrState  *st;

	if (PG_ARGISNULL(argno))
		return NULL;
	st = (AttrState *) PG_GETARG_POINTER(argno);
	if (st == NULL || st->magic != ATTR_STATE_MAGIC)
		attr_bad_state(fname);
	return st;
}

static AttrState *
attr_state_new(MemoryContext aggcxt)
{
	AttrState  *st = MemoryContextAllocZero(aggcxt, sizeof(AttrState));

	st->magic = ATTR_STATE_MAGIC;
	st->cxt = aggcxt;
	st->values_cap = 16;
	st->values = MemoryContextAlloc(aggcxt, sizeof(AttrValue) * st->values_cap);
	st->nslots = 64;
	st->slots = MemoryContextAlloc(aggcxt, sizeof(int32) * st->nslots);
	memset(st->slots, -1, sizeof(int32) * st->nslots);
	st->touches_cap = 64;
	st->touches = MemoryContextAlloc(aggcxt, sizeof(AttrTouch) * st->touches_cap);
	st->orders_cap = 16;
	st->orders = MemoryContextAlloc(aggcxt, sizeof(AttrOrder) * st->orders_cap);
	st->persons = roaring_bitmap_create();
	if (st->persons == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("The attribution person set could not be allocated.")));
	st->free_persons.func = attr_free_persons;
	st->free_persons.arg = st;
	MemoryContextRegisterResetCallback(aggcxt, &st->free_persons);
	return st;
}

/* Double the hash table of touch values. */
static void
attr_grow_slots(AttrState *st)
{
	int32		n = st->nslots * 2;
	int32	   *slots = MemoryContextAlloc(st->cxt, sizeof(int32) * n);

	memset(slots, -1, sizeof(int32) * n);
	for (int32 i = 0; i < st->nvalues; i++)
	{
		uint32		s = st->values[i].hash & (n - 1);

		while (slots[s] >= 0)
			s = (s + 1) & (n - 1);
		slots[s] = i;
	}
	pfree(st->slots);
	st->slots = slots;
	st->nslots = n;
}

/*
 * The index of touch value str, added when new.  When must_be_new, an
 * existing value is an error (a serialised state naming one value twice).
 */
static int32
attr_value_index(AttrState *st, const char *str, int len, bool must_be_new)
{
	uint32		h = hash_bytes((const unsigned char *) str, len);
	uint32		s = h & (st->nslots - 1);
	AttrValue  *v;

	while (st->slots[s] >= 0)
	{
		v = &st->values[st->slots[s]];
		if (v->hash == h && v->len == len && memcmp(v->str, str, len) == 0)
		{
			if (must_be_new)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						 errmsg("invalid attribution state"),
						 errdetail("A touch value appears twice.")));
			return st->slots[s];
		}
		s = (s + 1) & (st->nslots - 1);
	}
	if (st->nvalues == st->values_cap)
	{
		if (st->values_cap >= (int32) (MaxAllocSize / sizeof(AttrValue) / 2))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct touch values in attribution"),
					 errdetail("At most %d distinct touch values are supported.", st->values_cap)));
		st->values_cap *= 2;
		st->values = repalloc(st->values, sizeof(AttrValue) * st->values_cap);
	}
	v = &st->values[st->nvalues];
	v->str = MemoryContextAlloc(st->cxt, len + 1);
	memcpy(v->str, str, len);
	v->str[len] = '\0';
	v->len = len;
	v->hash = h;
	v->orders = 0;
	v->credit = 0;
	v->gmv = 0;
	v->stamp = -1;
	st->slots[s] = st->nvalues;
	st->nvalues++;
	if (st->nvalues * 2 > st->nslots)
		attr_grow_slots(st);
	return st->nvalues - 1;
}

/* Parse a model name. */
static AttrModel
attr_parse_model(text *t)
{
	char	   *name = text_to_cstring(t);

	for (int i = 0; i < (int) lengthof(attr_model_names); i++)
		if (strcmp(name, attr_model_names[i]) == 0)
			return (AttrModel) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown attribution model \"%s\"", name),
			 errhint("Use last, first, linear, position or time_decay.")));
	pg_unreachable();
}

/* Is the interval below zero? */
static bool
attr_interval_negative(Interval *iv)
{
	Interval	zero = {0, 0, 0};

	return DatumGetBool(DirectFunctionCall2(interval_lt, IntervalPGetDatum(iv),
											IntervalPGetDatum(&zero)));
}

/* Read model, window and half-life from the first row. */
static void
attr_configure(AttrState *st, FunctionCallInfo fcinfo)
{
	Interval   *window;

	if (PG_ARGISNULL(5) || PG_ARGISNULL(6))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("attribution model and time_window must not be null")));
	st->model = attr_parse_model(PG_GETARG_TEXT_PP(5));
	window = PG_GETARG_INTERVAL_P(6);
	if (attr_interval_negative(window))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attribution time_window must not be negative"),
				 errdetail("The window is %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(window))))));
	st->window = *window;
	st->window_plain = (window->month == 0 && window->day == 0);
	if (PG_NARGS() > 7)
	{
		Interval   *hl;
		float8		us;

		if (PG_ARGISNULL(7))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("attribution half_life must not be null")));
		if (st->model != ATTR_TIME_DECAY)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("attribution half_life applies to the time_decay model only"),
					 errdetail("The model is %s.", attr_model_names[st->model])));
		hl = PG_GETARG_INTERVAL_P(7);
		if (hl->month != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("attribution half_life must not have months"),
					 errdetail("A month has no fixed length."),
					 errhint("Give the half-life in days or hours.")));
		us = (float8) hl->day * USECS_PER_DAY + (float8) hl->time;
		if (!(us > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("attribution half_life must be positive"),
					 errdetail("The half-life is %s.",
							   DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(hl))))));
		st->half_life = us;
	}
	else if (st->model == ATTR_TIME_DECAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attribution model time_decay needs a half_life"),
				 errhint("Call attribution(person_id, ts, touch, amount, 'time_decay', time_window, half_life).")));
	st->configured = true;
}

/* Refuse a later row whose model or windows differ from the first row's. */
static void
attr_check_same_config(AttrState *st, FunctionCallInfo fcinfo)
{
	bool		same = true;

	if (!get_fn_expr_arg_stable(fcinfo->flinfo, 5))
		same = !PG_ARGISNULL(5) && attr_parse_model(PG_GETARG_TEXT_PP(5)) == st->model;
	if (same && !get_fn_expr_arg_stable(fcinfo->flinfo, 6))
	{
		Interval   *w = PG_ARGISNULL(6) ? NULL : PG_GETARG_INTERVAL_P(6);

		same = w != NULL && w->time == st->window.time && w->day == st->window.day &&
			w->month == st->window.month;
	}
	if (same && PG_NARGS() > 7 && !get_fn_expr_arg_stable(fcinfo->flinfo, 7))
	{
		Interval   *hl = PG_ARGISNULL(7) ? NULL : PG_GETARG_INTERVAL_P(7);

		same = hl != NULL && hl->month == 0 &&
			(float8) hl->day * USECS_PER_DAY + (float8) hl->time == st->half_life;
	}
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attribution model, time_window and half_life must be the same on every row of a group")));
}

/* Order touches by time, then by value in byte order (doc/measurement.md). */
static int
attr_touch_cmp(const void *a, const void *b, void *arg)
{
	const AttrTouch *x = (const AttrTouch *) a;
	const AttrTouch *y = (const AttrTouch *) b;
	AttrState  *st = (AttrState *) arg;
	const AttrValue *vx,
			   *vy;
	int			c;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->value == y->value)
		return 0;
	vx = &st->values[x->value];
	vy = &st->values[y->value];
	c = memcmp(vx->str, vy->str, Min(vx->len, vy->len));
	if (c != 0)
		return c;
	return vx->len < vy->len ? -1 : (vx->len > vy->len ? 1 : 0);
}

static int
attr_order_cmp(const void *a, const void *b)
{
	const AttrOrder *x = (const AttrOrder *) a;
	const AttrOrder *y = (const AttrOrder *) b;

	return x->ts < y->ts ? -1 : (x->ts > y->ts ? 1 : 0);
}

/* Credit weight w of order (seq, amount) to touch value i. */
static inline void
attr_credit(AttrState *st, int32 i, float8 w, float8 amount)
{
	AttrValue  *v = &st->values[i];

	v->credit += w;
	v->gmv += w * amount;
	if (v->stamp != st->order_seq)
	{
		v->stamp = st->order_seq;
		v->orders++;
	}
}

/* The earliest touch time that still counts for an order at ts. */
static TimestampTz
attr_window_start(AttrState *st, TimestampTz ts)
{
	if (st->window_plain)
	{
		TimestampTz start;

		if (pg_sub_s64_overflow(ts, st->window.time, &start))
			return PG_INT64_MIN;
		return start;
	}
	/* Days and months count as in SQL's ts - window (time zone, calendar). */
	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
												   TimestampTzGetDatum(ts),
												   IntervalPGetDatum(&st->window)));
}

/* Credit the orders of the current person and clear the buffers. */
static void
attr_flush(AttrState *st)
{
	int64		lo = 0,
				hi = 0;

	if (!st->has_person)
		return;
	if (st->ntouches > 1)
		qsort_arg(st->touches, st->ntouches, sizeof(AttrTouch), attr_touch_cmp, st);
	if (st->norders > 1)
		qsort(st->orders, st->norders, sizeof(AttrOrder), attr_order_cmp);
	for (int64 k = 0; k < st->norders; k++)
	{
		AttrOrder  *o = &st->orders[k];
		TimestampTz start;
		int64		n;

		/* an order can cost a pass over millions of touches: check each */
		CHECK_FOR_INTERRUPTS();
		while (hi < st->ntouches && st->touches[hi].ts <= o->ts)
			hi++;
		/* infinite order times have no window; no touch counts */
		if (TIMESTAMP_NOT_FINITE(o->ts))
			n = 0;
		else
		{
			start = attr_window_start(st, o->ts);
			while (lo < hi && st->touches[lo].ts < start)
				lo++;
			n = hi - lo;
		}
		st->order_seq++;
		if (n == 0)
		{
			st->unattributed_orders++;
			st->unattributed_gmv += o->amount;
			continue;
		}
		switch (st->model)
		{
			case ATTR_LAST:
				attr_credit(st, st->touches[hi - 1].value, 1.0, o->amount);
				break;
			case ATTR_FIRST:
				attr_credit(st, st->touches[lo].value, 1.0, o->amount);
				break;
			case ATTR_LINEAR:
				for (int64 j = lo; j < hi; j++)
					attr_credit(st, st->touches[j].value, 1.0 / (float8) n, o->amount);
				break;
			case ATTR_POSITION:
				if (n == 1)
					attr_credit(st, st->touches[lo].value, 1.0, o->amount);
				else if (n == 2)
				{
					attr_credit(st, st->touches[lo].value, 0.5, o->amount);
					attr_credit(st, st->touches[lo + 1].value, 0.5, o->amount);
				}
				else
				{
					attr_credit(st, st->touches[lo].value, 0.4, o->amount);
					for (int64 j = lo + 1; j < hi - 1; j++)
						attr_credit(st, st->touches[j].value, 0.2 / (float8) (n - 2), o->amount);
					attr_credit(st, st->touches[hi - 1].value, 0.4, o->amount);
				}
				break;
			case ATTR_TIME_DECAY:
				{
					/* weights relative to the latest touch, which weighs 1 */
					TimestampTz latest = st->touches[hi - 1].ts;
					float8		total = 0;

					for (int64 j = lo; j < hi; j++)
						total += exp2(-((float8) (latest - st->touches[j].ts)) / st->half_life);
					for (int64 j = lo; j < hi; j++)
						attr_credit(st, st->touches[j].value,
									exp2(-((float8) (latest - st->touches[j].ts)) / st->half_life) / total,
									o->amount);
				}
				break;
		}
	}
	if (!roaring_bitmap_add_checked(st->persons, st->person))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attribution rows of person %u are not together", st->person),
				 errdetail("The rows of one person came apart, around other persons' rows."),
				 errhint("Add ORDER BY person_id inside the call: attribution(... ORDER BY person_id).")));
	st->has_person = false;
	st->ntouches = 0;
	st->norders = 0;
}

/* Grow a buffer of n elements of size sz. */
static void *
attr_grow(void *buf, int64 *cap, Size sz)
{
	*cap *= 2;
	return repalloc_huge(buf, (Size) *cap * sz);
}

PG_FUNCTION_INFO_V1(attribution_trans);
/*
 * Transition: (person_id, ts, touch, amount, model, time_window [, half_life]).
 * A row with an amount is an order, a row with a touch is a touch.
 */
Datum
attribution_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "attribution_trans");
	AttrState  *st = attr_state_arg(fcinfo, 0, "attribution_trans");
	bool		is_touch = !PG_ARGISNULL(3);
	bool		is_order = !PG_ARGISNULL(4);
	uint32		person;
	TimestampTz ts;

	if (PG_NARGS() < 7)
		attr_bad_state("attribution_trans");
	if (st == NULL)
	{
		st = attr_state_new(aggcxt);
		attr_configure(st, fcinfo);
	}
	else
		attr_check_same_config(st, fcinfo);

	if (is_touch && is_order)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an attribution row cannot be both a touch and an order"),
				 errdetail("The row has touch \"%s\" and amount %g.",
						   text_to_cstring(PG_GETARG_TEXT_PP(3)), PG_GETARG_FLOAT8(4)),
				 errhint("Pass NULL as the touch of an order row and as the amount of a touch row.")));
	if (!is_touch && !is_order)
		PG_RETURN_POINTER(st);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		/* an order of no known person, or at no time, has no touches */
		if (is_order)
		{
			st->unattributed_orders++;
			st->unattributed_gmv += PG_GETARG_FLOAT8(4);
		}
		PG_RETURN_POINTER(st);
	}
	person = person_id_from_int64(PG_GETARG_INT64(1));
	ts = PG_GETARG_TIMESTAMPTZ(2);
	if (!st->has_person || person != st->person)
	{
		attr_flush(st);
		if (roaring_bitmap_contains(st->persons, person))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("attribution rows of person %u are not together", person),
					 errdetail("The rows of one person came apart, around other persons' rows."),
					 errhint("Add ORDER BY person_id inside the call: attribution(... ORDER BY person_id).")));
		st->has_person = true;
		st->person = person;
	}
	if (is_touch)
	{
		text	   *t = PG_GETARG_TEXT_PP(3);

		if (st->ntouches == st->touches_cap)
			st->touches = attr_grow(st->touches, &st->touches_cap, sizeof(AttrTouch));
		st->touches[st->ntouches].ts = ts;
		st->touches[st->ntouches].value = attr_value_index(st, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), false);
		st->ntouches++;
	}
	else
	{
		if (st->norders == st->orders_cap)
			st->orders = attr_grow(st->orders, &st->orders_cap, sizeof(AttrOrder));
		st->orders[st->norders].ts = ts;
		st->orders[st->norders].amount = PG_GETARG_FLOAT8(4);
		st->norders++;
	}
	PG_RETURN_POINTER(st);
}

/* Add the totals of b into a; a person in both is an error. */
static void
attr_merge(AttrState *a, AttrState *b)
{
	if (roaring_bitmap_intersect(a->persons, b->persons))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attribution rows of one person reached two partial aggregates"),
				 errdetail("Each person's rows must be aggregated together."),
				 errhint("Distribute the rows by person_id, or add ORDER BY person_id inside the call.")));
	roaring_bitmap_or_inplace(a->persons, b->persons);
	for (int32 i = 0; i < b->nvalues; i++)
	{
		AttrValue  *bv = &b->values[i];
		AttrValue  *av = &a->values[attr_value_index(a, bv->str, bv->len, false)];

		av->orders += bv->orders;
		av->credit += bv->credit;
		av->gmv += bv->gmv;
	}
	a->unattributed_orders += b->unattributed_orders;
	a->unattributed_gmv += b->unattributed_gmv;
}

PG_FUNCTION_INFO_V1(attribution_combine);
/* Combine two partial states whose persons are disjoint. */
Datum
attribution_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "attribution_combine");
	AttrState  *a = attr_state_arg(fcinfo, 0, "attribution_combine");
	AttrState  *b = attr_state_arg(fcinfo, 1, "attribution_combine");

	if (b == NULL)
		PG_RETURN_POINTER(a);
	attr_flush(b);
	if (a == NULL)
	{
		a = attr_state_new(aggcxt);
		a->model = b->model;
		a->configured = b->configured;
		a->window = b->window;
		a->window_plain = b->window_plain;
		a->half_life = b->half_life;
	}
	attr_flush(a);
	attr_merge(a, b);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(attribution_serialize);
/* Serialise a state: its totals and its persons (portable roaring bytes). */
Datum
attribution_serialize(PG_FUNCTION_ARGS)
{
	AttrState  *st;
	StringInfoData buf;
	Size		bsize;
	char	   *bytes;

	(void) qy_aggregate_context(fcinfo, "attribution_serialize");
	st = attr_state_arg(fcinfo, 0, "attribution_serialize");
	if (st == NULL)
		attr_bad_state("attribution_serialize");
	attr_flush(st);
	pq_begintypsend(&buf);
	pq_sendint32(&buf, ATTR_SERIAL_TAG);
	pq_sendint64(&buf, st->unattributed_orders);
	pq_sendfloat8(&buf, st->unattributed_gmv);
	pq_sendint32(&buf, (uint32) st->nvalues);
	for (int32 i = 0; i < st->nvalues; i++)
	{
		AttrValue  *v = &st->values[i];

		pq_sendint32(&buf, (uint32) v->len);
		pq_sendbytes(&buf, v->str, v->len);
		pq_sendint64(&buf, v->orders);
		pq_sendfloat8(&buf, v->credit);
		pq_sendfloat8(&buf, v->gmv);
	}
	roaring_bitmap_run_optimize(st->persons);
	bsize = roaring_bitmap_portable_size_in_bytes(st->persons);
	bytes = palloc(bsize);
	roaring_bitmap_portable_serialize(st->persons, bytes);
	pq_sendint32(&buf, (uint32) bsize);
	pq_sendbytes(&buf, bytes, bsize);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
attr_bad_bytes(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid attribution state"),
			 errdetail("%s", detail)));
}

/* Read n bytes from a serialised state, or refuse it. */
static const char *
attr_read(StringInfo in, int n)
{
	const char *p;

	if (n < 0 || n > in->len - in->cursor)
		attr_bad_bytes("The state is shorter than its contents.");
	p = in->data + in->cursor;
	in->cursor += n;
	return p;
}

static uint32
attr_read32(StringInfo in)
{
	uint32		v;

	memcpy(&v, attr_read(in, 4), 4);
	return pg_ntoh32(v);
}

static int64
attr_read64(StringInfo in)
{
	uint64		v;

	memcpy(&v, attr_read(in, 8), 8);
	return (int64) pg_ntoh64(v);
}

static float8
attr_readf8(StringInfo in)
{
	union
	{
		int64		i;
		float8		f;
	}			u;

	u.i = attr_read64(in);
	return u.f;
}

PG_FUNCTION_INFO_V1(attribution_deserialize);
/* Rebuild a state from attribution_serialize's bytes, checking every field. */
Datum
attribution_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "attribution_deserialize");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData in;
	AttrState  *st;
	uint32		nvalues;
	uint32		blen;
	roaring_bitmap_t *persons;

	in.data = VARDATA_ANY(b);
	in.len = VARSIZE_ANY_EXHDR(b);
	in.cursor = 0;
	if (attr_read32(&in) != ATTR_SERIAL_TAG)
		attr_bad_bytes("The state does not start with the attribution tag.");
	st = attr_state_new(aggcxt);
	st->configured = true;
	st->unattributed_orders = attr_read64(&in);
	st->unattributed_gmv = attr_readf8(&in);
	if (st->unattributed_orders < 0)
		attr_bad_bytes("The count of unattributed orders is negative.");
	nvalues = attr_read32(&in);
	if (nvalues > (uint32) (in.len - in.cursor) / 28)
		attr_bad_bytes("The state is shorter than its touch values.");
	for (uint32 i = 0; i < nvalues; i++)
	{
		uint32		len = attr_read32(&in);
		const char *s;
		AttrValue  *v;

		CHECK_FOR_INTERRUPTS();
		if (len > (uint32) (in.len - in.cursor))
			attr_bad_bytes("The state is shorter than its touch values.");
		s = attr_read(&in, (int) len);
		if (!pg_verifymbstr(s, (int) len, true) || memchr(s, '\0', len) != NULL)
			attr_bad_bytes("A touch value is not valid text.");
		v = &st->values[attr_value_index(st, s, (int) len, true)];
		v->orders = attr_read64(&in);
		v->credit = attr_readf8(&in);
		v->gmv = attr_readf8(&in);
		if (v->orders < 0)
			attr_bad_bytes("A count of orders is negative.");
	}
	blen = attr_read32(&in);
	if (blen != (uint32) (in.len - in.cursor))
		attr_bad_bytes("The person set does not end the state.");
	persons = audience_portable_load(attr_read(&in, (int) blen), blen, ERRCODE_INVALID_BINARY_REPRESENTATION);
	roaring_bitmap_free(st->persons);
	st->persons = persons;
	PG_RETURN_POINTER(st);
}

/* Sort values by their bytes for the result. */
static int
attr_value_cmp(const void *a, const void *b, void *arg)
{
	const AttrValue *x = &((AttrState *) arg)->values[*(const int32 *) a];
	const AttrValue *y = &((AttrState *) arg)->values[*(const int32 *) b];
	int			c = memcmp(x->str, y->str, Min(x->len, y->len));

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : (x->len > y->len ? 1 : 0);
}

PG_FUNCTION_INFO_V1(attribution_final);
/*
 * Final: an attribution_credit[] with one element per touch value that
 * received credit, in byte order, then the unattributed orders (touch NULL).
 */
Datum
attribution_final(PG_FUNCTION_ARGS)
{
	AttrState  *st;
	Oid			elemtype;
	TupleDesc	desc;
	int32	   *order;
	int			n = 0;
	Datum	   *elems;

	(void) qy_aggregate_context(fcinfo, "attribution_final");
	st = attr_state_arg(fcinfo, 0, "attribution_final");
	if (st == NULL)
		PG_RETURN_NULL();
	attr_flush(st);
	elemtype = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	if (!OidIsValid(elemtype))
		elog(ERROR, "attribution_final must return an array");
	desc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	if (desc->natts != 4)
		elog(ERROR, "attribution_final must return an array of attribution_credit");
	order = palloc(sizeof(int32) * (st->nvalues + 1));
	for (int32 i = 0; i < st->nvalues; i++)
		if (st->values[i].orders > 0)
			order[n++] = i;
	if (n > 1)
		qsort_arg(order, n, sizeof(int32), attr_value_cmp, st);
	elems = palloc(sizeof(Datum) * (n + 1));
	for (int i = 0; i <= n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		if (i < n)
		{
			AttrValue  *v = &st->values[order[i]];

			values[0] = PointerGetDatum(cstring_to_text_with_len(v->str, v->len));
			values[1] = Int64GetDatum(v->orders);
			values[2] = Float8GetDatum(v->credit);
			values[3] = Float8GetDatum(v->gmv);
		}
		else
		{
			nulls[0] = true;
			values[0] = (Datum) 0;
			values[1] = Int64GetDatum(st->unattributed_orders);
			values[2] = Float8GetDatum((float8) st->unattributed_orders);
			values[3] = Float8GetDatum(st->unattributed_gmv);
		}
		elems[i] = HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n + 1, elemtype, -1, false, TYPALIGN_DOUBLE));
}
