/*
 * clv_optim.c
 *	  Maximum-likelihood optimiser shared by the BG/NBD, Pareto/NBD and
 *	  Gamma-Gamma fits: Nelder-Mead on log-parameters to get near the optimum
 *	  robustly, then damped Newton steps to polish and to prove convergence.
 *
 * Working on log-parameters keeps every model parameter positive without
 * constraints.  Nelder-Mead first runs on a systematic subsample of at most
 * CLV_SUBSAMPLE groups (all of them for data of CDNOW's size) because it
 * needs hundreds of evaluations; Newton then needs only a handful on the
 * full data, and its gradient test is what "converged" reports.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "clv.h"

#define CLV_SUBSAMPLE 5000
#define NM_MAX_ITER 4000
#define NM_RESTARTS 3
#define NEWTON_MAX_ITER 60
/* |log-parameter| beyond this means a parameter ran off to 0 or infinity. */
#define THETA_LIMIT 30.0

/* Negated log-likelihood, +infinity where undefined (Nelder-Mead minimises). */
static double
nm_cost(ClvLogLik f, const double *theta, const ClvData *data)
{
	double		v = f(theta, data);

	return isfinite(v) ? -v : INFINITY;
}

/* Index order of the simplex vertices by cost, best first (insertion sort). */
static void
nm_order(int npts, const double *cost, int *idx)
{
	int			i,
				j;

	for (i = 0; i < npts; i++)
		idx[i] = i;
	for (i = 1; i < npts; i++)
		for (j = i; j > 0 && cost[idx[j]] < cost[idx[j - 1]]; j--)
		{
			int			t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
}

/* Point c + coef * (c - w), the Nelder-Mead move away from the worst vertex. */
static void
nm_move(int dim, const double *c, const double *w, double coef, double *out)
{
	int			k;

	for (k = 0; k < dim; k++)
		out[k] = c[k] + coef * (c[k] - w[k]);
}

/* One Nelder-Mead run from theta (updated in place); returns iterations. */
static int
nelder_mead(int dim, double *theta, ClvLogLik f, const ClvData *data, double step)
{
	double		pts[CLV_MAX_PARAMS + 1][CLV_MAX_PARAMS];
	double		cost[CLV_MAX_PARAMS + 1];
	double		cen[CLV_MAX_PARAMS],
				xr[CLV_MAX_PARAMS],
				xe[CLV_MAX_PARAMS];
	int			idx[CLV_MAX_PARAMS + 1];
	int			npts = dim + 1;
	int			it,
				i,
				k;

	for (i = 0; i < npts; i++)
	{
		memcpy(pts[i], theta, sizeof(double) * dim);
		if (i > 0)
			pts[i][i - 1] += step;
		cost[i] = nm_cost(f, pts[i], data);
	}

	for (it = 0; it < NM_MAX_ITER; it++)
	{
		int			best,
					worst,
					second;
		double		cr,
					spread = 0.0;

		CHECK_FOR_INTERRUPTS();
		nm_order(npts, cost, idx);
		best = idx[0];
		worst = idx[dim];
		second = idx[dim - 1];

		for (i = 1; i < npts; i++)
			for (k = 0; k < dim; k++)
				spread = fmax(spread, fabs(pts[idx[i]][k] - pts[best][k]));
		if (isfinite(cost[worst]) &&
			cost[worst] - cost[best] <= 1e-11 * (fabs(cost[best]) + 1e-9) &&
			spread < 1e-7)
			break;

		memset(cen, 0, sizeof(cen));
		for (i = 0; i < dim; i++)
			for (k = 0; k < dim; k++)
				cen[k] += pts[idx[i]][k] / dim;

		nm_move(dim, cen, pts[worst], 1.0, xr);
		cr = nm_cost(f, xr, data);
		if (cr < cost[best])
		{
			double		ce;

			nm_move(dim, cen, pts[worst], 2.0, xe);
			ce = nm_cost(f, xe, data);
			if (ce < cr)
			{
				memcpy(pts[worst], xe, sizeof(double) * dim);
				cost[worst] = ce;
			}
			else
			{
				memcpy(pts[worst], xr, sizeof(double) * dim);
				cost[worst] = cr;
			}
		}
		else if (cr < cost[second])
		{
			memcpy(pts[worst], xr, sizeof(double) * dim);
			cost[worst] = cr;
		}
		else
		{
			/* Contract towards the better of the worst vertex and its reflection. */
			double		cc;
			bool		outside = cr < cost[worst];

			nm_move(dim, cen, outside ? xr : pts[worst], -0.5, xe);
			cc = nm_cost(f, xe, data);
			if (cc < (outside ? cr : cost[worst]))
			{
				memcpy(pts[worst], xe, sizeof(double) * dim);
				cost[worst] = cc;
			}
			else
			{
				/* Shrink every vertex towards the best one. */
				for (i = 0; i < npts; i++)
				{
					if (i == best)
						continue;
					for (k = 0; k < dim; k++)
						pts[i][k] = pts[best][k] + 0.5 * (pts[i][k] - pts[best][k]);
					cost[i] = nm_cost(f, pts[i], data);
				}
			}
		}
	}

	nm_order(npts, cost, idx);
	if (isfinite(cost[idx[0]]))
		memcpy(theta, pts[idx[0]], sizeof(double) * dim);
	return it;
}

/* Gradient by the model's formula, or by central differences when it has none. */
static bool
gradient(int dim, const double *theta, ClvLogLik f, ClvGradient grad,
		 const ClvData *data, double *g)
{
	double		t[CLV_MAX_PARAMS];
	const double h = 1e-5;
	int			k;

	if (grad)
		return grad(theta, data, g);
	memcpy(t, theta, sizeof(double) * dim);
	for (k = 0; k < dim; k++)
	{
		double		up,
					down;

		t[k] = theta[k] + h;
		up = f(t, data);
		t[k] = theta[k] - h;
		down = f(t, data);
		t[k] = theta[k];
		g[k] = (up - down) / (2 * h);
		if (!isfinite(g[k]))
			return false;
	}
	return true;
}

/*
 * Hessian of the log-likelihood: forward differences of the analytic
 * gradient when there is one, else central second differences of f.
 */
static bool
hessian(int dim, const double *theta, double f0, const double *g0, ClvLogLik f,
		ClvGradient grad, const ClvData *data, double H[][CLV_MAX_PARAMS])
{
	double		t[CLV_MAX_PARAMS],
				g1[CLV_MAX_PARAMS];
	int			i,
				j;

	memcpy(t, theta, sizeof(double) * dim);
	if (grad)
	{
		const double h = 1e-6;

		for (j = 0; j < dim; j++)
		{
			t[j] = theta[j] + h;
			if (!grad(t, data, g1))
				return false;
			t[j] = theta[j];
			for (i = 0; i < dim; i++)
				H[i][j] = (g1[i] - g0[i]) / h;
		}
		for (i = 0; i < dim; i++)
			for (j = 0; j < i; j++)
				H[i][j] = H[j][i] = 0.5 * (H[i][j] + H[j][i]);
	}
	else
	{
		const double h = 1e-4;

		for (i = 0; i < dim; i++)
			for (j = 0; j <= i; j++)
			{
				double		v;

				if (i == j)
				{
					t[i] = theta[i] + h;
					v = f(t, data);
					t[i] = theta[i] - h;
					v += f(t, data) - 2 * f0;
					H[i][i] = v / (h * h);
				}
				else
				{
					t[i] = theta[i] + h;
					t[j] = theta[j] + h;
					v = f(t, data);
					t[j] = theta[j] - h;
					v -= f(t, data);
					t[i] = theta[i] - h;
					v += f(t, data);
					t[j] = theta[j] + h;
					v -= f(t, data);
					H[i][j] = H[j][i] = v / (4 * h * h);
				}
				t[i] = theta[i];
				t[j] = theta[j];
			}
	}
	for (i = 0; i < dim; i++)
		for (j = 0; j < dim; j++)
			if (!isfinite(H[i][j]))
				return false;
	return true;
}

/* Solve (A + lambda I) x = b by Cholesky; false when not positive definite. */
static bool
cholesky_solve(int dim, double A[][CLV_MAX_PARAMS], double lambda,
			   const double *b, double *x)
{
	double		L[CLV_MAX_PARAMS][CLV_MAX_PARAMS];
	double		y[CLV_MAX_PARAMS];
	int			i,
				j,
				k;

	for (i = 0; i < dim; i++)
		for (j = 0; j <= i; j++)
		{
			double		s = A[i][j] + (i == j ? lambda : 0.0);

			for (k = 0; k < j; k++)
				s -= L[i][k] * L[j][k];
			if (i == j)
			{
				if (!(s > 0.0))
					return false;
				L[i][i] = sqrt(s);
			}
			else
				L[i][j] = s / L[j][j];
		}
	for (i = 0; i < dim; i++)
	{
		double		s = b[i];

		for (k = 0; k < i; k++)
			s -= L[i][k] * y[k];
		y[i] = s / L[i][i];
	}
	for (i = dim - 1; i >= 0; i--)
	{
		double		s = y[i];

		for (k = i + 1; k < dim; k++)
			s -= L[k][i] * x[k];
		x[i] = s / L[i][i];
	}
	return true;
}

/*
 * Hessian for a Newton step on data: on the subsample when there is one,
 * scaled to the full data's size.  The curvature only steers the steps (the
 * full-data gradient decides where they stop), and on large data this saves
 * dim full passes per iteration.
 */
static bool
step_hessian(int dim, const double *theta, double f_full, const double *g_full,
			 ClvLogLik f, ClvGradient grad, const ClvData *data, const ClvData *sub,
			 double H[][CLV_MAX_PARAMS])
{
	double		gs[CLV_MAX_PARAMS];
	double		scale;
	int			i,
				j;

	if (sub->g == data->g)
		return hessian(dim, theta, f_full, g_full, f, grad, data, H);
	if (!gradient(dim, theta, f, grad, sub, gs) ||
		!hessian(dim, theta, f(theta, sub), gs, f, grad, sub, H))
		return false;
	scale = data->n / sub->n;
	for (i = 0; i < dim; i++)
		for (j = 0; j < dim; j++)
			H[i][j] *= scale;
	return true;
}

/* Largest absolute component. */
static double
max_abs(int dim, const double *v)
{
	double		m = 0.0;
	int			k;

	for (k = 0; k < dim; k++)
		m = fmax(m, fabs(v[k]));
	return m;
}

/*
 * Damped Newton ascent from fit->theta; sets fit->converged when the
 * gradient vanishes at a point where the Hessian is negative definite.
 */
static void
newton_polish(int dim, ClvLogLik f, ClvGradient grad, const ClvData *data,
			  const ClvData *sub, ClvFit *fit)
{
	double		gtol = 1e-6 * fmax(1.0, data->n);
	double		H[CLV_MAX_PARAMS][CLV_MAX_PARAMS],
				negH[CLV_MAX_PARAMS][CLV_MAX_PARAMS];
	double		g[CLV_MAX_PARAMS],
				d[CLV_MAX_PARAMS],
				t[CLV_MAX_PARAMS];
	int			it,
				i,
				j;

	fit->converged = false;
	fit->ll = f(fit->theta, data);
	if (!isfinite(fit->ll))
		return;

	for (it = 0; it < NEWTON_MAX_ITER; it++)
	{
		double		lambda = 0.0;
		double		step = 1.0;
		bool		definite;
		bool		improved = false;

		CHECK_FOR_INTERRUPTS();
		if (!gradient(dim, fit->theta, f, grad, data, g) ||
			!step_hessian(dim, fit->theta, fit->ll, g, f, grad, data, sub, H))
			return;
		for (i = 0; i < dim; i++)
			for (j = 0; j < dim; j++)
				negH[i][j] = -H[i][j];
		definite = cholesky_solve(dim, negH, 0.0, g, d);
		if (definite && max_abs(dim, g) <= gtol)
		{
			fit->converged = max_abs(dim, fit->theta) < THETA_LIMIT;
			fit->iterations += it;
			return;
		}
		/* Levenberg damping where the Hessian is not negative definite. */
		if (!definite)
		{
			double		scale = 0.0;

			for (i = 0; i < dim; i++)
				scale = fmax(scale, fabs(H[i][i]));
			lambda = fmax(scale, 1.0) * 1e-6;
			while (!cholesky_solve(dim, negH, lambda, g, d))
			{
				lambda *= 10.0;
				if (!isfinite(lambda))
					return;
			}
		}
		/* Backtracking line search; never take a step that lowers the likelihood. */
		for (j = 0; j < 40; j++, step *= 0.5)
		{
			double		v;

			for (i = 0; i < dim; i++)
				t[i] = fit->theta[i] + step * d[i];
			v = f(t, data);
			if (isfinite(v) && v >= fit->ll)
			{
				improved = v > fit->ll || step == 1.0;
				memcpy(fit->theta, t, sizeof(double) * dim);
				fit->ll = v;
				break;
			}
		}
		if (!improved || max_abs(dim, fit->theta) >= THETA_LIMIT)
			break;
	}
	fit->iterations += it;

	/* Out of iterations or stalled: converged only if the gradient test passes here. */
	if (gradient(dim, fit->theta, f, grad, data, g) &&
		step_hessian(dim, fit->theta, fit->ll, g, f, grad, data, sub, H))
	{
		for (i = 0; i < dim; i++)
			for (j = 0; j < dim; j++)
				negH[i][j] = -H[i][j];
		fit->converged = max_abs(dim, g) <= gtol &&
			cholesky_solve(dim, negH, 0.0, g, d) &&
			max_abs(dim, fit->theta) < THETA_LIMIT;
	}
}

/* Systematic subsample of the groups, at most CLV_SUBSAMPLE of them. */
static ClvData
subsample(const ClvData *data, ClvGroup *buf)
{
	ClvData		sub = *data;
	int64		stride = (data->ngroups + CLV_SUBSAMPLE - 1) / CLV_SUBSAMPLE;
	int64		i,
				m = 0;

	sub.n = 0.0;
	for (i = 0; i < data->ngroups; i += stride)
	{
		buf[m] = data->g[i];
		sub.n += buf[m].w;
		m++;
	}
	sub.g = buf;
	sub.ngroups = m;
	return sub;
}

/*
 * Maximise f over dim log-parameters from start; the result says whether
 * the optimum was reached (fit->converged) rather than hiding a failure.
 */
void
clv_optimize(int dim, const double *start, ClvLogLik f, ClvGradient grad,
			 const ClvData *data, ClvFit *fit)
{
	ClvGroup   *buf = NULL;
	ClvData		sub = *data;
	int			r;

	Assert(dim <= CLV_MAX_PARAMS);
	memset(fit, 0, sizeof(ClvFit));
	memcpy(fit->theta, start, sizeof(double) * dim);

	if (data->ngroups > CLV_SUBSAMPLE)
	{
		buf = palloc(sizeof(ClvGroup) * CLV_SUBSAMPLE);
		sub = subsample(data, buf);
	}
	/* Restarts from the best vertex guard against a collapsed simplex. */
	for (r = 0; r < NM_RESTARTS; r++)
		fit->iterations += nelder_mead(dim, fit->theta, f, &sub, r == 0 ? 1.0 : 0.1);
	newton_polish(dim, f, grad, data, &sub, fit);
	if (buf)
		pfree(buf);
}
