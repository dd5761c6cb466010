/*
 * pareto_nbd.c
 *	  The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987; likelihood
 *	  as in Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and
 *	  related expressions"): likelihood, the pareto_nbd_fit final function,
 *	  and the model's predictions.
 *
 * Parameters: purchase rate lambda ~ Gamma(r, alpha), dropout rate
 * mu ~ Gamma(s, beta); alpha and beta have the time unit of the data.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"

#include "clv.h"

/* Widest ratio of alpha to beta (either way) the fit searches. */
#define PARETO_MAX_SCALE_RATIO 1e4

PG_FUNCTION_INFO_V1(pareto_nbd_fit_final);
PG_FUNCTION_INFO_V1(pareto_nbd_expected_purchases);
PG_FUNCTION_INFO_V1(pareto_nbd_expected_purchases_new);
PG_FUNCTION_INFO_V1(pareto_nbd_p_alive);

/*
 * log 2F1(k, b; k+1; z) at z = (hi - lo) / (hi + t), by Euler's
 * transformation 2F1(k, b; k+1; z) = (1-z)^(1-b) 2F1(1, k+1-b; k+1; z).
 * In the direct series the terms grow for about b z / (1-z) steps before
 * they shrink, and b = r + x for a heavy buyer: one customer with frequency
 * 100,000 made a fit take minutes.  The transformed function has a
 * continued fraction whose cost does not depend on b (clv_log_hyp2f1_1bc),
 * and 1 - z = (lo + t) / (hi + t) is exact.
 */
static double
pareto_log_hyp(double k, double b, double lo, double hi, double t)
{
	double		q = hi + t;
	double		lg = clv_log_hyp2f1_1bc(k + 1 - b, k + 1, (hi - lo) / q);

	if (isnan(lg))
		return NAN;
	return (1 - b) * (log(lo + t) - log(q)) + lg;
}

/*
 * The last 2F1 term taken at t_x within one likelihood evaluation: the
 * groups come sorted by (x, t_x), so customers sharing them (every
 * one-time buyer has x = t_x = 0) need it once.
 */
typedef struct ParetoHypCache
{
	bool		valid;
	double		x;
	double		tx;
	double		value;
} ParetoHypCache;

/*
 * log A0 of the note, eq. (19)/(20): the difference of two 2F1 terms taken
 * at t_x and T, computed as log(p1 q2^k - p2 q1^k) - k log(q1 q2).  The
 * hypergeometric argument |alpha-beta|/(max+t) is below 1 by construction.
 * cache may be NULL.
 */
static double
pareto_log_a0(const double *p, double x, double tx, double T, ParetoHypCache *cache)
{
	double		r = p[0],
				alpha = p[1],
				s = p[2],
				beta = p[3];
	double		k = r + s + x;
	double		hi = fmax(alpha, beta);
	double		lo = fmin(alpha, beta);
	double		bparam = alpha < beta ? r + x : s + 1;
	double		q1 = hi + tx,
				q2 = hi + T;
	double		h1;
	double		l1;
	double		l2;

	if (cache && cache->valid && cache->x == x && cache->tx == tx)
		h1 = cache->value;
	else
	{
		h1 = pareto_log_hyp(k, bparam, lo, hi, tx);
		if (cache)
		{
			cache->valid = true;
			cache->x = x;
			cache->tx = tx;
			cache->value = h1;
		}
	}
	l1 = h1 + k * log(q2);
	l2 = pareto_log_hyp(k, bparam, lo, hi, T) + k * log(q1);

	if (isnan(l1) || isnan(l2))
		return NAN;
	/* t_x = T makes the two terms equal: A0 = 0. */
	if (l2 >= l1)
		return -INFINITY;
	return l1 + log1p(-exp(l2 - l1)) - k * (log(q1) + log(q2));
}

/* One customer's log-likelihood, without the x-only constant. */
static double
pareto_ll_one(const double *p, double x, double tx, double T, double la0)
{
	double		r = p[0],
				alpha = p[1],
				s = p[2],
				beta = p[3];

	return clv_logaddexp(-(r + x) * log(alpha + T) - s * log(beta + T),
						 log(s) - log(r + s + x) + la0);
}

/* Log-likelihood of theta = log(r, alpha, s, beta). */
static double
pareto_ll(const double *theta, const ClvData *d)
{
	double		p[4];
	double		ll = 0.0,
				lastx = -1.0,
				cx = 0.0;
	double		base;
	ParetoHypCache cache = {0};
	int64		i;

	/*
	 * The continued fraction costs about sqrt(max(alpha, beta) / (min + t))
	 * steps per customer: keep the search where alpha and beta are within
	 * PARETO_MAX_SCALE_RATIO of each other (at most a few hundred steps), so
	 * one evaluation over N customers costs O(N) whatever the data.  A heavy
	 * buyer pulls the optimum towards extreme scales; the fit then stops at
	 * this edge and reports converged = false (with frequency 1,000 the
	 * log-likelihood there is within 0.001 of the unbounded search's).
	 */
	if (fabs(theta[1] - theta[3]) > log(PARETO_MAX_SCALE_RATIO))
		return -INFINITY;
	for (i = 0; i < 4; i++)
		p[i] = exp(theta[i]);
	base = -lgamma(p[0]) + p[0] * log(p[1]) + p[2] * log(p[3]);
	for (i = 0; i < d->ngroups; i++)
	{
		const ClvGroup *g = &d->g[i];
		double		la0 = pareto_log_a0(p, g->x, g->tx, g->T, &cache);

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (isnan(la0))
			return -INFINITY;
		if (g->x != lastx)
		{
			lastx = g->x;
			cx = base + lgamma(p[0] + g->x);
		}
		ll += g->w * (cx + pareto_ll_one(p, g->x, g->tx, g->T, la0));
	}
	return isfinite(ll) ? ll : -INFINITY;
}

/* Final function of pareto_nbd_fit: maximum-likelihood (r, alpha, s, beta). */
Datum
pareto_nbd_fit_final(PG_FUNCTION_ARGS)
{
	ClvData    *d = clv_fit_data(fcinfo, CLV_MAGIC_PURCHASES, "pareto_nbd_fit_final");

	if (d == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(clv_pareto_fit_datum(fcinfo, d));
}

/* The pareto_nbd_params of grouped observations (both forms of the fit). */
Datum
clv_pareto_fit_datum(FunctionCallInfo fcinfo, const ClvData *d)
{
	ClvFit		fit;
	double		start[4];

	/* r = s = 1, alpha from the pooled purchase rate, beta from the mean age. */
	start[0] = 0.0;
	start[1] = clv_log_pooled_age_per_purchase(d);
	start[2] = 0.0;
	start[3] = log(fmax(clv_mean_age(d), 1e-6));
	clv_optimize(4, start, pareto_ll, NULL, d, &fit);
	return clv_fit_datum(fcinfo, 4, &fit, d->n);
}

/* (1 - q^e) / e for 0 < q <= 1, with its limit -log q at e = 0. */
static double
one_minus_pow_over(double q, double e)
{
	if (fabs(e) < 1e-12)
		return -log(q);
	return -expm1(e * log(q)) / e;
}

/* P(alive | x, t_x, T), eq. (18) of the note. */
static double
pareto_alive(const double *p, double x, double tx, double T)
{
	double		r = p[0],
				alpha = p[1],
				s = p[2],
				beta = p[3];
	double		la0 = pareto_log_a0(p, x, tx, T, NULL);

	if (isnan(la0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("P(alive) could not be computed for frequency %g, recency %g, T %g", x, tx, T),
				 errdetail("The hypergeometric series did not converge.")));
	return 1.0 / (1.0 + exp(log(s) - log(r + s + x) + (r + x) * log(alpha + T) +
							s * log(beta + T) + la0));
}

/*
 * Expected purchases in (T, T+t] given (x, t_x, T), eq. (22) of the note:
 * (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive).
 */
double
clv_pareto_conditional(const double *p, double t, double x, double tx, double T)
{
	double		r = p[0],
				alpha = p[1],
				s = p[2],
				beta = p[3];

	if (t == 0)
		return 0.0;
	return (r + x) * (beta + T) / (alpha + T) *
		one_minus_pow_over((beta + T) / (beta + T + t), s - 1) *
		pareto_alive(p, x, tx, T);
}

/* pareto_nbd_expected_purchases(params, t, frequency, recency, T) */
Datum
pareto_nbd_expected_purchases(PG_FUNCTION_ARGS)
{
	double		p[4];
	double		t = clv_arg_horizon(fcinfo, 1);
	double		x,
				tx,
				T;

	clv_read_params(PG_GETARG_DATUM(0), 4, p, "pareto_nbd_params");
	clv_arg_customer(fcinfo, 2, &x, &tx, &T);
	PG_RETURN_FLOAT8(clv_pareto_conditional(p, t, x, tx, T));
}

/*
 * pareto_nbd_expected_purchases_new(params, t): a new customer's expected
 * purchases in (0, t], r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)].
 */
Datum
pareto_nbd_expected_purchases_new(PG_FUNCTION_ARGS)
{
	double		p[4];
	double		t = clv_arg_horizon(fcinfo, 1);

	clv_read_params(PG_GETARG_DATUM(0), 4, p, "pareto_nbd_params");
	if (t == 0)
		PG_RETURN_FLOAT8(0.0);
	PG_RETURN_FLOAT8(p[0] * p[3] / p[1] * one_minus_pow_over(p[3] / (p[3] + t), p[2] - 1));
}

/* pareto_nbd_p_alive(params, frequency, recency, T) */
Datum
pareto_nbd_p_alive(PG_FUNCTION_ARGS)
{
	double		p[4];
	double		x,
				tx,
				T;

	clv_read_params(PG_GETARG_DATUM(0), 4, p, "pareto_nbd_params");
	clv_arg_customer(fcinfo, 1, &x, &tx, &T);
	PG_RETURN_FLOAT8(pareto_alive(p, x, tx, T));
}
