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
#include "common/sql_safety.h"
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
#define FUNNEL_ALL_MODES (FUNNEL_STRICT_ORDER | FUNNEL_STRICT_INCREASE | FUNNEL_STRICT_DEDUPLICATION)

/*
 * Tags checked on every use: the first field of a state in memory, and the
 * first word of a serialised state (with its format version in the low
 * byte).  A state another aggregate's transition function built, or bytes
 * that were not written by window_funnel_serialize, are refused.
 */
#define FUNNEL_STATE_MAGIC	0x51595746	/* "QYWF" */
#define FUNNEL_SERIAL_TAG	0x51594601	/* "QYF", version 1 */
#define FUNNEL_SERIAL_HEADER (4 + 4 + 4 + 8 + 4)
#define FUNNEL_SERIAL_EVENT (8 + 8)

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
	uint32		magic;			/* FUNNEL_STATE_MAGIC */
	int32		nsteps;
	int32		mode;
	int32		nevents;
	int64		window;			/* microseconds */
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

/* The bits a step mask of nsteps steps may have. */
static inline uint64
funnel_steps_mask(int nsteps)
{
	return nsteps >= FUNNEL_MAX_STEPS ? ~((uint64) 0) : (((uint64) 1) << nsteps) - 1;
}

/*
 * The state argument argno, or NULL when it is SQL NULL.  Anything but a
 * state of window_funnel_trans (another aggregate's state in a user-defined
 * aggregate mixing support functions, a NULL pointer) is an error.
 */
static FunnelState *
funnel_state_arg(FunctionCallInfo fcinfo, int argno, const char *fname)
{
	FunnelState *state;

	if (PG_ARGISNULL(argno))
		return NULL;
	state = (FunnelState *) PG_GETARG_POINTER(argno);
	if (state == NULL || state->magic != FUNNEL_STATE_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("%s got a state that is not a window_funnel state", fname),
				 errdetail("Its transition function must be window_funnel_trans.")));
	if (state->nsteps < 1 || state->nsteps > FUNNEL_MAX_STEPS ||
		state->nevents < 0 || state->nevents > state->capacity || state->events == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("%s got a damaged window_funnel state", fname),
				 errdetail("The state has %d steps and %d events in room for %d.",
						   state->nsteps, state->nevents, state->capacity)));
	return state;
}

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

	state->magic = FUNNEL_STATE_MAGIC;
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
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "window_funnel_trans");
	FunnelState *state = funnel_state_arg(fcinfo, 0, "window_funnel_trans");
	ArrayType  *steps;
	int			nsteps;
	uint64		mask;
	int			mode = 0;
	int64		window;

	/*
	 * A row with no timestamp or no steps adds no event.  Before the first
	 * event the state stays SQL NULL, never a NULL pointer passed as a value.
	 */
	if (PG_ARGISNULL(tsarg) || PG_ARGISNULL(tsarg + 1))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
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
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "window_funnel_combine");
	FunnelState *a = funnel_state_arg(fcinfo, 0, "window_funnel_combine");
	FunnelState *b = funnel_state_arg(fcinfo, 1, "window_funnel_combine");

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = funnel_state_new(aggcxt, b->nsteps, b->mode, b->window, b->nevents);
	funnel_check_same(a, b->nsteps, b->mode, b->window);
	funnel_reserve(a, b->nevents);
	memcpy(a->events + a->nevents, b->events, sizeof(FunnelEvent) * b->nevents);
	a->nevents += b->nevents;
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(window_funnel_serialize);
/* Serialise a state for a parallel worker: tag, setup, then the events. */
Datum
window_funnel_serialize(PG_FUNCTION_ARGS)
{
	FunnelState *state;
	StringInfoData buf;

	(void) qy_aggregate_context(fcinfo, "window_funnel_serialize");
	state = funnel_state_arg(fcinfo, 0, "window_funnel_serialize");
	pq_begintypsend(&buf);
	pq_sendint32(&buf, FUNNEL_SERIAL_TAG);
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

/* Raise the error for serialised bytes that window_funnel_serialize did not write. */
static void
funnel_bad_serial(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialised window_funnel state"),
			 errdetail("%s", detail)));
}

PG_FUNCTION_INFO_V1(window_funnel_deserialize);
/* Rebuild a state from its serialised form, checking every field. */
Datum
window_funnel_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "window_funnel_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	FunnelState *state;
	uint32		tag;
	int			nsteps;
	int			mode;
	int64		window;
	int			n;
	uint64		valid;

	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < FUNNEL_SERIAL_HEADER)
		funnel_bad_serial(psprintf("The state has %d bytes, fewer than the %d of its header.",
								   buf.len, FUNNEL_SERIAL_HEADER));
	tag = (uint32) pq_getmsgint(&buf, 4);
	if (tag != FUNNEL_SERIAL_TAG)
		funnel_bad_serial(psprintf("The state starts with tag %08x, not %08x.", tag, FUNNEL_SERIAL_TAG));
	nsteps = pq_getmsgint(&buf, 4);
	mode = pq_getmsgint(&buf, 4);
	window = pq_getmsgint64(&buf);
	n = pq_getmsgint(&buf, 4);
	if (nsteps < 1 || nsteps > FUNNEL_MAX_STEPS || (mode & ~FUNNEL_ALL_MODES) != 0 || window < 0)
		funnel_bad_serial(psprintf("The state has %d steps, mode %d and window %lld.",
								   nsteps, mode, (long long) window));
	if (n < 0 || (Size) n * FUNNEL_SERIAL_EVENT != (Size) (buf.len - buf.cursor))
		funnel_bad_serial(psprintf("The state claims %d events in %d bytes.", n, buf.len - buf.cursor));
	valid = funnel_steps_mask(nsteps);
	state = funnel_state_new(aggcxt, nsteps, mode, window, n);
	for (int i = 0; i < n; i++)
	{
		state->events[i].ts = pq_getmsgint64(&buf);
		state->events[i].mask = (uint64) pq_getmsgint64(&buf);
		if ((state->events[i].mask & ~valid) != 0)
			funnel_bad_serial(psprintf("Event %d meets a step above step %d.", i + 1, nsteps));
	}
	state->nevents = n;
	PG_RETURN_POINTER(state);
}

/* Order events by timestamp, then by step mask. */
static int
funnel_event_cmp(const void *a, const void *b, void *arg)
{
	const FunnelEvent *x = (const FunnelEvent *) a;
	const FunnelEvent *y = (const FunnelEvent *) b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return (x->mask > y->mask) - (x->mask < y->mask);
}

/*
 * Sort the events; insertion sort for the few events most persons have,
 * an interruptible sort for the rest (a group may hold millions).
 */
static void
funnel_sort(FunnelEvent *events, int n)
{
	if (n > 16)
	{
		qsort_interruptible(events, n, sizeof(FunnelEvent), funnel_event_cmp, NULL);
		return;
	}
	for (int i = 1; i < n; i++)
	{
		FunnelEvent e = events[i];
		int			j = i - 1;

		while (j >= 0 && funnel_event_cmp(&events[j], &e, NULL) > 0)
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
		for (int idx = nsteps - 1; idx >= 0 && !stop; idx--)
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
				/* With one step, step 1 completes the funnel: stop as any complete chain does. */
				if (level == nsteps)
					stop = true;
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
	FunnelState *state;
	FunnelResult result;

	(void) qy_aggregate_context(fcinfo, "window_funnel_final");
	state = funnel_state_arg(fcinfo, 0, "window_funnel_final");
	if (state == NULL)
		PG_RETURN_INT32(0);
	funnel_replay(state, false, &result);
	PG_RETURN_INT32(result.level);
}

/* window_funnel_times final: the step times as an array of elemtype. */
static Datum
funnel_times_final(FunctionCallInfo fcinfo, Oid elemtype, const char *fname)
{
	FunnelState *state;
	FunnelResult result;
	Datum		elems[FUNNEL_MAX_STEPS];

	(void) qy_aggregate_context(fcinfo, fname);
	state = funnel_state_arg(fcinfo, 0, fname);
	if (state == NULL)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(elemtype));
	funnel_replay(state, true, &result);
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
	return funnel_times_final(fcinfo, TIMESTAMPTZOID, "window_funnel_times_final");
}

PG_FUNCTION_INFO_V1(window_funnel_times_final_ts);
/* window_funnel_times(..., timestamp, ...) final */
Datum
window_funnel_times_final_ts(PG_FUNCTION_ARGS)
{
	return funnel_times_final(fcinfo, TIMESTAMPOID, "window_funnel_times_final_ts");
}
