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
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "clv.h"

PG_FUNCTION_INFO_V1(clv_fit_trans);
PG_FUNCTION_INFO_V1(clv_fit_combine);
PG_FUNCTION_INFO_V1(clv_fit_serialize);
PG_FUNCTION_INFO_V1(clv_fit_deserialize);

/* The state of the current aggregate call, created on its first row. */
ClvObsState *
clv_obs_state_get(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcxt;
	ClvObsState *st;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "%s called in non-aggregate context", fname);
	if (!PG_ARGISNULL(0))
		return (ClvObsState *) PG_GETARG_POINTER(0);

	st = MemoryContextAllocZero(aggcxt, sizeof(ClvObsState));
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
	ClvObsState *st = clv_obs_state_get(fcinfo, "clv_fit_trans");
	double		x,
				tx,
				T;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);
	clv_arg_customer(fcinfo, 1, &x, &tx, &T);
	clv_obs_append(st, x, tx, T);
	PG_RETURN_POINTER(st);
}

/* Combine two partial states by concatenation. */
Datum
clv_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ClvObsState *a;
	ClvObsState *b;
	int64		i;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "clv_fit_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	b = (ClvObsState *) PG_GETARG_POINTER(1);
	a = clv_obs_state_get(fcinfo, "clv_fit_combine");
	for (i = 0; i < b->n; i++)
		clv_obs_append(a, b->obs[i].x, b->obs[i].tx, b->obs[i].T);
	PG_RETURN_POINTER(a);
}

/* Serialise a state as its count followed by the raw observations. */
Datum
clv_fit_serialize(PG_FUNCTION_ARGS)
{
	ClvObsState *st = (ClvObsState *) PG_GETARG_POINTER(0);
	Size		len = VARHDRSZ + sizeof(int64) + sizeof(ClvObs) * st->n;
	bytea	   *out = (bytea *) palloc_extended(len, MCXT_ALLOC_HUGE);

	SET_VARSIZE(out, len);
	memcpy(VARDATA(out), &st->n, sizeof(int64));
	memcpy(VARDATA(out) + sizeof(int64), st->obs, sizeof(ClvObs) * st->n);
	PG_RETURN_BYTEA_P(out);
}

/* Rebuild a state from clv_fit_serialize's bytes. */
Datum
clv_fit_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	ClvObsState *st;
	int64		n;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "clv_fit_deserialize called in non-aggregate context");
	if (VARSIZE_ANY_EXHDR(in) < sizeof(int64))
		elog(ERROR, "invalid clv fit state: too short");
	memcpy(&n, VARDATA_ANY(in), sizeof(int64));
	if (n < 0 || VARSIZE_ANY_EXHDR(in) != sizeof(int64) + sizeof(ClvObs) * n)
		elog(ERROR, "invalid clv fit state: length does not match count");

	st = MemoryContextAllocZero(aggcxt, sizeof(ClvObsState));
	st->n = n;
	st->cap = Max(n, 1);
	st->obs = MemoryContextAllocHuge(aggcxt, sizeof(ClvObs) * st->cap);
	memcpy(st->obs, VARDATA_ANY(in) + sizeof(int64), sizeof(ClvObs) * n);
	PG_RETURN_POINTER(st);
}

/* Order on (x, tx, T), inlined into the sort below. */
static inline int
obs_cmp(const ClvObs *a, const ClvObs *b)
{
	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->tx != b->tx)
		return a->tx < b->tx ? -1 : 1;
	if (a->T != b->T)
		return a->T < b->T ? -1 : 1;
	return 0;
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
clv_fit_data(FunctionCallInfo fcinfo)
{
	ClvObsState *st;

	if (PG_ARGISNULL(0))
		return NULL;
	st = (ClvObsState *) PG_GETARG_POINTER(0);
	if (st->n == 0)
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
