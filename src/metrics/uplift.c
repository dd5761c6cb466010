/*
 * uplift.c
 *	  holdout_uplift(person_id, converted, gmv, treated, holdout, contacts
 *	  [, confidence, bootstrap, seed, overlap]): the campaign result table of
 *	  a holdout test, with confidence intervals and a contamination check.
 *
 * Rows are per-person outcomes; a person of a group without a row did not
 * convert and spent 0.  The state keeps the outcomes of the persons of each
 * group that have a row (a bootstrap resamples them), and the audiences of
 * the first row, which every later row must repeat.  Intervals: unpooled
 * normal (Wald) for the difference of two proportions with the pooled
 * two-proportion z test for the p-value, Welch's t for the difference of
 * means, the log ratio (Katz; delta method for means) for relative uplift,
 * or the percentile bootstrap with a seed.  doc/measurement.md gives the
 * formulas and the textbook checks in sql/measure_uplift.sql.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "audience/audience.h"
#include "catalog/pg_type.h"
#include "common/person_id.h"
#include "common/pg_prng.h"
#include "common/sql_safety.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#define UPLIFT_STATE_MAGIC	0x51595550	/* "QYUP" */
#define UPLIFT_MAX_BOOTSTRAP 100000
#define UPLIFT_NCOLS 13

/* An audience argument as the first row gave it, and how to know it again. */
typedef struct UpliftAudience
{
	bool		isnull;
	bool		toasted;		/* key is a TOAST pointer, not the value */
	char	   *key;
	Size		key_len;
	const roaring_bitmap_t *bitmap;
} UpliftAudience;

/* The outcomes of the persons of one group that have a row. */
typedef struct UpliftGroup
{
	float8	   *gmv;
	bool	   *conv;
	int64		n;
	int64		cap;
} UpliftGroup;

typedef struct UpliftState
{
	uint32		magic;			/* UPLIFT_STATE_MAGIC */
	MemoryContext cxt;
	UpliftAudience aud[3];		/* treated, holdout, contacts */
	float8		confidence;
	int32		bootstrap;
	int64		seed;
	bool		exclude_overlap;
	const roaring_bitmap_t *overlap;	/* treated & holdout, when excluded */
	UpliftGroup group[2];		/* treated, holdout */
	roaring_bitmap_t *seen;		/* persons with a row; freed with cxt */
	MemoryContextCallback free_seen;
} UpliftState;

static void
uplift_free_seen(void *arg)
{
	UpliftState *st = (UpliftState *) arg;

	if (st->seen != NULL)
		roaring_bitmap_free(st->seen);
	st->seen = NULL;
	if (st->overlap != NULL)
		roaring_bitmap_free((roaring_bitmap_t *) st->overlap);
	st->overlap = NULL;
}

/*
 * Remember audience argument argno of the first row: its bitmap, and the
 * bytes that let later rows be recognised cheaply (the TOAST pointer of a
 * stored value, or the payload of an inline one; never the varlena header,
 * whose short and long forms differ for the same value).
 */
static void
uplift_keep_audience(FunctionCallInfo fcinfo, UpliftState *st, int argno, UpliftAudience *a)
{
	Datum		d;
	struct varlena *v;

	a->isnull = PG_ARGISNULL(argno);
	if (a->isnull)
		return;
	d = PG_GETARG_DATUM(argno);
	v = (struct varlena *) DatumGetPointer(d);
	if (!audience_datum_is_expanded(d))
	{
		a->toasted = VARATT_IS_EXTERNAL_ONDISK(v);
		if (a->toasted)
		{
			a->key_len = VARSIZE_ANY(v);
			a->key = MemoryContextAlloc(st->cxt, a->key_len);
			memcpy(a->key, v, a->key_len);
		}
		else
		{
			v = PG_DETOAST_DATUM_PACKED(d);
			a->key_len = VARSIZE_ANY_EXHDR(v);
			a->key = MemoryContextAlloc(st->cxt, a->key_len);
			memcpy(a->key, VARDATA_ANY(v), a->key_len);
		}
	}
	a->bitmap = audience_expanded_bitmap(audience_expand(d, st->cxt));
}

/*
 * Is audience argument argno of this row the one the first row gave?  The
 * same bytes (or TOAST pointer) answer at once; anything else (a value that
 * came as an expanded object, through another TOAST pointer, or from a
 * remote node as text) is compared as a set.
 */
static bool
uplift_same_audience(FunctionCallInfo fcinfo, int argno, UpliftAudience *a)
{
	Datum		d;
	struct varlena *v;

	if (PG_ARGISNULL(argno) || a->isnull)
		return PG_ARGISNULL(argno) && a->isnull;
	if (get_fn_expr_arg_stable(fcinfo->flinfo, argno))
		return true;
	d = PG_GETARG_DATUM(argno);
	v = (struct varlena *) DatumGetPointer(d);
	if (a->key != NULL && !audience_datum_is_expanded(d))
	{
		if (VARATT_IS_EXTERNAL_ONDISK(v))
		{
			if (a->toasted && VARSIZE_ANY(v) == a->key_len && memcmp(v, a->key, a->key_len) == 0)
				return true;
		}
		else if (!a->toasted)
		{
			v = PG_DETOAST_DATUM_PACKED(d);
			if (VARSIZE_ANY_EXHDR(v) == a->key_len && memcmp(VARDATA_ANY(v), a->key, a->key_len) == 0)
				return true;
		}
	}
	return roaring_bitmap_equals(audience_arg_bitmap(fcinfo, argno), a->bitmap);
}

static void
uplift_need(bool ok, const char *msg, const char *detail)
{
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", msg),
				 detail ? errdetail("%s", detail) : 0));
}

/* The state of argument 0 (not NULL), refused unless holdout_uplift built it. */
static UpliftState *
uplift_state_arg(FunctionCallInfo fcinfo)
{
	UpliftState *st = (UpliftState *) PG_GETARG_POINTER(0);

	if (st == NULL || st->magic != UPLIFT_STATE_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid holdout_uplift state"),
				 errdetail("The state was not built by holdout_uplift.")));
	return st;
}

/* Build the state from the first row: audiences and options, checked. */
static UpliftState *
uplift_state_new(FunctionCallInfo fcinfo, MemoryContext aggcxt)
{
	UpliftState *st = MemoryContextAllocZero(aggcxt, sizeof(UpliftState));
	MemoryContext old;
	uint64		overlap;

	st->magic = UPLIFT_STATE_MAGIC;
	st->cxt = aggcxt;
	st->confidence = 0.95;
	st->seen = roaring_bitmap_create();
	if (st->seen == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("The holdout_uplift person set could not be allocated.")));
	st->free_seen.func = uplift_free_seen;
	st->free_seen.arg = st;
	MemoryContextRegisterResetCallback(aggcxt, &st->free_seen);

	if (PG_NARGS() > 7)
	{
		char	   *overlap_mode;

		uplift_need(!PG_ARGISNULL(7) && !PG_ARGISNULL(8) && !PG_ARGISNULL(9) && !PG_ARGISNULL(10),
					"holdout_uplift confidence, bootstrap, seed and overlap must not be null", NULL);
		st->confidence = PG_GETARG_FLOAT8(7);
		st->bootstrap = PG_GETARG_INT32(8);
		st->seed = PG_GETARG_INT64(9);
		overlap_mode = text_to_cstring(PG_GETARG_TEXT_PP(10));
		if (strcmp(overlap_mode, "exclude") == 0)
			st->exclude_overlap = true;
		else if (strcmp(overlap_mode, "error") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown holdout_uplift overlap option \"%s\"", overlap_mode),
					 errhint("Use error (the default) or exclude.")));
		uplift_need(st->confidence > 0 && st->confidence < 1,
					"holdout_uplift confidence must be between 0 and 1",
					psprintf("The confidence is %g.", st->confidence));
		uplift_need(st->bootstrap >= 0 && st->bootstrap <= UPLIFT_MAX_BOOTSTRAP,
					"holdout_uplift bootstrap must be from 0 to 100000 resamples",
					psprintf("The bootstrap is %d.", st->bootstrap));
	}
	uplift_need(!PG_ARGISNULL(4) && !PG_ARGISNULL(5),
				"holdout_uplift treated and holdout audiences must not be null", NULL);
	old = MemoryContextSwitchTo(aggcxt);
	for (int i = 0; i < 3; i++)
		uplift_keep_audience(fcinfo, st, 4 + i, &st->aud[i]);
	MemoryContextSwitchTo(old);
	overlap = roaring_bitmap_and_cardinality(st->aud[0].bitmap, st->aud[1].bitmap);
	if (overlap > 0 && !st->exclude_overlap)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("treated and holdout audiences overlap"),
				 errdetail("%llu persons are in both groups.", (unsigned long long) overlap),
				 errhint("Fix the split, or pass 'exclude' as the overlap option to leave those persons out of both groups.")));
	if (overlap > 0)
	{
		st->overlap = roaring_bitmap_and(st->aud[0].bitmap, st->aud[1].bitmap);
		if (st->overlap == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
	}
	for (int g = 0; g < 2; g++)
	{
		st->group[g].cap = 64;
		st->group[g].gmv = MemoryContextAlloc(aggcxt, sizeof(float8) * 64);
		st->group[g].conv = MemoryContextAlloc(aggcxt, sizeof(bool) * 64);
	}
	return st;
}

PG_FUNCTION_INFO_V1(holdout_uplift_trans);
/*
 * Transition: (person_id, converted, gmv, treated, holdout, contacts
 * [, confidence, bootstrap, seed, overlap]).  Keeps the outcome of a person
 * of either group; a person with two rows is an error.
 */
Datum
holdout_uplift_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "holdout_uplift_trans");
	UpliftState *st;
	uint32		person;
	int			g;
	UpliftGroup *grp;

	if (PG_NARGS() != 7 && PG_NARGS() != 11)
		elog(ERROR, "holdout_uplift_trans called with %d arguments", PG_NARGS());
	if (PG_ARGISNULL(0))
		st = uplift_state_new(fcinfo, aggcxt);
	else
	{
		st = uplift_state_arg(fcinfo);
		for (int i = 0; i < 3; i++)
			if (!uplift_same_audience(fcinfo, 4 + i, &st->aud[i]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("holdout_uplift audiences must be the same on every row of a group")));
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	person = person_id_from_int64(PG_GETARG_INT64(1));
	if (st->overlap != NULL && roaring_bitmap_contains(st->overlap, person))
		PG_RETURN_POINTER(st);
	if (roaring_bitmap_contains(st->aud[0].bitmap, person))
		g = 0;
	else if (roaring_bitmap_contains(st->aud[1].bitmap, person))
		g = 1;
	else
		PG_RETURN_POINTER(st);
	if (!roaring_bitmap_add_checked(st->seen, person))
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("holdout_uplift has two rows for person %u", person),
				 errdetail("Each person needs one outcome row."),
				 errhint("Aggregate the outcomes per person first (bool_or(converted), sum(gmv) ... GROUP BY person_id).")));
	grp = &st->group[g];
	if (grp->n == grp->cap)
	{
		grp->cap *= 2;
		grp->gmv = repalloc_huge(grp->gmv, sizeof(float8) * grp->cap);
		grp->conv = repalloc_huge(grp->conv, sizeof(bool) * grp->cap);
	}
	grp->conv[grp->n] = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	grp->gmv[grp->n] = PG_ARGISNULL(3) ? 0 : PG_GETARG_FLOAT8(3);
	grp->n++;
	PG_RETURN_POINTER(st);
}

/* Standard normal distribution function. */
static float8
uplift_norm_cdf(float8 x)
{
	return 0.5 * erfc(-x / M_SQRT2);
}

/* Standard normal quantile, by bisection on erfc (to the last bit). */
static float8
uplift_norm_quantile(float8 p)
{
	float8		lo = -40,
				hi = 40;

	for (int i = 0; i < 200 && lo < hi; i++)
	{
		float8		mid = (lo + hi) / 2;

		if (mid == lo || mid == hi)
			break;
		if (uplift_norm_cdf(mid) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* Continued fraction of the incomplete beta function (Lentz's method). */
static float8
uplift_betacf(float8 a, float8 b, float8 x)
{
	const float8 tiny = 1e-300;
	float8		qab = a + b,
				qap = a + 1,
				qam = a - 1;
	float8		c = 1,
				d = 1 - qab * x / qap,
				h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 10000; m++)
	{
		int			m2 = 2 * m;
		float8		aa = m * (b - m) * x / ((qam + m2) * (a + m2)),
					del;

		d = 1 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-16)
			break;
	}
	return h;
}

/* Regularised incomplete beta function I_x(a, b). */
static float8
uplift_betai(float8 a, float8 b, float8 x)
{
	float8		front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * uplift_betacf(a, b, x) / a;
	return 1 - front * uplift_betacf(b, a, 1 - x) / b;
}

/* Student t distribution function with df degrees of freedom. */
static float8
uplift_t_cdf(float8 t, float8 df)
{
	float8		tail;

	if (isinf(df) || df > 1e10)
		return uplift_norm_cdf(t);
	tail = 0.5 * uplift_betai(df / 2, 0.5, df / (df + t * t));
	return t > 0 ? 1 - tail : tail;
}

/* Student t quantile, by bisection on the distribution function. */
static float8
uplift_t_quantile(float8 p, float8 df)
{
	float8		lo = -1,
				hi = 1;

	while (uplift_t_cdf(lo, df) > p && lo > -1e12)
		lo *= 2;
	while (uplift_t_cdf(hi, df) < p && hi < 1e12)
		hi *= 2;
	for (int i = 0; i < 200; i++)
	{
		float8		mid = (lo + hi) / 2;

		if (mid == lo || mid == hi)
			break;
		if (uplift_t_cdf(mid, df) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* One group's totals, the persons without a row counted as zeros. */
typedef struct UpliftTotals
{
	float8		n;
	float8		conversions;
	float8		gmv_mean;
	float8		gmv_var;		/* sample variance */
} UpliftTotals;

static UpliftTotals
uplift_totals(const UpliftGroup *grp, uint64 size)
{
	UpliftTotals t;
	float8		sum = 0,
				m2 = 0;

	t.n = (float8) size;
	t.conversions = 0;
	for (int64 i = 0; i < grp->n; i++)
	{
		t.conversions += grp->conv[i] ? 1 : 0;
		sum += grp->gmv[i];
	}
	t.gmv_mean = size > 0 ? sum / t.n : 0;
	for (int64 i = 0; i < grp->n; i++)
		m2 += (grp->gmv[i] - t.gmv_mean) * (grp->gmv[i] - t.gmv_mean);
	m2 += (t.n - (float8) grp->n) * t.gmv_mean * t.gmv_mean;
	t.gmv_var = size > 1 ? m2 / (t.n - 1) : NAN;
	return t;
}

/* Quantile q of sorted x[0..n-1], linear between order statistics (type 7). */
static float8
uplift_percentile(const float8 *x, int n, float8 q)
{
	float8		h = (n - 1) * q;
	int			lo = (int) floor(h);

	if (lo >= n - 1)
		return x[n - 1];
	return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
}

static int
uplift_float_cmp(const void *a, const void *b)
{
	float8		x = *(const float8 *) a,
				y = *(const float8 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Mean conversion and mean GMV of a resample of a group of size persons. */
static void
uplift_resample(pg_prng_state *rng, const UpliftGroup *grp, uint64 size, float8 *conv, float8 *gmv)
{
	float8		c = 0,
				s = 0;

	for (uint64 i = 0; i < size; i++)
	{
		uint64		k = pg_prng_uint64_range(rng, 0, size - 1);

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (k < (uint64) grp->n)
		{
			c += grp->conv[k] ? 1 : 0;
			s += grp->gmv[k];
		}
	}
	*conv = c / (float8) size;
	*gmv = s / (float8) size;
}

/* The twelve numbers of a metric row after its name. */
typedef struct UpliftRow
{
	Datum		v[UPLIFT_NCOLS];
	bool		null[UPLIFT_NCOLS];
} UpliftRow;

static void
uplift_row_init(UpliftRow *r, const char *metric)
{
	for (int i = 0; i < UPLIFT_NCOLS; i++)
	{
		r->v[i] = (Datum) 0;
		r->null[i] = true;
	}
	r->v[0] = CStringGetTextDatum(metric);
	r->null[0] = false;
}

static void
uplift_set(UpliftRow *r, int col, float8 x)
{
	if (isnan(x))
		return;
	r->v[col] = Float8GetDatum(x);
	r->null[col] = false;
}

PG_FUNCTION_INFO_V1(holdout_uplift_final);
/*
 * Final: rows persons, conversion, gmv_per_person, contacted (and overlap
 * when excluded) of holdout_uplift_row.  Columns: 1 metric, 2 treated,
 * 3 holdout, 4 uplift, 5-6 its interval, 7 relative uplift, 8-9 its
 * interval, 10 p_value, 11 incremental (uplift x treated persons), 12-13
 * its interval.
 */
Datum
holdout_uplift_final(PG_FUNCTION_ARGS)
{
	UpliftState *st;
	uint64		size[2];
	UpliftTotals tot[2];
	float8		alpha,
				z;
	Oid			elemtype;
	TupleDesc	desc;
	UpliftRow	rows[5];
	int			nrows = 0;
	Datum		elems[5];
	float8		ci_conv[2],
				ci_gmv[2],
				rci_conv[2],
				rci_gmv[2];

	(void) qy_aggregate_context(fcinfo, "holdout_uplift_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = uplift_state_arg(fcinfo);
	for (int g = 0; g < 2; g++)
	{
		size[g] = roaring_bitmap_get_cardinality(st->aud[g].bitmap);
		if (st->overlap != NULL)
			size[g] -= roaring_bitmap_get_cardinality(st->overlap);
		if (size[g] == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("holdout_uplift %s group is empty", g == 0 ? "treated" : "holdout"),
					 errdetail("Uplift needs persons in both groups.")));
		tot[g] = uplift_totals(&st->group[g], size[g]);
	}
	alpha = 1 - st->confidence;
	z = uplift_norm_quantile(1 - alpha / 2);

	/* conversion: unpooled Wald interval, pooled z test, Katz log ratio */
	{
		float8		p1 = tot[0].conversions / tot[0].n,
					p2 = tot[1].conversions / tot[1].n,
					se = sqrt(p1 * (1 - p1) / tot[0].n + p2 * (1 - p2) / tot[1].n),
					pp = (tot[0].conversions + tot[1].conversions) / (tot[0].n + tot[1].n),
					se0 = sqrt(pp * (1 - pp) * (1 / tot[0].n + 1 / tot[1].n));
		UpliftRow  *r = &rows[1];

		uplift_row_init(r, "conversion");
		uplift_set(r, 1, p1);
		uplift_set(r, 2, p2);
		uplift_set(r, 3, p1 - p2);
		ci_conv[0] = p1 - p2 - z * se;
		ci_conv[1] = p1 - p2 + z * se;
		if (p2 > 0)
			uplift_set(r, 6, p1 / p2 - 1);
		rci_conv[0] = rci_conv[1] = NAN;
		if (tot[0].conversions > 0 && tot[1].conversions > 0)
		{
			float8		sel = sqrt((1 - p1) / tot[0].conversions + (1 - p2) / tot[1].conversions);

			rci_conv[0] = exp(log(p1 / p2) - z * sel) - 1;
			rci_conv[1] = exp(log(p1 / p2) + z * sel) - 1;
		}
		if (se0 > 0)
			uplift_set(r, 9, 2 * uplift_norm_cdf(-fabs((p1 - p2) / se0)));
		uplift_set(r, 10, (p1 - p2) * tot[0].n);
	}
	/* GMV per person: Welch's t; delta method on the log ratio */
	{
		float8		m1 = tot[0].gmv_mean,
					m2 = tot[1].gmv_mean,
					v1 = tot[0].gmv_var / tot[0].n,
					v2 = tot[1].gmv_var / tot[1].n,
					se = sqrt(v1 + v2),
					df = (v1 + v2) * (v1 + v2) / (v1 * v1 / (tot[0].n - 1) + v2 * v2 / (tot[1].n - 1));
		UpliftRow  *r = &rows[2];

		uplift_row_init(r, "gmv_per_person");
		uplift_set(r, 1, m1);
		uplift_set(r, 2, m2);
		uplift_set(r, 3, m1 - m2);
		ci_gmv[0] = ci_gmv[1] = NAN;
		if (se > 0 && isfinite(df))
		{
			float8		t = uplift_t_quantile(1 - alpha / 2, df);

			ci_gmv[0] = m1 - m2 - t * se;
			ci_gmv[1] = m1 - m2 + t * se;
			uplift_set(r, 9, 2 * uplift_t_cdf(-fabs((m1 - m2) / se), df));
		}
		if (m2 != 0)
			uplift_set(r, 6, m1 / m2 - 1);
		rci_gmv[0] = rci_gmv[1] = NAN;
		if (m1 > 0 && m2 > 0 && !isnan(v1) && !isnan(v2))
		{
			float8		sel = sqrt(v1 / (m1 * m1) + v2 / (m2 * m2));

			rci_gmv[0] = exp(log(m1 / m2) - z * sel) - 1;
			rci_gmv[1] = exp(log(m1 / m2) + z * sel) - 1;
		}
		uplift_set(r, 10, (m1 - m2) * tot[0].n);
	}
	/* bootstrap: percentile intervals replace the analytic ones */
	if (st->bootstrap > 0)
	{
		pg_prng_state rng;
		int			nb = st->bootstrap;
		float8	   *dc = palloc(sizeof(float8) * nb),
				   *dg = palloc(sizeof(float8) * nb),
				   *rc = palloc(sizeof(float8) * nb),
				   *rg = palloc(sizeof(float8) * nb);
		int			nrc = 0,
					nrg = 0;

		pg_prng_seed(&rng, (uint64) st->seed);
		for (int b = 0; b < nb; b++)
		{
			float8		c1,
						g1,
						c2,
						g2;

			CHECK_FOR_INTERRUPTS();
			uplift_resample(&rng, &st->group[0], size[0], &c1, &g1);
			uplift_resample(&rng, &st->group[1], size[1], &c2, &g2);
			dc[b] = c1 - c2;
			dg[b] = g1 - g2;
			if (c2 > 0)
				rc[nrc++] = c1 / c2 - 1;
			if (g2 != 0)
				rg[nrg++] = g1 / g2 - 1;
		}
		qsort(dc, nb, sizeof(float8), uplift_float_cmp);
		qsort(dg, nb, sizeof(float8), uplift_float_cmp);
		ci_conv[0] = uplift_percentile(dc, nb, alpha / 2);
		ci_conv[1] = uplift_percentile(dc, nb, 1 - alpha / 2);
		ci_gmv[0] = uplift_percentile(dg, nb, alpha / 2);
		ci_gmv[1] = uplift_percentile(dg, nb, 1 - alpha / 2);
		rci_conv[0] = rci_conv[1] = rci_gmv[0] = rci_gmv[1] = NAN;
		/* a relative interval only when no resample had a zero baseline */
		if (nrc == nb)
		{
			qsort(rc, nb, sizeof(float8), uplift_float_cmp);
			rci_conv[0] = uplift_percentile(rc, nb, alpha / 2);
			rci_conv[1] = uplift_percentile(rc, nb, 1 - alpha / 2);
		}
		if (nrg == nb)
		{
			qsort(rg, nb, sizeof(float8), uplift_float_cmp);
			rci_gmv[0] = uplift_percentile(rg, nb, alpha / 2);
			rci_gmv[1] = uplift_percentile(rg, nb, 1 - alpha / 2);
		}
	}
	for (int k = 0; k < 2; k++)
	{
		UpliftRow  *r = &rows[k + 1];
		float8	   *ci = k == 0 ? ci_conv : ci_gmv;
		float8	   *rci = k == 0 ? rci_conv : rci_gmv;

		uplift_set(r, 4, ci[0]);
		uplift_set(r, 5, ci[1]);
		uplift_set(r, 7, rci[0]);
		uplift_set(r, 8, rci[1]);
		uplift_set(r, 11, ci[0] * tot[0].n);
		uplift_set(r, 12, ci[1] * tot[0].n);
	}
	uplift_row_init(&rows[0], "persons");
	uplift_set(&rows[0], 1, tot[0].n);
	uplift_set(&rows[0], 2, tot[1].n);
	nrows = 3;
	/* contacted: reach in treated, contamination in holdout */
	if (!st->aud[2].isnull)
	{
		uint64		c[2];

		for (int g = 0; g < 2; g++)
		{
			c[g] = roaring_bitmap_and_cardinality(st->aud[g].bitmap, st->aud[2].bitmap);
			if (st->overlap != NULL)
				c[g] -= roaring_bitmap_and_cardinality(st->overlap, st->aud[2].bitmap);
		}
		uplift_row_init(&rows[nrows], "contacted");
		uplift_set(&rows[nrows], 1, (float8) c[0]);
		uplift_set(&rows[nrows], 2, (float8) c[1]);
		nrows++;
	}
	if (st->overlap != NULL)
	{
		float8		n = (float8) roaring_bitmap_get_cardinality(st->overlap);

		uplift_row_init(&rows[nrows], "overlap_excluded");
		uplift_set(&rows[nrows], 1, n);
		uplift_set(&rows[nrows], 2, n);
		nrows++;
	}

	elemtype = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	if (!OidIsValid(elemtype))
		elog(ERROR, "holdout_uplift_final must return an array");
	desc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	if (desc->natts != UPLIFT_NCOLS)
		elog(ERROR, "holdout_uplift_final must return an array of holdout_uplift_row");
	for (int i = 0; i < nrows; i++)
		elems[i] = HeapTupleGetDatum(heap_form_tuple(desc, rows[i].v, rows[i].null));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, nrows, elemtype, -1, false, TYPALIGN_DOUBLE));
}
