/*
 * clv_value.c
 *	  clv(): discounted expected customer value over a horizon, from a
 *	  purchase model (BG/NBD or Pareto/NBD) and a Gamma-Gamma spend fit.
 *
 *   CLV = sum_{k=1..K} E[spend] * (E[X(t_k)] - E[X(t_{k-1})]) / (1 + d)^k
 *
 * with t_k = min(k * step, horizon), K = ceil(horizon / step), E[X(t)] the
 * model's expected purchases in the next t time units given the customer's
 * history, and d the discount rate per step.  horizon and step are in the
 * time unit of the fitted model (the unit of recency and T), so there is no
 * hidden conversion: lifetimes' customer_lifetime_value takes months and a
 * frequency code and multiplies months by a days-per-month factor, which
 * silently mis-scales models fitted in weeks.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"

#include "clv.h"

PG_FUNCTION_INFO_V1(clv_bgnbd);
PG_FUNCTION_INFO_V1(clv_pareto_nbd);

/* More discounting steps than this is surely a unit mistake. */
#define CLV_MAX_STEPS 100000

typedef double (*ClvConditional) (const double *p, double t, double x, double tx, double T);

/* The discounted sum, shared by both purchase models; args 2.. are (x, t_x, T, m, horizon, d, step). */
static double
clv_compute(FunctionCallInfo fcinfo, ClvConditional expected, const double *model)
{
	double		gg[3];
	double		x = clv_arg_finite(fcinfo, 2, "frequency");
	double		tx = clv_arg_finite(fcinfo, 3, "recency");
	double		T = clv_arg_finite(fcinfo, 4, "T");
	double		m = clv_arg_finite(fcinfo, 5, "monetary value");
	double		horizon = clv_arg_finite(fcinfo, 6, "horizon");
	double		d = clv_arg_finite(fcinfo, 7, "discount rate");
	double		step = clv_arg_finite(fcinfo, 8, "step");
	double		spend,
				value = 0.0,
				prev = 0.0,
				nsteps;
	int64		k,
				K;

	clv_read_params(PG_GETARG_DATUM(1), 3, gg, "gammagamma_params");
	clv_check_customer(x, tx, T);
	if (horizon < 0 || !(step > 0) || d <= -1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid horizon %g, step %g or discount rate %g", horizon, step, d),
				 errdetail("The horizon must not be negative, the step must be positive and the discount rate above -1.")));
	nsteps = ceil(horizon / step - 1e-9);
	if (nsteps > CLV_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("horizon %g is %g steps of %g, more than %d", horizon, nsteps, step, CLV_MAX_STEPS),
				 errdetail("horizon and step are both in the model's time unit."),
				 errhint("Use a longer step, e.g. 4.345 weeks for monthly discounting.")));
	K = (int64) nsteps;
	/* A one-time buyer's spend is the population mean; the model handles x = 0. */
	spend = clv_gammagamma_spend(gg, x, x > 0 ? m : 0.0);
	for (k = 1; k <= K; k++)
	{
		double		tk = fmin(k * step, horizon);
		double		cur = expected(model, tk, x, tx, T);

		value += spend * (cur - prev) / pow(1.0 + d, (double) k);
		prev = cur;
		CHECK_FOR_INTERRUPTS();
	}
	return value;
}

/* clv(bgnbd_params, gammagamma_params, frequency, recency, T, monetary_value, horizon, discount_rate, step) */
Datum
clv_bgnbd(PG_FUNCTION_ARGS)
{
	double		p[4];

	clv_read_params(PG_GETARG_DATUM(0), 4, p, "bgnbd_params");
	PG_RETURN_FLOAT8(clv_compute(fcinfo, clv_bgnbd_conditional, p));
}

/* clv(pareto_nbd_params, gammagamma_params, frequency, recency, T, monetary_value, horizon, discount_rate, step) */
Datum
clv_pareto_nbd(PG_FUNCTION_ARGS)
{
	double		p[4];

	clv_read_params(PG_GETARG_DATUM(0), 4, p, "pareto_nbd_params");
	PG_RETURN_FLOAT8(clv_compute(fcinfo, clv_pareto_conditional, p));
}
