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

	if (d == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(clv_bgnbd_fit_datum(fcinfo, d));
}

/*
 * The bgnbd_params of grouped observations, for the calling final function
 * (bgnbd_fit_final and the split form's final function share it, so both
 * forms give the same answer on the same data).
 */
Datum
clv_bgnbd_fit_datum(FunctionCallInfo fcinfo, const ClvData *d)
{
	ClvFit		fit;
	double		start[4];

	/* Start at r = 1, a = b = 1 with alpha matching the pooled purchase rate. */
	start[0] = 0.0;
	start[1] = clv_log_pooled_age_per_purchase(d);
	start[2] = 0.0;
	start[3] = 0.0;
	clv_optimize(4, start, bgnbd_ll, bgnbd_grad, d, &fit);
	return clv_fit_datum(fcinfo, 4, &fit, d->n);
}

/*
 * E_alive below is the expected number of purchases in (T, T+t] of a
 * customer still alive at T: eq. (10) of the paper without P(alive).
 */

/* Series terms before bgnbd_series gives up and the quadrature takes over. */
#define BGNBD_SERIES_MAX_TERMS 2000
/* Largest number of quadrature nodes (the cost bound of one prediction). */
#define BGNBD_QUAD_MAX_NODES 400000

/*
 * E_alive by the Euler-transformed series; false when it would be slow
 * (z near 1 with small a + b + x) or lose digits to cancellation.
 *
 * Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)
 * with A = r+x, B = b+x, C = a+b+x-1 turns the bracket of eq. (10) into
 * 1 - q^(a-1) 2F1(c1, a-1; C; z), q = 1-z, c1 = a+b-1-r, whose numerator
 * parameters no longer grow with x: the direct series needs about
 * (r+x) z / (1-z) terms, this one a handful when C is large.  Writing
 * (a-1)_k = (a-1) (a)_(k-1) removes the removable singularity at a = 1:
 *   E_alive = C [(1 - q^(a-1)) / (a-1) - q^(a-1) S],
 *   S = sum_{k>=1} (c1)_k (a)_(k-1) z^k / ((C)_k k!).
 */
static bool
bgnbd_series(double r, double a, double b, double x, double z, double lq, double *out)
{
	double		C = a + b + x - 1;
	double		c1 = a + b - 1 - r;
	double		e = a - 1;
	double		first = fabs(e) < 1e-12 ? -lq : -expm1(e * lq) / e;
	double		qe = exp(e * lq);
	double		term,
				sum,
				big;
	int			k;

	if (!(C > 0))
		return false;
	term = c1 * z / C;
	sum = term;
	big = fabs(term);
	for (k = 1; k < BGNBD_SERIES_MAX_TERMS; k++)
	{
		double		ratio = (c1 + k) * (a + k - 1) / ((C + k) * (k + 1.0)) * z;
		double		bound;

		term *= ratio;
		sum += term;
		if (fabs(term) > big)
			big = fabs(term);
		/* The ratio tends to z; bound the tail by a geometric series. */
		bound = fabs(ratio) > z ? fabs(ratio) : z;
		if (k > -c1 && bound < 1.0 &&
			fabs(term) * bound / (1.0 - bound) <= 1e-17 * (fabs(sum) + first / qe))
		{
			double		v = C * (first - qe * sum);

			/* Terms far larger than the result leave too few correct digits. */
			if (!(v > 0) || qe * big * C > 1e6 * v)
				return false;
			*out = v;
			return true;
		}
	}
	return false;
}

/*
 * log of the integrand of E_alive at y = log(p / (1-p)), the Euler integral
 *   E_alive = E[(1 - (1 + p s)^-(r+x)) / p],  p ~ Beta(a, b+x),
 * (the mean of (1 - e^(-lambda p t)) / p over the posterior gamma of lambda
 * with shape r+x and rate alpha+T, s = t/(alpha+T)), times dp/dy.
 */
static double
bgnbd_log_integrand(double y, double A, double a, double B, double lbab, double ls)
{
	double		lp = y < 0 ? y - log1p(exp(y)) : -log1p(exp(-y));
	double		l1p = y < 0 ? -log1p(exp(y)) : -y - log1p(exp(-y));
	double		lps = lp + ls;
	double		lg;

	if (lps < -600)
		lg = log(A) + ls;		/* 1 - (1+ps)^-A = A p s to double precision */
	else
	{
		double		ps = exp(lps);

		lg = log(-expm1(-A * log1p(ps))) - lp;
	}
	return a * lp + B * l1p - lbab + lg;
}

/*
 * E_alive by the trapezoidal rule in y = c + w sinh(v), which decays double
 * exponentially in v for any a, b > 0.  The integrand has two features in
 * y: the Beta density's mode log(a/(b+x)), of width about
 * sqrt(1/a + 1/(b+x)), and the step of 1 - (1+ps)^-A near -log(A s).  c and
 * w put both, with ten widths either side of the mode, inside |sinh v| <= 1,
 * and the first step in v puts nodes at most 0.2 apart there (a quarter of
 * the width for a narrow mode).  The step is halved, reusing the nodes,
 * until two levels agree to 1e-12.  The number of nodes has a fixed bound,
 * so the cost has one too; NaN when the levels do not agree within it.
 */
static double
bgnbd_quadrature(double r, double a, double b, double x, double ls)
{
	double		A = r + x;
	double		B = b + x;
	double		lbab = clv_lbeta(a, B);
	double		ym = log(a) - log(B);
	double		y1 = -(log(A) + ls);
	double		width = sqrt(1.0 / a + 1.0 / B);
	double		lo = fmin(ym - 10 * width, y1 - 2);
	double		hi = fmax(ym + 10 * width, y1 + 2);
	double		c = (lo + hi) / 2;
	double		w = (hi - lo) / 2;
	double		spacing = fmin(0.2, width / 4);
	double		rate = fmin(a, B);
	double		vmax;
	double		h;
	double		sum = 0.0,
				prev = NAN;
	double		shift;
	int64		nodes;
	int			level;

	/* The tails decay like exp(-rate |y|): go 40/rate beyond the features. */
	vmax = asinh((w + 45.0 / rate) / w);
	h = spacing / (w * M_SQRT2);
	/* Integrate exp(log integrand - shift) to stay in double range. */
	shift = fmax(bgnbd_log_integrand(ym, A, a, B, lbab, ls),
				 bgnbd_log_integrand(fmin(fmax(y1, lo), hi), A, a, B, lbab, ls));
	if (!isfinite(shift))
		return NAN;
	nodes = 0;
	for (level = 0; level < 8; level++)
	{
		int64		n = (int64) ceil(vmax / h);
		int64		i;
		double		add = 0.0;

		/* level 0 visits every node; later levels only the new midpoints */
		for (i = -n; i <= n; i++)
		{
			double		v,
						y,
						f;

			if (level > 0 && (i & 1) == 0)
				continue;
			v = i * h;
			y = c + w * sinh(v);
			f = exp(bgnbd_log_integrand(y, A, a, B, lbab, ls) - shift);
			if (isfinite(f))
				add += f * w * cosh(v);
			if ((++nodes & 0x3FFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		sum = level == 0 ? add * h : sum / 2 + add * h;
		if (level > 0 && fabs(sum - prev) <= 1e-12 * fabs(sum))
			return sum * exp(shift);
		prev = sum;
		if (nodes + 2 * n > BGNBD_QUAD_MAX_NODES)
			break;
		h /= 2;
	}
	return NAN;
}

/*
 * Expected purchases in (T, T+t] of a customer alive at T with history
 * (x, T), i.e. the bracket of eq. (10) of the paper times (a+b+x-1)/(a-1),
 * with bounded cost: the series when it converges fast, else the
 * quadrature.  NaN when neither gives an accurate value.
 */
static double
bgnbd_alive_purchases(const double *p, double t, double x, double T)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];
	double		v;

	if (t == 0)
		return 0.0;
	if (bgnbd_series(r, a, b, x, t / (alpha + T + t),
					 -log1p(t / (alpha + T)), &v))
		return v;
	return bgnbd_quadrature(r, a, b, x, log(t) - log(alpha + T));
}

/* The expectation, or an error when it cannot be computed to double precision. */
static double
bgnbd_alive_purchases_checked(const double *p, double t, double x, double T)
{
	double		v = bgnbd_alive_purchases(p, t, x, T);

	if (!(v >= 0) || !isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("expected purchases could not be computed for frequency %g, T %g and t %g", x, T, t),
				 errdetail("Neither the hypergeometric series nor the quadrature reached a finite, accurate value for r %g, alpha %g, a %g and b %g.",
						   p[0], p[1], p[2], p[3])));
	return v;
}

/*
 * Expected purchases in (0, t] of a just-acquired customer, eq. (7):
 * (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))],
 * which is eq. (10) at x = t_x = T = 0.
 */
static double
bgnbd_new_purchases(const double *p, double t)
{
	return bgnbd_alive_purchases_checked(p, t, 0, 0);
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
	if (t == 0)
		return 0.0;
	return bgnbd_alive_purchases_checked(p, t, x, T) * bgnbd_alive(p, x, tx, T);
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
