/*
 * bgnbd_sample.c
 *	  bgnbd_sample(n, r, alpha, a, b, t_max, seed): customers simulated from
 *	  a BG/NBD model, as (frequency, recency, T) rows, for checking that a
 *	  fit recovers known parameters and for benchmarks.
 *
 * Each customer gets lambda ~ Gamma(r, 1/alpha) and p ~ Beta(a, b), an age
 * T ~ Uniform(0, t_max], and purchases after the first at exponential gaps
 * with rate lambda, becoming inactive after each purchase with probability
 * p.  The generator is our own splitmix64, so a seed gives the same
 * customers on every server version and platform.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"

#include "clv.h"

PG_FUNCTION_INFO_V1(bgnbd_sample);

/* Purchases per simulated customer beyond which parameters are surely absurd. */
#define SAMPLE_MAX_PURCHASES 10000000

typedef struct SampleState
{
	uint64		rng;
	double		r,
				alpha,
				a,
				b,
				t_max;
} SampleState;

/* Next splitmix64 output. */
static uint64
rng_next(uint64 *s)
{
	uint64		z = (*s += UINT64CONST(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform double in (0, 1), never 0 or 1. */
static double
rng_uniform(uint64 *s)
{
	return ((double) (rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

/* Standard normal by Box-Muller. */
static double
rng_normal(uint64 *s)
{
	return sqrt(-2.0 * log(rng_uniform(s))) * cos(2.0 * M_PI * rng_uniform(s));
}

/* Gamma(shape, 1) by Marsaglia & Tsang, boosting shapes below 1. */
static double
rng_gamma(uint64 *s, double shape)
{
	double		d,
				c;

	if (shape < 1.0)
		return rng_gamma(s, shape + 1.0) * pow(rng_uniform(s), 1.0 / shape);
	d = shape - 1.0 / 3.0;
	c = 1.0 / sqrt(9.0 * d);
	for (;;)
	{
		double		x = rng_normal(s);
		double		v = 1.0 + c * x;

		if (v <= 0)
			continue;
		v = v * v * v;
		if (log(rng_uniform(s)) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v;
	}
}

/* Simulate one customer into (x, tx, T). */
static void
simulate_customer(SampleState *st, double *x, double *tx, double *T)
{
	double		lambda = rng_gamma(&st->rng, st->r) / st->alpha;
	double		ga = rng_gamma(&st->rng, st->a);
	double		p = ga / (ga + rng_gamma(&st->rng, st->b));
	double		t = 0.0;

	*T = st->t_max * rng_uniform(&st->rng);
	*x = 0;
	*tx = 0;
	for (;;)
	{
		/* Up to SAMPLE_MAX_PURCHASES steps for absurd parameters: stay cancellable. */
		if (((int64) *x & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		t += -log(rng_uniform(&st->rng)) / lambda;
		if (t > *T || *x >= SAMPLE_MAX_PURCHASES)
			break;
		*x += 1;
		*tx = t;
		if (rng_uniform(&st->rng) < p)
			break;
	}
}

/* Error unless v is positive and finite. */
static double
positive_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		v = clv_arg_finite(fcinfo, argno, name);

	if (!(v > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive, got %g", name, v),
				 errdetail("BG/NBD parameters and the maximum age are positive.")));
	return v;
}

/* bgnbd_sample(n, r, alpha, a, b, t_max, seed) RETURNS TABLE(frequency, recency, "T") */
Datum
bgnbd_sample(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	SampleState *st;
	double		x,
				tx,
				T;
	Datum		values[3];
	bool		nulls[3] = {0};

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	desc;
		int64		n = PG_GETARG_INT64(0);

		funcctx = SRF_FIRSTCALL_INIT();
		if (n < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("n must not be negative, got " INT64_FORMAT, n),
					 errdetail("n is the number of customers to simulate.")));
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		st = palloc0(sizeof(SampleState));
		st->r = positive_arg(fcinfo, 1, "r");
		st->alpha = positive_arg(fcinfo, 2, "alpha");
		st->a = positive_arg(fcinfo, 3, "a");
		st->b = positive_arg(fcinfo, 4, "b");
		st->t_max = positive_arg(fcinfo, 5, "t_max");
		st->rng = (uint64) PG_GETARG_INT64(6);
		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "bgnbd_sample must return a composite type");
		funcctx->tuple_desc = BlessTupleDesc(desc);
		funcctx->max_calls = (uint64) n;
		funcctx->user_fctx = st;
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr >= funcctx->max_calls)
		SRF_RETURN_DONE(funcctx);

	CHECK_FOR_INTERRUPTS();
	st = (SampleState *) funcctx->user_fctx;
	simulate_customer(st, &x, &tx, &T);
	values[0] = Int32GetDatum((int32) x);
	values[1] = Float8GetDatum(tx);
	values[2] = Float8GetDatum(T);
	SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
}
