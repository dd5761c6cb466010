/*
 * clv_math.c
 *	  Special functions for the customer-base likelihoods: digamma, log beta,
 *	  log-space sums and the Gauss hypergeometric function 2F1(1, b; c; z)
 *	  in log space (the BG/NBD predictions have their own evaluation in
 *	  bgnbd.c).
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "clv.h"

/* Digamma function psi(x) for x > 0. */
double
clv_digamma(double x)
{
	double		result = 0.0;
	double		inv2;

	if (!(x > 0.0) || isinf(x))
		return isinf(x) ? log(x) : NAN;

	/* Recurrence psi(x) = psi(x + 1) - 1/x until the asymptotic series is accurate. */
	while (x < 8.0)
	{
		result -= 1.0 / x;
		x += 1.0;
	}
	inv2 = 1.0 / (x * x);
	result += log(x) - 0.5 / x
		- inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 / 132))));
	return result;
}

/* log Beta(a, b). */
double
clv_lbeta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/* log(exp(a) + exp(b)) without overflow. */
double
clv_logaddexp(double a, double b)
{
	double		m = a > b ? a : b;

	if (m == -INFINITY)
		return -INFINITY;
	return m + log1p(exp(-fabs(a - b)));
}

/* Continued-fraction steps before clv_log_hyp2f1_1bc gives up (z within ~1e-10 of 1). */
#define HYP2F1_CF_MAX_ITER 200000
/* Lentz's guard against a zero denominator. */
#define CF_TINY 1e-300

/*
 * One step of the modified Lentz method: fold the partial numerator coef
 * into d and cc (guarded against zero) and return the factor h moves by.
 */
static inline double
cf_lentz_step(double coef, double *d, double *cc)
{
	*d = 1.0 + coef * *d;
	if (fabs(*d) < CF_TINY)
		*d = CF_TINY;
	*cc = 1.0 + coef / *cc;
	if (fabs(*cc) < CF_TINY)
		*cc = CF_TINY;
	*d = 1.0 / *d;
	return *d * *cc;
}

/*
 * log 2F1(1, b; c; z) for 0 < b < c, c > 1 and 0 <= z < 1; NaN when the
 * continued fraction does not settle within HYP2F1_CF_MAX_ITER steps.
 *
 * This is the form the Euler transformation gives the Pareto/NBD series
 * (pareto_nbd.c), whose direct power series needs a number of terms that
 * grows with the customer's frequency.  2F1(1, b; c; z) is the continued
 * fraction of the incomplete beta function B_z(c-1, 1-(c-b)) (DLMF 8.17.8
 * and 8.17.22), evaluated by the modified Lentz method as in Numerical
 * Recipes' betacf: its cost does not depend on b and c and grows only like
 * 1/sqrt(1-z) (about 7,000 steps at z = 1 - 1e-6, where the power series
 * would need tens of millions of terms), so neither a heavy buyer nor an
 * optimiser step towards extreme alpha/beta ratios makes a fit crawl.
 */
double
clv_log_hyp2f1_1bc(double b, double c, double z)
{
	double		a = c - 1.0;
	double		bb = 1.0 - (c - b);
	double		qab = a + bb;
	double		cc = 1.0;
	double		d;
	double		h;
	int			m;

	if (z == 0.0)
		return 0.0;
	if (!(z > 0.0 && z < 1.0) || !(b > 0.0) || !(c > b) || !(c > 1.0))
		return NAN;
	d = 1.0 - qab * z / c;
	if (fabs(d) < CF_TINY)
		d = CF_TINY;
	d = 1.0 / d;
	h = d;
	for (m = 1; m < HYP2F1_CF_MAX_ITER; m++)
	{
		double		m2 = 2.0 * m;
		double		delta;

		/* even step, then odd step */
		h *= cf_lentz_step(m * (bb - m) * z / ((a - 1.0 + m2) * (a + m2)), &d, &cc);
		delta = cf_lentz_step(-(a + m) * (qab + m) * z / ((a + m2) * (a + 1.0 + m2)), &d, &cc);
		h *= delta;
		if (fabs(delta - 1.0) < 1e-16)
			return (h > 0.0 && isfinite(h)) ? log(h) : NAN;
		if ((m & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	return NAN;
}
