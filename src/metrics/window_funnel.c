/*
 * window_funnel.c
 *	  window_funnel and window_funnel_times: how deep each person got into an
 *	  ordered funnel of steps within a time window, and when.
 *
 * The state is the list of a person's events, one (timestamp, step mask)
 * per row that meets at least one step (every row in strict_order mode).
 * The final function sorts it and replays ClickHouse's windowFunnel
 * algorithm (doc/metrics.md states the semantics of each mode), keeping for
 * each level the times of the chain that reached it so the step times can
 * be returned.  Events at the same timestamp are ordered by step mask, so
 * the answer does not depend on the order rows arrive in.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "metrics/metrics_util.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#define FUNNEL_MAX_STEPS 64

#define FUNNEL_STRICT_ORDER			0x01
#define FUNNEL_STRICT_INCREASE		0x02
#define FUNNEL_STRICT_DEDUPLICATION 0x04

typedef struct FunnelEvent
{
	int64		ts;
	uint64		mask;			/* bit i: the row meets step i + 1 */
} FunnelEvent;

/* Events kept inside the state itself: most persons have few, and one
 * allocation of 256 bytes per group is what hash aggregation likes best. */
#define FUNNEL_INLINE_EVENTS 13

typedef struct FunnelState
{
	int32		nsteps;
	int32		mode;
	int64		window;			/* microseconds */
	int32		nevents;
	int32		capacity;
	FunnelEvent *events;		/* inline_events, or a separate array once grown */
	FunnelEvent inline_events[FUNNEL_INLINE_EVENTS];
} FunnelState;

/* The replay's answer: the level and the times of its chain. */
typedef struct FunnelResult
{
	int			level;
	int64		times[FUNNEL_MAX_STEPS];
} FunnelResult;

/* The window as microseconds; months are refused (they have no fixed length). */
static int64
funnel_window_usecs(Interval *window)
{
	int64		usecs;

	if (window->month != 0 ||
		pg_mul_s64_overflow((int64) window->day, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, window->time, &usecs) || usecs < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid window_funnel window: \"%s\"",
						DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(window)))),
				 errdetail("The window must be a non-negative interval of days, hours, minutes and seconds, without months or years.")));
	return usecs;
}

/* Parse a mode list such as 'strict_order, strict_increase' into flags. */
static int
funnel_parse_mode(text *mode_text)
{
	char	   *mode = text_to_cstring(mode_text);
	char	   *save = NULL;
	int			flags = 0;

	for (char *tok = strtok_r(mode, ", \t", &save); tok != NULL; tok = strtok_r(NULL, ", \t", &save))
	{
		if (strcmp(tok, "strict_order") == 0)
			flags |= FUNNEL_STRICT_ORDER;
		else if (strcmp(tok, "strict_increase") == 0)
			flags |= FUNNEL_STRICT_INCREASE;
		else if (strcmp(tok, "strict_deduplication") == 0)
			flags |= FUNNEL_STRICT_DEDUPLICATION;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown window_funnel mode: \"%s\"", tok),
					 errhint("Use a comma-separated list of strict_order, strict_increase and strict_deduplication, or ''.")));
	}
	return flags;
}

/* Number of steps in the array, checked against the limits. */
static int
funnel_nsteps(ArrayType *steps)
{
	int			n;

	if (ARR_NDIM(steps) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("window_funnel steps must be a one-dimensional array")));
	n = ArrayGetNItems(ARR_NDIM(steps), ARR_DIMS(steps));
	if (n < 1 || n > FUNNEL_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("window_funnel takes 1 to %d steps, not %d", FUNNEL_MAX_STEPS, n),
				 errdetail("Each step is one bit of a 64-bit mask.")));
	return n;
}

/* A new empty state in the aggregate context. */
static FunnelState *
funnel_state_new(MemoryContext cxt, int nsteps, int mode, int64 window, int capacity)
{
	FunnelState *state = MemoryContextAlloc(cxt, sizeof(FunnelState));

	state->nsteps = nsteps;
	state->mode = mode;
	state->window = window;
	state->nevents = 0;
	if (capacity <= FUNNEL_INLINE_EVENTS)
	{
		state->capacity = FUNNEL_INLINE_EVENTS;
		state->events = state->inline_events;
	}
	else
	{
		state->capacity = capacity;
		state->events = MemoryContextAllocHuge(cxt, sizeof(FunnelEvent) * capacity);
	}
	return state;
}

/* Make room for "more" events. */
static void
funnel_reserve(FunnelState *state, int more)
{
	int64		need = (int64) state->nevents + more;

	if (need <= state->capacity)
		return;
	if (need > (int64) (MaxAllocHugeSize / sizeof(FunnelEvent)) / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many window_funnel events in one group: %lld", (long long) need)));
	while (state->capacity < need)
		state->capacity *= 2;
	if (state->events == state->inline_events)
	{
		state->events = MemoryContextAllocHuge(GetMemoryChunkContext(state),
											   sizeof(FunnelEvent) * state->capacity);
		memcpy(state->events, state->inline_events, sizeof(FunnelEvent) * state->nevents);
	}
	else
		state->events = repalloc_huge(state->events, sizeof(FunnelEvent) * state->capacity);
}

/* Raise an error when two rows or states of a group disagree on the setup. */
static void
funnel_check_same(const FunnelState *state, int nsteps, int mode, int64 window)
{
	if (state->nsteps != nsteps)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window_funnel got %d steps after %d", nsteps, state->nsteps),
				 errdetail("Every row of a group must pass the same number of steps.")));
	if (state->mode != mode || state->window != window)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window_funnel window and mode must be the same for every row of a group")));
}

/*
 * Transition: append the row's event.  Arguments after the state are
 * window, [mode,] ts, steps; modearg is the mode's position or -1.
 */
static Datum
funnel_trans(FunctionCallInfo fcinfo, int modearg)
{
	int			tsarg = modearg < 0 ? 2 : 3;
	MemoryContext aggcxt;
	FunnelState *state;
	ArrayType  *steps;
	int			nsteps;
	uint64		mask;
	int			mode = 0;
	int64		window;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("window_funnel transition function called outside an aggregate")));
	state = PG_ARGISNULL(0) ? NULL : (FunnelState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(tsarg) || PG_ARGISNULL(tsarg + 1))
		PG_RETURN_POINTER(state);
	if (PG_ARGISNULL(1) || (modearg > 0 && PG_ARGISNULL(modearg)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("window_funnel window and mode must not be null")));
	steps = PG_GETARG_ARRAYTYPE_P(tsarg + 1);
	nsteps = funnel_nsteps(steps);
	mask = metrics_bool_mask(steps, nsteps);
	if (state == NULL)
	{
		/* Window and mode are parsed once per group. */
		if (modearg > 0)
			mode = funnel_parse_mode(PG_GETARG_TEXT_PP(modearg));
		window = funnel_window_usecs(PG_GETARG_INTERVAL_P(1));
		state = funnel_state_new(aggcxt, nsteps, mode, window, 0);
	}
	else if (state->nsteps != nsteps)
		funnel_check_same(state, nsteps, state->mode, state->window);
	/* Rows meeting no step matter only to strict_order (they break a chain). */
	if (mask == 0 && (state->mode & FUNNEL_STRICT_ORDER) == 0)
		PG_RETURN_POINTER(state);
	funnel_reserve(state, 1);
	state->events[state->nevents].ts = PG_GETARG_INT64(tsarg);
	state->events[state->nevents].mask = mask;
	state->nevents++;
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(window_funnel_trans);
/* window_funnel(window, ts, VARIADIC steps) transition */
Datum
window_funnel_trans(PG_FUNCTION_ARGS)
{
	return funnel_trans(fcinfo, -1);
}

PG_FUNCTION_INFO_V1(window_funnel_trans_mode);
/* window_funnel(window, mode, ts, VARIADIC steps) transition */
Datum
window_funnel_trans_mode(PG_FUNCTION_ARGS)
{
	return funnel_trans(fcinfo, 2);
}

PG_FUNCTION_INFO_V1(window_funnel_combine);
/* Combine: append the events of the second state to the first. */
Datum
window_funnel_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	FunnelState *a;
	FunnelState *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("window_funnel_combine called outside an aggregate")));
	a = PG_ARGISNULL(0) ? NULL : (FunnelState *) PG_GETARG_POINTER(0);
	b = PG_ARGISNULL(1) ? NULL : (FunnelState *) PG_GETARG_POINTER(1);
	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = funnel_state_new(aggcxt, b->nsteps, b->mode, b->window, b->nevents);
	funnel_check_same(a, b->nsteps, b->mode, b->window);
	funnel_reserve(a, b->nevents);
	memcpy(a->events + a->nevents, b->events, sizeof(FunnelEvent) * b->nevents);
	a->nevents += b->nevents;
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(window_funnel_serialize);
/* Serialise a state for a parallel worker: setup, then the events. */
Datum
window_funnel_serialize(PG_FUNCTION_ARGS)
{
	FunnelState *state = (FunnelState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, state->nsteps);
	pq_sendint32(&buf, state->mode);
	pq_sendint64(&buf, state->window);
	pq_sendint32(&buf, state->nevents);
	for (int i = 0; i < state->nevents; i++)
	{
		pq_sendint64(&buf, state->events[i].ts);
		pq_sendint64(&buf, state->events[i].mask);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(window_funnel_deserialize);
/* Rebuild a state from its serialised form. */
Datum
window_funnel_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	StringInfoData buf;
	FunnelState *state;
	int			nsteps;
	int			mode;
	int64		window;
	int			n;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("window_funnel_deserialize called outside an aggregate")));
	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	nsteps = pq_getmsgint(&buf, 4);
	mode = pq_getmsgint(&buf, 4);
	window = pq_getmsgint64(&buf);
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || (Size) n * 16 != (Size) (buf.len - buf.cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid window_funnel state: %d events in %d bytes", n, buf.len - buf.cursor)));
	state = funnel_state_new(aggcxt, nsteps, mode, window, n);
	for (int i = 0; i < n; i++)
	{
		state->events[i].ts = pq_getmsgint64(&buf);
		state->events[i].mask = (uint64) pq_getmsgint64(&buf);
	}
	state->nevents = n;
	PG_RETURN_POINTER(state);
}

/* Order events by timestamp, then by step mask. */
static int
funnel_event_cmp(const void *a, const void *b)
{
	const FunnelEvent *x = (const FunnelEvent *) a;
	const FunnelEvent *y = (const FunnelEvent *) b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return (x->mask > y->mask) - (x->mask < y->mask);
}

/* Sort the events; insertion sort for the few events most persons have. */
static void
funnel_sort(FunnelEvent *events, int n)
{
	if (n > 16)
	{
		qsort(events, n, sizeof(FunnelEvent), funnel_event_cmp);
		return;
	}
	for (int i = 1; i < n; i++)
	{
		FunnelEvent e = events[i];
		int			j = i - 1;

		while (j >= 0 && funnel_event_cmp(&events[j], &e) > 0)
		{
			events[j + 1] = events[j];
			j--;
		}
		events[j + 1] = e;
	}
}

/* Is ts within the window of start?  Safe at the ends of the int64 range. */
static inline bool
funnel_within(int64 start, int64 ts, int64 window)
{
	int64		diff;

	return !pg_sub_s64_overflow(ts, start, &diff) && diff <= window;
}

/*
 * Replay the sorted events (ClickHouse's windowFunnel).  reached[i] holds
 * the start and the time of the latest chain that reached step i + 1;
 * chain[i] its step times.  Sets the level reached and its step times.
 */
static void
funnel_replay(FunnelState *state, bool want_times, FunnelResult *result)
{
	int			nsteps = state->nsteps;
	bool		strict_order = (state->mode & FUNNEL_STRICT_ORDER) != 0;
	bool		strict_increase = (state->mode & FUNNEL_STRICT_INCREASE) != 0;
	bool		dedup = (state->mode & FUNNEL_STRICT_DEDUPLICATION) != 0;
	int64		start[FUNNEL_MAX_STEPS];
	int64		last[FUNNEL_MAX_STEPS];
	int64	   *chain = want_times ? palloc(sizeof(int64) * nsteps * nsteps) : NULL;
	int			level = 0;		/* steps reached: reached[0..level-1] */
	bool		first_event = false;
	bool		stop = false;
	FunnelEvent *events = palloc(sizeof(FunnelEvent) * Max(state->nevents, 1));

	/* Sort a copy: the final function must leave the state as it found it
	 * (window aggregation calls it, then goes on adding rows). */
	memcpy(events, state->events, sizeof(FunnelEvent) * state->nevents);
	funnel_sort(events, state->nevents);
	for (int e = 0; e < state->nevents && !stop; e++)
	{
		int64		ts = events[e].ts;
		uint64		mask = events[e].mask;

		if ((e & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();

		if (mask == 0)
		{
			/* strict_order: a row meeting no step ends the chain once begun. */
			if (first_event)
				break;
			continue;
		}
		/* Steps of one row from the highest down, so a row advances one level at most. */
		for (int idx = FUNNEL_MAX_STEPS - 1; idx >= 0 && !stop; idx--)
		{
			if ((mask & (((uint64) 1) << idx)) == 0)
				continue;
			if (idx == 0)
			{
				start[0] = last[0] = ts;
				if (chain)
					chain[0] = ts;
				level = Max(level, 1);
				first_event = true;
			}
			else if (dedup && idx < level)
				stop = true;	/* a step repeated: the chain ends here */
			else if (strict_order && first_event && idx > level)
				stop = true;	/* a step out of order */
			else if (idx <= level &&
					 funnel_within(start[idx - 1], ts, state->window) &&
					 (!strict_increase || last[idx - 1] < ts))
			{
				start[idx] = start[idx - 1];
				last[idx] = ts;
				if (chain)
				{
					memcpy(chain + idx * nsteps, chain + (idx - 1) * nsteps, sizeof(int64) * idx);
					chain[idx * nsteps + idx] = ts;
				}
				level = Max(level, idx + 1);
				if (level == nsteps)
					stop = true;
			}
		}
	}
	result->level = level;
	if (chain && level > 0)
		memcpy(result->times, chain + (level - 1) * nsteps, sizeof(int64) * level);
}

PG_FUNCTION_INFO_V1(window_funnel_final);
/* window_funnel final: the deepest step reached, 0 for none. */
Datum
window_funnel_final(PG_FUNCTION_ARGS)
{
	FunnelResult result;

	if (PG_ARGISNULL(0))
		PG_RETURN_INT32(0);
	funnel_replay((FunnelState *) PG_GETARG_POINTER(0), false, &result);
	PG_RETURN_INT32(result.level);
}

/* window_funnel_times final: the step times as an array of elemtype. */
static Datum
funnel_times_final(FunctionCallInfo fcinfo, Oid elemtype)
{
	FunnelResult result;
	Datum		elems[FUNNEL_MAX_STEPS];

	if (PG_ARGISNULL(0))
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(elemtype));
	funnel_replay((FunnelState *) PG_GETARG_POINTER(0), true, &result);
	for (int i = 0; i < result.level; i++)
		elems[i] = Int64GetDatum(result.times[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, result.level, elemtype, 8,
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(window_funnel_times_final);
/* window_funnel_times(..., timestamptz, ...) final */
Datum
window_funnel_times_final(PG_FUNCTION_ARGS)
{
	return funnel_times_final(fcinfo, TIMESTAMPTZOID);
}

PG_FUNCTION_INFO_V1(window_funnel_times_final_ts);
/* window_funnel_times(..., timestamp, ...) final */
Datum
window_funnel_times_final_ts(PG_FUNCTION_ARGS)
{
	return funnel_times_final(fcinfo, TIMESTAMPOID);
}
