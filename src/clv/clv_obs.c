/*
 * clv_obs.c
 *	  State of the model-fitting aggregates (bgnbd_fit, pareto_nbd_fit,
 *	  gammagamma_fit): the customers' observations, appended per row,
 *	  concatenated by the combine function, grouped and sorted at the end.
 *
 * The state is the data itself because maximum likelihood needs every
 * customer; identical observations (common: all one-time buyers of the same
 * cohort day) collapse into one weighted group before the optimiser runs.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/int.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "clv.h"
#include "common/sql_safety.h"

PG_FUNCTION_INFO_V1(clv_fit_trans);
PG_FUNCTION_INFO_V1(clv_fit_combine);
PG_FUNCTION_INFO_V1(clv_fit_serialize);
PG_FUNCTION_INFO_V1(clv_fit_deserialize);

/*
 * Internal state argument argno of an aggregate support function, NULL when
 * the argument is SQL NULL; an error when it is a NULL pointer or does not
 * carry the tag (0 accepts either fit state).
 */
void *
clv_state_arg(FunctionCallInfo fcinfo, int argno, uint32 magic, const char *fname)
{
	uint32	   *p;

	if (PG_ARGISNULL(argno))
		return NULL;
	p = (uint32 *) PG_GETARG_POINTER(argno);
	if (p == NULL ||
		(magic != 0 && *p != magic) ||
		(magic == 0 && *p != CLV_MAGIC_PURCHASES && *p != CLV_MAGIC_SPEND))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s was handed a state it did not create", fname),
				 errdetail("The aggregate mixes support functions of different aggregates.")));
	return p;
}

/*
 * Check serialised state bytes: our tag (0: either fit state), the wire
 * version and at least minlen bytes after the header.  Returns the bytes
 * after the header.
 */
const char *
clv_wire_check(bytea *in, uint32 magic, Size minlen, const char *fname)
{
	ClvWireHeader h;

	if (VARSIZE_ANY_EXHDR(in) < sizeof(ClvWireHeader) + minlen)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid state for %s: %zu bytes", fname, (Size) VARSIZE_ANY_EXHDR(in)),
				 errdetail("The serialised state is shorter than its header.")));
	memcpy(&h, VARDATA_ANY(in), sizeof(ClvWireHeader));
	if ((magic != 0 && h.magic != magic) ||
		(magic == 0 && h.magic != CLV_MAGIC_PURCHASES && h.magic != CLV_MAGIC_SPEND) ||
		h.version != CLV_WIRE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid state for %s", fname),
				 errdetail("The bytes do not start with the tag and version this aggregate writes; they were not serialised by it.")));
	return VARDATA_ANY(in) + sizeof(ClvWireHeader);
}

/* Write the header of a serialised state at dst. */
void
clv_wire_header(char *dst, uint32 magic)
{
	ClvWireHeader h;

	h.magic = magic;
	h.version = CLV_WIRE_VERSION;
	memcpy(dst, &h, sizeof(ClvWireHeader));
}

/* Argument argno as a finite timestamptz, or an error naming it. */
TimestampTz
clv_arg_timestamp(FunctionCallInfo fcinfo, int argno, const char *name)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(argno);

	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite timestamp, got %s", name,
						DatumGetCString(DirectFunctionCall1(timestamptz_out,
															TimestampTzGetDatum(ts)))),
				 errdetail("Recency and ages are measured between finite points in time.")));
	return ts;
}

/* (a - b) in days for finite timestamps, without int64 overflow. */
double
clv_timestamp_diff_days(TimestampTz a, TimestampTz b)
{
	int64		diff;

	if (pg_sub_s64_overflow(a, b, &diff))
		return ((double) a - (double) b) / USECS_PER_DAY;
	return (double) diff / USECS_PER_DAY;
}

/* The fit state of the current aggregate call, created on its first row. */
ClvObsState *
clv_obs_state_get(FunctionCallInfo fcinfo, uint32 magic, const char *fname)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, fname);
	ClvObsState *st = clv_state_arg(fcinfo, 0, magic, fname);

	if (st != NULL)
		return st;
	st = MemoryContextAllocZero(aggcxt, sizeof(ClvObsState));
	st->magic = magic;
	st->cap = 64;
	st->obs = MemoryContextAllocHuge(aggcxt, sizeof(ClvObs) * st->cap);
	return st;
}

/* Append one observation, doubling the array when full. */
void
clv_obs_append(ClvObsState *st, double x, double tx, double T)
{
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->obs = repalloc_huge(st->obs, sizeof(ClvObs) * st->cap);
	}
	st->obs[st->n].x = x;
	st->obs[st->n].tx = tx;
	st->obs[st->n].T = T;
	st->n++;
}

/* Argument argno as a finite double, or an error naming it. */
double
clv_arg_finite(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		v = PG_GETARG_FLOAT8(argno);

	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be finite, got %g", name, v),
				 errdetail("The models are defined for finite numbers only.")));
	return v;
}

/* Reject a (frequency, recency, T) triple the purchase models cannot explain. */
void
clv_check_customer(double x, double tx, double T)
{
	if (x < 0 || x != floor(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a non-negative whole number, got %g", x),
				 errdetail("Frequency counts repeat purchase occasions.")));
	if (tx < 0 || T < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency and T must not be negative, got recency %g and T %g", tx, T),
				 errdetail("Both are durations measured from the first purchase.")));
	if (tx > T * (1 + 1e-12))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency %g exceeds T %g", tx, T),
				 errdetail("The last purchase cannot be after the end of the calibration period.")));
	if (x > 0 && T == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency %g with T 0 is impossible", x),
				 errdetail("A customer first seen at the calibration end has no repeat purchases.")));
}

/* Arguments argno.. argno+2 as a checked customer (frequency, recency, T). */
void
clv_arg_customer(FunctionCallInfo fcinfo, int argno, double *x, double *tx, double *T)
{
	*x = clv_arg_finite(fcinfo, argno, "frequency");
	*tx = clv_arg_finite(fcinfo, argno + 1, "recency");
	*T = clv_arg_finite(fcinfo, argno + 2, "T");
	clv_check_customer(*x, *tx, *T);
}

/* Transition of bgnbd_fit and pareto_nbd_fit: one customer (frequency, recency, T). */
Datum
clv_fit_trans(PG_FUNCTION_ARGS)
{
	ClvObsState *st = clv_obs_state_get(fcinfo, CLV_MAGIC_PURCHASES, "clv_fit_trans");
	double		x,
				tx,
				T;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);
	clv_arg_customer(fcinfo, 1, &x, &tx, &T);
	clv_obs_append(st, x, tx, T);
	PG_RETURN_POINTER(st);
}

/* Combine two partial states (of the same kind) by concatenation. */
Datum
clv_fit_combine(PG_FUNCTION_ARGS)
{
	ClvObsState *a;
	ClvObsState *b;
	int64		i;

	(void) qy_aggregate_context(fcinfo, "clv_fit_combine");
	b = clv_state_arg(fcinfo, 1, 0, "clv_fit_combine");
	a = clv_state_arg(fcinfo, 0, 0, "clv_fit_combine");
	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = clv_obs_state_get(fcinfo, b->magic, "clv_fit_combine");
	if (a->magic != b->magic)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("clv_fit_combine was handed states of two different fits"),
				 errdetail("Purchase-model and spend-model observations cannot be combined.")));
	for (i = 0; i < b->n; i++)
	{
		clv_obs_append(a, b->obs[i].x, b->obs[i].tx, b->obs[i].T);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_POINTER(a);
}

/* Serialise a state as header, count, raw observations. */
Datum
clv_fit_serialize(PG_FUNCTION_ARGS)
{
	ClvObsState *st;
	Size		len;
	bytea	   *out;

	(void) qy_aggregate_context(fcinfo, "clv_fit_serialize");
	st = clv_state_arg(fcinfo, 0, 0, "clv_fit_serialize");
	len = VARHDRSZ + sizeof(ClvWireHeader) + sizeof(int64) + sizeof(ClvObs) * st->n;
	out = (bytea *) palloc_extended(len, MCXT_ALLOC_HUGE);
	SET_VARSIZE(out, len);
	clv_wire_header(VARDATA(out), st->magic);
	memcpy(VARDATA(out) + sizeof(ClvWireHeader), &st->n, sizeof(int64));
	memcpy(VARDATA(out) + sizeof(ClvWireHeader) + sizeof(int64), st->obs, sizeof(ClvObs) * st->n);
	PG_RETURN_BYTEA_P(out);
}

/* Rebuild a state from clv_fit_serialize's bytes, validating every observation. */
Datum
clv_fit_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "clv_fit_deserialize");
	const char *data = clv_wire_check(in, 0, sizeof(int64), "clv_fit_deserialize");
	Size		avail = VARSIZE_ANY_EXHDR(in) - sizeof(ClvWireHeader) - sizeof(int64);
	ClvWireHeader h;
	ClvObsState *st;
	int64		n,
				i;

	memcpy(&h, VARDATA_ANY(in), sizeof(ClvWireHeader));
	memcpy(&n, data, sizeof(int64));
	if (n < 0 || (uint64) n != avail / sizeof(ClvObs) || avail % sizeof(ClvObs) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid state for clv_fit_deserialize: count " INT64_FORMAT " for %zu bytes", n, avail),
				 errdetail("The length of the observations does not match their count.")));

	st = MemoryContextAllocZero(aggcxt, sizeof(ClvObsState));
	st->magic = h.magic;
	st->n = n;
	st->cap = Max(n, 1);
	st->obs = MemoryContextAllocHuge(aggcxt, sizeof(ClvObs) * st->cap);
	memcpy(st->obs, data + sizeof(int64), sizeof(ClvObs) * n);
	for (i = 0; i < n; i++)
	{
		const ClvObs *o = &st->obs[i];

		if (!isfinite(o->x) || !isfinite(o->tx) || !isfinite(o->T))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid state for clv_fit_deserialize: observation " INT64_FORMAT " is not finite", i),
					 errdetail("Every observation of a fit is finite.")));
		if (h.magic == CLV_MAGIC_PURCHASES)
			clv_check_customer(o->x, o->tx, o->T);
		else if (!(o->x >= 1 && o->x == floor(o->x) && o->tx > 0 && o->T == 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid state for clv_fit_deserialize: spend observation " INT64_FORMAT " is out of range", i),
					 errdetail("Spend observations have a whole frequency of at least 1 and a positive value.")));
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_POINTER(st);
}

/* Order on (x, tx, T), inlined into the sort below. */
static inline int
obs_cmp(const ClvObs *a, const ClvObs *b)
{
	return clv_order(a->x, a->tx, a->T, b->x, b->tx, b->T);
}

/*
 * clv_obs_sort(ClvObs *, size_t): PostgreSQL's sort template specialised
 * for observations; with the comparator inlined it sorts a million
 * customers several times faster than qsort() with a callback.
 */
#define ST_SORT clv_obs_sort
#define ST_ELEMENT_TYPE ClvObs
#define ST_COMPARE(a, b) obs_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Sort the observations and merge identical ones into weighted groups, in
 * the current memory context (the state stays untouched: final functions
 * may run more than once).
 */
ClvData *
clv_obs_group(const ClvObsState *st)
{
	ClvData    *d = palloc0(sizeof(ClvData));
	ClvObs	   *o = palloc_extended(sizeof(ClvObs) * Max(st->n, 1), MCXT_ALLOC_HUGE);
	ClvGroup   *g = palloc_extended(sizeof(ClvGroup) * Max(st->n, 1), MCXT_ALLOC_HUGE);
	int64		i,
				m = 0;

	memcpy(o, st->obs, sizeof(ClvObs) * st->n);
	clv_obs_sort(o, st->n);
	for (i = 0; i < st->n; i++)
	{
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (m > 0 && g[m - 1].x == o[i].x && g[m - 1].tx == o[i].tx && g[m - 1].T == o[i].T)
		{
			g[m - 1].w += 1.0;
			continue;
		}
		g[m].x = o[i].x;
		g[m].tx = o[i].tx;
		g[m].T = o[i].T;
		g[m].w = 1.0;
		m++;
	}
	pfree(o);
	d->g = g;
	d->ngroups = m;
	d->n = (double) st->n;
	return d;
}

/*
 * The grouped observations of a fit aggregate's state in argument 0, or
 * NULL when there were none (the fit then returns NULL).
 */
ClvData *
clv_fit_data(FunctionCallInfo fcinfo, uint32 magic, const char *fname)
{
	ClvObsState *st;

	(void) qy_aggregate_context(fcinfo, fname);
	st = clv_state_arg(fcinfo, 0, magic, fname);
	if (st == NULL || st->n == 0)
		return NULL;
	return clv_obs_group(st);
}

/* log(total age / total repeat purchases): a starting point for a rate scale. */
double
clv_log_pooled_age_per_purchase(const ClvData *d)
{
	double		sx = 0.0,
				sT = 0.0;
	int64		i;

	for (i = 0; i < d->ngroups; i++)
	{
		sx += d->g[i].w * d->g[i].x;
		sT += d->g[i].w * d->g[i].T;
	}
	return log(fmax(sT, 1e-6) / fmax(sx, 1.0));
}

/* A prediction horizon argument: finite and not negative. */
double
clv_arg_horizon(FunctionCallInfo fcinfo, int argno)
{
	double		t = clv_arg_finite(fcinfo, argno, "t");

	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t must not be negative, got %g", t),
				 errdetail("t is the length of the prediction horizon.")));
	return t;
}

/* Mean customer age T over the observations. */
double
clv_mean_age(const ClvData *d)
{
	double		sT = 0.0;
	int64		i;

	for (i = 0; i < d->ngroups; i++)
		sT += d->g[i].w * d->g[i].T;
	return sT / d->n;
}

/* The first n float8 fields of a parameter composite (e.g. bgnbd_params). */
void
clv_read_params(Datum composite, int n, double *out, const char *tname)
{
	HeapTupleHeader th = DatumGetHeapTupleHeader(composite);
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th),
											  HeapTupleHeaderGetTypMod(th));
	HeapTupleData tuple;
	Datum		values[CLV_MAX_PARAMS];
	bool		nulls[CLV_MAX_PARAMS];
	int			i;

	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;

	for (i = 0; i < n; i++)
	{
		Form_pg_attribute att;

		if (i >= desc->natts || TupleDescAttr(desc, i)->atttypid != FLOAT8OID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("expected a value of type %s", tname),
					 errdetail("Field %d is not double precision.", i + 1)));
		att = TupleDescAttr(desc, i);
		values[i] = heap_getattr(&tuple, i + 1, desc, &nulls[i]);
		out[i] = nulls[i] ? NAN : DatumGetFloat8(values[i]);
		if (!(out[i] > 0.0) || !isfinite(out[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("parameter %s of %s must be positive and finite, got %g",
							NameStr(att->attname), tname, out[i]),
					 errdetail("Fitted parameters are always positive; the value was NULL, zero or edited.")));
	}
	ReleaseTupleDesc(desc);
}

/*
 * The fit composite (parameters..., log_likelihood, n, converged,
 * iterations) of the calling final function's declared result type.
 */
Datum
clv_fit_datum(FunctionCallInfo fcinfo, int dim, const ClvFit *fit, double n)
{
	TupleDesc	desc;
	Datum		values[CLV_MAX_PARAMS + 4];
	bool		nulls[CLV_MAX_PARAMS + 4] = {0};
	int			i;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "fit final function must return a composite type");
	desc = BlessTupleDesc(desc);
	for (i = 0; i < dim; i++)
		values[i] = Float8GetDatum(exp(fit->theta[i]));
	values[dim] = Float8GetDatum(fit->ll);
	values[dim + 1] = Int64GetDatum((int64) n);
	values[dim + 2] = BoolGetDatum(fit->converged);
	values[dim + 3] = Int32GetDatum(fit->iterations);
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}
