/*
 * clv.h
 *	  Shared declarations of the RFM and customer-lifetime-value module:
 *	  observation state of the fitting aggregates, the optimiser, the special
 *	  functions the likelihoods need, and helpers for composite arguments.
 *
 * Time in the models is in whatever unit the caller used for recency and T
 * (the literature uses weeks); every parameter that has a time dimension
 * (alpha, beta, horizons) is in that same unit.
 */
#ifndef QUANYU_CLV_H
#define QUANYU_CLV_H

#include "postgres.h"
#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/numeric.h"

/*
 * Every internal aggregate state of the module starts with one of these
 * tags, checked on every use: a user CREATE AGGREGATE may pair our
 * transition function of one aggregate with the final function of another
 * (or of another extension), and the tag turns a misread into an error.
 * Serialised states start with the tag and CLV_WIRE_VERSION.
 */
#define CLV_MAGIC_RFM		0x51524641	/* rfm_agg */
#define CLV_MAGIC_SUMMARY	0x51435341	/* clv_summary_agg */
#define CLV_MAGIC_BREAKS	0x51524242	/* rfm_breaks */
#define CLV_MAGIC_PURCHASES	0x51465450	/* bgnbd_fit, pareto_nbd_fit */
#define CLV_MAGIC_SPEND		0x51465453	/* gammagamma_fit */
#define CLV_MAGIC_METRICS	0x514d4554	/* clv_metrics_agg */
#define CLV_WIRE_VERSION	1

/* Head of every serialised state. */
typedef struct ClvWireHeader
{
	uint32		magic;
	uint32		version;
} ClvWireHeader;

/* One customer of a fit: BG/NBD and Pareto/NBD use (x, t_x, T); Gamma-Gamma uses (x, m). */
typedef struct ClvObs
{
	double		x;				/* repeat purchases */
	double		tx;				/* recency, or mean repeat spend for Gamma-Gamma */
	double		T;				/* age at calibration end; 0 for Gamma-Gamma */
} ClvObs;

/* A group of identical observations, the unit the likelihoods iterate over. */
typedef struct ClvGroup
{
	double		x;
	double		tx;
	double		T;
	double		w;				/* how many customers share these values */
} ClvGroup;

/*
 * The order of observations and of their groups: on (x, tx, T).  Inline,
 * so the sort templates that use it (clv_obs.c, clv_split.c) inline it too.
 */
static inline int
clv_order(double ax, double atx, double aT, double bx, double btx, double bT)
{
	if (ax != bx)
		return ax < bx ? -1 : 1;
	if (atx != btx)
		return atx < btx ? -1 : 1;
	if (aT != bT)
		return aT < bT ? -1 : 1;
	return 0;
}

/* Aggregate state of every fitting aggregate: the raw observations. */
typedef struct ClvObsState
{
	uint32		magic;			/* CLV_MAGIC_PURCHASES or CLV_MAGIC_SPEND */
	int64		n;
	int64		cap;
	ClvObs	   *obs;
} ClvObsState;

/* Sorted, deduplicated observations handed to likelihood functions. */
typedef struct ClvData
{
	const ClvGroup *g;
	int64		ngroups;
	double		n;				/* total weight (customers) */
} ClvData;

#define CLV_MAX_PARAMS 4

/* Log-likelihood of log-parameters theta over data; -INFINITY when undefined. */
typedef double (*ClvLogLik) (const double *theta, const ClvData *data);

/* Gradient of ClvLogLik with respect to theta; returns false when undefined. */
typedef bool (*ClvGradient) (const double *theta, const ClvData *data, double *grad);

/* Outcome of clv_optimize. */
typedef struct ClvFit
{
	double		theta[CLV_MAX_PARAMS];	/* log-parameters at the optimum */
	double		ll;
	int			iterations;
	bool		converged;
} ClvFit;

/* clv_math.c */
extern double clv_digamma(double x);
extern double clv_log_hyp2f1_1bc(double b, double c, double z);
extern double clv_logaddexp(double a, double b);
extern double clv_lbeta(double a, double b);

/* clv_optim.c */
extern void clv_optimize(int dim, const double *start, ClvLogLik f,
						 ClvGradient grad, const ClvData *data, ClvFit *fit);

/* bgnbd.c, pareto_nbd.c, gammagamma.c: predictions used by clv() */
extern double clv_bgnbd_conditional(const double *p, double t, double x, double tx, double T);
extern double clv_pareto_conditional(const double *p, double t, double x, double tx, double T);
extern double clv_gammagamma_spend(const double *p, double x, double m);
extern void clv_gammagamma_check(double x, double m);
extern Datum clv_bgnbd_fit_datum(FunctionCallInfo fcinfo, const ClvData *d);
extern Datum clv_pareto_fit_datum(FunctionCallInfo fcinfo, const ClvData *d);
extern Datum clv_gammagamma_fit_datum(FunctionCallInfo fcinfo, const ClvData *d);

/* clv_metrics.c */
extern void clv_metrics_check_row(int64 orders, Numeric revenue);
extern Datum clv_metrics_datum(FunctionCallInfo fcinfo, int64 customers, int64 orders,
							   int64 repeaters, Numeric revenue);

/* clv_obs.c */
extern void *clv_state_arg(FunctionCallInfo fcinfo, int argno, uint32 magic, const char *fname);
extern const char *clv_wire_check(bytea *in, uint32 magic, Size minlen, const char *fname);
extern void clv_wire_header(char *dst, uint32 magic);
extern TimestampTz clv_arg_timestamp(FunctionCallInfo fcinfo, int argno, const char *name);
extern double clv_timestamp_diff_days(TimestampTz a, TimestampTz b);
extern ClvObsState *clv_obs_state_get(FunctionCallInfo fcinfo, uint32 magic, const char *fname);
extern void clv_obs_append(ClvObsState *st, double x, double tx, double T);
extern void clv_obs_check_rfm(double x, double tx, double T);
extern ClvData *clv_obs_group(const ClvObsState *st);
extern ClvData *clv_fit_data(FunctionCallInfo fcinfo, uint32 magic, const char *fname);
extern double clv_log_pooled_age_per_purchase(const ClvData *d);
extern double clv_mean_age(const ClvData *d);
extern double clv_arg_horizon(FunctionCallInfo fcinfo, int argno);
extern void clv_read_params(Datum composite, int n, double *out, const char *tname);
extern Datum clv_fit_datum(FunctionCallInfo fcinfo, int dim, const ClvFit *fit, double n);
extern double clv_arg_finite(FunctionCallInfo fcinfo, int argno, const char *name);
extern void clv_check_customer(double x, double tx, double T);
extern void clv_arg_customer(FunctionCallInfo fcinfo, int argno, double *x, double *tx, double *T);

#endif							/* QUANYU_CLV_H */
