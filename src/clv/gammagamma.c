/*
 * gammagamma.c
 *	  The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV:
 *	  using iso-value curves", and Fader & Hardie's note "The Gamma-Gamma
 *	  model of monetary value"): fit and expected spend.
 *
 * Each transaction value of a customer is Gamma(p, nu), nu ~ Gamma(q, v);
 * the data per customer is the number of repeat purchases x and their mean
 * value m.  v has the currency unit of m.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"

#include "clv.h"

PG_FUNCTION_INFO_V1(gammagamma_fit_trans);
PG_FUNCTION_INFO_V1(gammagamma_fit_final);
PG_FUNCTION_INFO_V1(gammagamma_expected_spend);

/* Reject a (frequency, monetary) pair the spend model cannot use. */
void
clv_gammagamma_check(double x, double m)
{
	if (x < 0 || x != floor(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a non-negative whole number, got %g", x),
				 errdetail("Frequency counts repeat purchase occasions.")));
	if (x > 0 && !(m > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monetary value must be positive for a repeat customer, got %g", m),
				 errdetail("The Gamma-Gamma model describes positive transaction values.")));
}

/* Transition of gammagamma_fit: customers without repeat purchases carry no spend data and are skipped. */
Datum
gammagamma_fit_trans(PG_FUNCTION_ARGS)
{
	ClvObsState *st = clv_obs_state_get(fcinfo, CLV_MAGIC_SPEND, "gammagamma_fit_trans");
	double		x,
				m;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	x = clv_arg_finite(fcinfo, 1, "frequency");
	m = clv_arg_finite(fcinfo, 2, "monetary value");
	clv_gammagamma_check(x, m);
	if (x > 0)
		clv_obs_append(st, x, m, 0.0);
	PG_RETURN_POINTER(st);
}

/*
 * Log-likelihood of theta = log(p, q, v), summed over customers:
 * lgamma(px+q) - lgamma(px) - lgamma(q) + q log v + (px-1) log m
 * + px log x - (px+q) log(xm + v).
 */
static double
gammagamma_ll(const double *theta, const ClvData *d)
{
	double		p = exp(theta[0]),
				q = exp(theta[1]),
				v = exp(theta[2]);
	double		ll = 0.0,
				base = -lgamma(q) + q * log(v);
	int64		i;

	for (i = 0; i < d->ngroups; i++)
	{
		const ClvGroup *g = &d->g[i];
		double		px = p * g->x;

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		ll += g->w * (base + lgamma(px + q) - lgamma(px) + (px - 1) * log(g->tx) +
					  px * log(g->x) - (px + q) * log(g->x * g->tx + v));
	}
	return isfinite(ll) ? ll : -INFINITY;
}

/* Final function of gammagamma_fit: maximum-likelihood (p, q, v). */
Datum
gammagamma_fit_final(PG_FUNCTION_ARGS)
{
	ClvData    *d = clv_fit_data(fcinfo, CLV_MAGIC_SPEND, "gammagamma_fit_final");

	if (d == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(clv_gammagamma_fit_datum(fcinfo, d));
}

/* The gammagamma_params of grouped observations (both forms of the fit). */
Datum
clv_gammagamma_fit_datum(FunctionCallInfo fcinfo, const ClvData *d)
{
	ClvFit		fit;
	double		start[3];
	double		sm = 0.0;
	int64		i;

	for (i = 0; i < d->ngroups; i++)
		sm += d->g[i].w * d->g[i].tx;
	/* p = q = 1 and v at the mean spend, so v starts in the data's currency scale. */
	start[0] = 0.0;
	start[1] = 0.0;
	start[2] = log(sm / d->n);
	clv_optimize(3, start, gammagamma_ll, NULL, d, &fit);
	return clv_fit_datum(fcinfo, 3, &fit, d->n);
}

/*
 * Expected mean transaction value given x repeat purchases with mean m:
 * p (v + x m) / (p x + q - 1), a weighted mix of the population mean
 * p v / (q - 1) and the customer's own mean.
 */
double
clv_gammagamma_spend(const double *p, double x, double m)
{
	if (p[0] * x + p[1] - 1 <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected spend is undefined for q = %g and frequency %g", p[1], x),
				 errdetail("The Gamma-Gamma mean needs p * frequency + q > 1.")));
	return p[0] * (p[2] + x * m) / (p[0] * x + p[1] - 1);
}

/* gammagamma_expected_spend(params, frequency, monetary) */
Datum
gammagamma_expected_spend(PG_FUNCTION_ARGS)
{
	double		p[3];
	double		x = clv_arg_finite(fcinfo, 1, "frequency");
	double		m = clv_arg_finite(fcinfo, 2, "monetary value");

	clv_read_params(PG_GETARG_DATUM(0), 3, p, "gammagamma_params");
	clv_gammagamma_check(x, m);
	PG_RETURN_FLOAT8(clv_gammagamma_spend(p, x, m));
}
