/*
 * bgnbd.c
 *	  The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the
 *	  easy way"): likelihood and its gradient, the bgnbd_fit aggregate's final
 *	  function, and the model's predictions.
 *
 * Parameters: purchase rate lambda ~ Gamma(r, alpha), dropout probability
 * after each purchase p ~ Beta(a, b).  alpha has the time unit of the data.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"

#include "clv.h"

PG_FUNCTION_INFO_V1(bgnbd_fit_final);
PG_FUNCTION_INFO_V1(bgnbd_expected_purchases);
PG_FUNCTION_INFO_V1(bgnbd_expected_purchases_new);
PG_FUNCTION_INFO_V1(bgnbd_p_alive);

/*
 * Log-likelihood of log-parameters theta = log(r, alpha, a, b), eq. (6) of the
 * paper in log space:
 *   lgamma(r+x) - lgamma(r) + r log alpha + lbeta(a, b+x) - lbeta(a, b)
 *   + log[(alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x)].
 * The groups are sorted by x, so the terms that depend on x alone are
 * computed once per distinct x.
 */
static double
bgnbd_ll(const double *theta, const ClvData *d)
{
	double		r = exp(theta[0]),
				alpha = exp(theta[1]),
				a = exp(theta[2]),
				b = exp(theta[3]);
	double		ll = 0.0,
				lastx = -1.0,
				cx = 0.0,
				lab = 0.0;
	double		base = -lgamma(r) + r * log(alpha) - clv_lbeta(a, b);
	int64		i;

	for (i = 0; i < d->ngroups; i++)
	{
		const ClvGroup *g = &d->g[i];
		double		v;

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (g->x != lastx)
		{
			lastx = g->x;
			cx = base + lgamma(r + g->x) + clv_lbeta(a, b + g->x);
			lab = g->x > 0 ? log(a) - log(b + g->x - 1) : 0.0;
		}
		v = -(r + g->x) * log(alpha + g->T);
		if (g->x > 0)
			v = clv_logaddexp(v, lab - (r + g->x) * log(alpha + g->tx));
		ll += g->w * (cx + v);
	}
	return isfinite(ll) ? ll : -INFINITY;
}

/*
 * Gradient of bgnbd_ll with respect to log-parameters.  With w the share of
 * the second term inside the log (the "dropped out right after t_x" branch),
 * each derivative is the x-only part plus a w-weighted mix of the branches.
 */
static bool
bgnbd_grad(const double *theta, const ClvData *d, double *grad)
{
	double		r = exp(theta[0]),
				alpha = exp(theta[1]),
				a = exp(theta[2]),
				b = exp(theta[3]);
	double		gr = 0.0,
				ga = 0.0,
				gaa = 0.0,
				gb = 0.0;
	double		lastx = -1.0,
				cr = 0.0,
				ca = 0.0,
				cb = 0.0,
				lab = 0.0;
	double		psi_r = clv_digamma(r),
				psi_ab = clv_digamma(a + b),
				psi_b = clv_digamma(b),
				lalpha = log(alpha);
	int64		i;

	for (i = 0; i < d->ngroups; i++)
	{
		const ClvGroup *g = &d->g[i];
		double		x = g->x;
		double		lT = log(alpha + g->T);
		double		w = 0.0,
					lt = 0.0;

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (x != lastx)
		{
			double		psi_abx = clv_digamma(a + b + x);

			lastx = x;
			cr = clv_digamma(r + x) - psi_r + lalpha;
			ca = psi_ab - psi_abx;
			cb = clv_digamma(b + x) - psi_b + psi_ab - psi_abx;
			lab = x > 0 ? log(a) - log(b + x - 1) : 0.0;
		}
		if (x > 0)
		{
			lt = log(alpha + g->tx);
			/* w = sigmoid(second branch - first branch) */
			w = 1.0 / (1.0 + exp(-(lab - (r + x) * (lt - lT))));
		}
		gr += g->w * (cr - (1 - w) * lT - w * lt);
		ga += g->w * (r / alpha - (r + x) * ((1 - w) / (alpha + g->T) +
											 (x > 0 ? w / (alpha + g->tx) : 0.0)));
		if (x > 0)
		{
			gaa += g->w * (ca + w / a);
			gb += g->w * (cb - w / (b + x - 1));
		}
		else
		{
			gaa += g->w * ca;
			gb += g->w * cb;
		}
	}
	grad[0] = r * gr;
	grad[1] = alpha * ga;
	grad[2] = a * gaa;
	grad[3] = b * gb;
	return isfinite(grad[0]) && isfinite(grad[1]) && isfinite(grad[2]) && isfinite(grad[3]);
}

/* Final function of bgnbd_fit: maximum-likelihood (r, alpha, a, b) with diagnostics. */
Datum
bgnbd_fit_final(PG_FUNCTION_ARGS)
{
	ClvData    *d = clv_fit_data(fcinfo, CLV_MAGIC_PURCHASES, "bgnbd_fit_final");
	ClvFit		fit;
	double		start[4];

	if (d == NULL)
		PG_RETURN_NULL();
	/* Start at r = 1, a = b = 1 with alpha matching the pooled purchase rate. */
	start[0] = 0.0;
	start[1] = clv_log_pooled_age_per_purchase(d);
	start[2] = 0.0;
	start[3] = 0.0;
	clv_optimize(4, start, bgnbd_ll, bgnbd_grad, d, &fit);
	PG_RETURN_DATUM(clv_fit_datum(fcinfo, 4, &fit, d->n));
}

/*
 * Expected purchases in (0, t] of a just-acquired customer, eq. (7):
 * (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))].
 */
static double
bgnbd_new_purchases(const double *p, double t)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];
	double		lh;

	if (t == 0)
		return 0.0;
	/* a = 1 is a removable singularity; step off it rather than divide by 0. */
	if (fabs(a - 1.0) < 1e-9)
		a = 1.0 + 1e-9;
	lh = clv_log_hyp2f1(r, b, a + b - 1, t / (alpha + t));
	if (isnan(lh))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected purchases are undefined for a + b = %g", a + b),
				 errdetail("The BG/NBD expectation needs a + b > 1.")));
	return (a + b - 1) / (a - 1) * -expm1(r * log(alpha / (alpha + t)) + lh);
}

/*
 * P(alive | x, t_x, T) (Fader, Hardie & Lee 2008, "Computing P(alive) using
 * the BG/NBD model"): 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).
 */
static double
bgnbd_alive(const double *p, double x, double tx, double T)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];

	if (x == 0)
		return 1.0;
	return 1.0 / (1.0 + exp(log(a) - log(b + x - 1) +
							(r + x) * (log(alpha + T) - log(alpha + tx))));
}

/*
 * Expected purchases in (T, T+t] of a customer with history (x, t_x, T),
 * eq. (10): (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
 * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] * P(alive).
 */
static double
bgnbd_conditional_purchases(const double *p, double t, double x, double tx, double T)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];
	double		lh;

	if (t == 0)
		return 0.0;
	if (fabs(a - 1.0) < 1e-9)
		a = 1.0 + 1e-9;
	lh = clv_log_hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t));
	if (isnan(lh))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected purchases are undefined for a + b + x = %g", a + b + x),
				 errdetail("The BG/NBD expectation needs a + b + x > 1.")));
	return (a + b + x - 1) / (a - 1) *
		-expm1((r + x) * log((alpha + T) / (alpha + T + t)) + lh) *
		bgnbd_alive(p, x, tx, T);
}

/* Exported for clv(): expected purchases in (T, T+t] given the history. */
double
clv_bgnbd_conditional(const double *p, double t, double x, double tx, double T)
{
	return bgnbd_conditional_purchases(p, t, x, tx, T);
}

/* bgnbd_expected_purchases(params, t, frequency, recency, T) */
Datum
bgnbd_expected_purchases(PG_FUNCTION_ARGS)
{
	double		p[4];
	double		t = clv_arg_horizon(fcinfo, 1);
	double		x,
				tx,
				T;

	clv_read_params(PG_GETARG_DATUM(0), 4, p, "bgnbd_params");
	clv_arg_customer(fcinfo, 2, &x, &tx, &T);
	PG_RETURN_FLOAT8(bgnbd_conditional_purchases(p, t, x, tx, T));
}

/* bgnbd_expected_purchases_new(params, t) */
Datum
bgnbd_expected_purchases_new(PG_FUNCTION_ARGS)
{
	double		p[4];
	double		t = clv_arg_horizon(fcinfo, 1);

	clv_read_params(PG_GETARG_DATUM(0), 4, p, "bgnbd_params");
	PG_RETURN_FLOAT8(bgnbd_new_purchases(p, t));
}

/* bgnbd_p_alive(params, frequency, recency, T) */
Datum
bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	double		p[4];
	double		x,
				tx,
				T;

	clv_read_params(PG_GETARG_DATUM(0), 4, p, "bgnbd_params");
	clv_arg_customer(fcinfo, 1, &x, &tx, &T);
	PG_RETURN_FLOAT8(bgnbd_alive(p, x, tx, T));
}
