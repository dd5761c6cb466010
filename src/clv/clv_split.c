/*
 * clv_split.c
 *	  The splittable forms of the whole-table CLV aggregates: bgnbd_fit,
 *	  pareto_nbd_fit and gammagamma_fit over a clv_summary, rfm_breaks over
 *	  an rfm_value and clv_metrics_agg over an rfm_summary.
 *
 * Their state is a value of the type agg_state, not internal, so a
 * distributed planner (Citus) can run the aggregate partially on every
 * shard, ship each partial state as text, and combine the states on the
 * coordinator with agg_state_combine.  The state is a flat varlena:
 *
 *	 header (magic "QSPL", layout version, kind, k, used entries n,
 *			 allocated entries cap)
 *	 kinds fit-purchases, fit-spend, breaks: cap weighted entries
 *			 (x, tx, T, w): identical observations share one entry
 *	 kind metrics: customers, orders, repeaters (int64), then the revenue
 *			 in numeric's binary send format
 *
 * Transition and combine functions append in place (the aggregate owns
 * the state) and, when the entries are full, first merge identical ones
 * and only then grow, so a shard's state is as large as the number of
 * distinct observations, not of customers.  The text form is the hex of
 * the header with cap = n and the merged, sorted entries; agg_state_in
 * checks every byte of it (header, lengths, every entry's range), so a
 * forged state is an error.  Fits combine exactly: the final function
 * sorts and merges the entries into the same weighted groups the
 * one-node aggregate builds, and runs the same optimiser on them.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/int.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "clv.h"
#include "common/sql_safety.h"

PG_FUNCTION_INFO_V1(agg_state_in);
PG_FUNCTION_INFO_V1(agg_state_out);
PG_FUNCTION_INFO_V1(agg_state_combine);
PG_FUNCTION_INFO_V1(agg_state_info);
PG_FUNCTION_INFO_V1(clv_split_purchases_trans);
PG_FUNCTION_INFO_V1(clv_split_spend_trans);
PG_FUNCTION_INFO_V1(clv_split_breaks_trans);
PG_FUNCTION_INFO_V1(clv_split_metrics_trans);
PG_FUNCTION_INFO_V1(clv_split_bgnbd_final);
PG_FUNCTION_INFO_V1(clv_split_pareto_final);
PG_FUNCTION_INFO_V1(clv_split_gammagamma_final);
PG_FUNCTION_INFO_V1(clv_split_breaks_final);
PG_FUNCTION_INFO_V1(clv_split_metrics_final);

#define SPLIT_MAGIC		0x4c505351	/* "QSPL" little-endian */
#define SPLIT_VERSION	1
#define SPLIT_MAX_K		100

typedef enum SplitKind
{
	SPLIT_PURCHASES = 1,		/* bgnbd_fit, pareto_nbd_fit: (x, tx, T, w) */
	SPLIT_SPEND = 2,			/* gammagamma_fit: (x, m, 0, w) */
	SPLIT_BREAKS = 3,			/* rfm_breaks: (value, 0, 0, w) */
	SPLIT_METRICS = 4			/* clv_metrics_agg: counts and revenue */
} SplitKind;

typedef struct SplitState
{
	int32		vl_len_;
	uint32		magic;
	uint16		version;
	uint16		kind;
	int32		k;				/* rfm_breaks: number of levels; else 0 */
	int64		n;				/* entries used */
	int64		cap;			/* entries allocated */
	/* ClvGroup entries[cap], or the metrics payload */
} SplitState;

#define SPLIT_HDRSZ		sizeof(SplitState)
#define SPLIT_ENTRIES(s) ((ClvGroup *) ((char *) (s) + SPLIT_HDRSZ))
#define SPLIT_METRICS_COUNTS(s) ((int64 *) ((char *) (s) + SPLIT_HDRSZ))
#define SPLIT_METRICS_NUMERIC(s) ((char *) (s) + SPLIT_HDRSZ + 3 * sizeof(int64))
/* Most entries one state may hold (its size stays below 1 GB). */
#define SPLIT_MAX_ENTRIES ((int64) ((MaxAllocSize - SPLIT_HDRSZ) / sizeof(ClvGroup)))

static const char *const split_kind_names[] = {
	"", "bgnbd_fit/pareto_nbd_fit", "gammagamma_fit", "rfm_breaks", "clv_metrics_agg"
};

/* Error for a state whose bytes are not a state this code wrote. */
static void
split_bad(const char *fname, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid agg_state in %s: %s", fname, what),
			 errdetail("An agg_state is written by the transition function of a splittable quanyu aggregate.")));
}

/*
 * Check the header of a state (O(1): the entries were checked when the
 * value was read by agg_state_in, or written by our functions): tag,
 * version, kind (0 accepts any), and a length that matches the counts.
 */
static void
split_check_header(const SplitState *s, Size size, int kind, const char *fname)
{
	if (size < SPLIT_HDRSZ)
		split_bad(fname, "shorter than its header");
	if (s->magic != SPLIT_MAGIC || s->version != SPLIT_VERSION)
		split_bad(fname, "unknown tag or layout version");
	if (s->kind < SPLIT_PURCHASES || s->kind > SPLIT_METRICS)
		split_bad(fname, "unknown kind");
	if (kind != 0 && s->kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s was handed a state of %s", fname, split_kind_names[s->kind]),
				 errdetail("The aggregate mixes support functions of different aggregates.")));
	if (s->kind == SPLIT_METRICS)
	{
		if (s->n != 0 || s->cap != 0 || s->k != 0 || size < SPLIT_HDRSZ + 3 * sizeof(int64) + 2)
			split_bad(fname, "metrics state of the wrong size");
		return;
	}
	if (s->n < 0 || s->cap < s->n || s->cap > SPLIT_MAX_ENTRIES ||
		size != SPLIT_HDRSZ + (Size) s->cap * sizeof(ClvGroup))
		split_bad(fname, "entry counts do not match its length");
	if (s->kind == SPLIT_BREAKS ? (s->k < 2 || s->k > SPLIT_MAX_K) : s->k != 0)
		split_bad(fname, "k out of range");
}

/* The state in argument argno (NULL when SQL NULL), header checked. */
static SplitState *
split_arg(FunctionCallInfo fcinfo, int argno, int kind, const char *fname)
{
	struct varlena *v;
	SplitState *s;

	if (PG_ARGISNULL(argno))
		return NULL;
	v = PG_GETARG_VARLENA_P(argno);
	/* a state in the aggregate context is never toasted: this is the value itself */
	s = (SplitState *) v;
	split_check_header(s, VARSIZE(v), kind, fname);
	return s;
}

/* A new empty state with room for cap entries, in the current context. */
static SplitState *
split_new(int kind, int32 k, int64 cap)
{
	Size		len = SPLIT_HDRSZ + (Size) cap * sizeof(ClvGroup);
	SplitState *s = palloc0(len);

	SET_VARSIZE(s, len);
	s->magic = SPLIT_MAGIC;
	s->version = SPLIT_VERSION;
	s->kind = kind;
	s->k = k;
	s->n = 0;
	s->cap = cap;
	return s;
}

static inline int
group_cmp(const ClvGroup *a, const ClvGroup *b)
{
	return clv_order(a->x, a->tx, a->T, b->x, b->tx, b->T);
}

#define ST_SORT split_group_sort
#define ST_ELEMENT_TYPE ClvGroup
#define ST_COMPARE(a, b) group_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* Sort n entries and merge identical ones (weights added); the new count. */
static int64
split_merge(ClvGroup *g, int64 n)
{
	int64		i,
				m = 0;

	split_group_sort(g, n);
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (m > 0 && group_cmp(&g[m - 1], &g[i]) == 0)
		{
			g[m - 1].w += g[i].w;
			continue;
		}
		g[m++] = g[i];
	}
	return m;
}

/*
 * Room for `more` entries in s: merge identical entries in place first and
 * grow (a new, doubled copy in the current context) only when that leaves
 * less than half of the entries free.  Returns s or its replacement.
 */
static SplitState *
split_reserve(SplitState *s, int64 more)
{
	int64		need;
	int64		cap;
	SplitState *t;

	if (s->cap - s->n >= more)
		return s;
	s->n = split_merge(SPLIT_ENTRIES(s), s->n);
	if (pg_add_s64_overflow(s->n, more, &need) || need > SPLIT_MAX_ENTRIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("agg_state cannot hold more than " INT64_FORMAT " distinct observations",
						SPLIT_MAX_ENTRIES),
				 errdetail("Split the input, e.g. by cohort, or use the one-node form of the aggregate.")));
	if (s->cap - s->n >= more && s->n <= s->cap / 2)
		return s;
	cap = Max(s->cap, 64);
	while (cap < need * 2 && cap < SPLIT_MAX_ENTRIES)
		cap = Min(cap * 2, SPLIT_MAX_ENTRIES);
	t = split_new(s->kind, s->k, cap);
	t->n = s->n;
	memcpy(SPLIT_ENTRIES(t), SPLIT_ENTRIES(s), (Size) s->n * sizeof(ClvGroup));
	return t;
}

/* Append one entry (state s from argument 0 or new); returns the state to keep. */
static SplitState *
split_append(SplitState *s, double x, double tx, double T, double w)
{
	ClvGroup   *g;

	s = split_reserve(s, 1);
	g = &SPLIT_ENTRIES(s)[s->n++];
	g->x = x;
	g->tx = tx;
	g->T = T;
	g->w = w;
	return s;
}

/* Field attno of a composite argument as a double, *isnull set. */
static double
split_field_float8(HeapTupleHeader th, int attno, bool *isnull)
{
	Datum		d = GetAttributeByNum(th, attno, isnull);

	return *isnull ? 0.0 : DatumGetFloat8(d);
}

/* A finite double field, or an error naming it. */
static double
split_finite(double v, const char *name)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be finite, got %g", name, v),
				 errdetail("The models are defined for finite numbers only.")));
	return v;
}

/* Entry check shared by agg_state_in: the same rules the transitions apply. */
static void
split_check_entry(const SplitState *s, const ClvGroup *g, int64 i)
{
	if (!isfinite(g->x) || !isfinite(g->tx) || !isfinite(g->T) ||
		!(g->w >= 1) || g->w != floor(g->w) || g->w > 1e15)
		split_bad("agg_state_in", psprintf("entry " INT64_FORMAT " is not finite or has a bad weight", i));
	switch (s->kind)
	{
		case SPLIT_PURCHASES:
			clv_check_customer(g->x, g->tx, g->T);
			break;
		case SPLIT_SPEND:
			if (!(g->x >= 1 && g->x == floor(g->x) && g->tx > 0 && g->T == 0))
				split_bad("agg_state_in", psprintf("spend entry " INT64_FORMAT " is out of range", i));
			break;
		case SPLIT_BREAKS:
			if (g->tx != 0 || g->T != 0)
				split_bad("agg_state_in", psprintf("value entry " INT64_FORMAT " is out of range", i));
			break;
	}
}

/* revenue of a metrics state, decoded from numeric's send format. */
static Numeric
split_metrics_revenue(const SplitState *s, Size size)
{
	StringInfoData buf;
	Numeric		n;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, SPLIT_METRICS_NUMERIC(s), size - SPLIT_HDRSZ - 3 * sizeof(int64));
	n = DatumGetNumeric(DirectFunctionCall3(numeric_recv, PointerGetDatum(&buf),
											ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	if (buf.cursor != buf.len || numeric_is_nan(n) || numeric_is_inf(n))
		split_bad("clv_metrics_agg", "revenue is not a finite number");
	pfree(buf.data);
	return n;
}

/* A metrics state of the counts and revenue, in the current context. */
static SplitState *
split_metrics_new(const int64 *counts, Numeric revenue)
{
	bytea	   *nb = DatumGetByteaPP(DirectFunctionCall1(numeric_send, NumericGetDatum(revenue)));
	Size		nlen = VARSIZE_ANY_EXHDR(nb);
	Size		len = SPLIT_HDRSZ + 3 * sizeof(int64) + nlen;
	SplitState *s = palloc0(len);

	SET_VARSIZE(s, len);
	s->magic = SPLIT_MAGIC;
	s->version = SPLIT_VERSION;
	s->kind = SPLIT_METRICS;
	memcpy(SPLIT_METRICS_COUNTS(s), counts, 3 * sizeof(int64));
	memcpy(SPLIT_METRICS_NUMERIC(s), VARDATA_ANY(nb), nlen);
	return s;
}

static void
split_metrics_check_counts(const int64 *c, const char *fname)
{
	if (c[0] < 0 || c[1] < c[0] || c[2] < 0 || c[2] > c[0])
		split_bad(fname, "counts out of range");
}

/* Value of one hexadecimal digit, -1 for any other character. */
static int
split_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * agg_state_in(cstring): the hex text form; every byte is checked: the
 * header, the lengths, every entry (finite, whole positive weight, the
 * model's own range), and for metrics the counts and the revenue.
 */
Datum
agg_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Size		hexlen = strlen(str);
	Size		len;
	SplitState *s;
	int64		i;

	if (hexlen % 2 != 0 || hexlen / 2 < SPLIT_HDRSZ - VARHDRSZ || hexlen / 2 > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type agg_state"),
				 errdetail("An agg_state is an even number of hexadecimal digits, at least %d.",
						   (int) (2 * (SPLIT_HDRSZ - VARHDRSZ)))));
	len = VARHDRSZ + hexlen / 2;
	s = palloc0(len);
	SET_VARSIZE(s, len);
	for (i = 0; i < (int64) (hexlen / 2); i++)
	{
		int			hi = split_hex_digit(str[2 * i]),
					lo = split_hex_digit(str[2 * i + 1]);

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (hi < 0 || lo < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type agg_state"),
					 errdetail("Character %d is not a hexadecimal digit.", (int) (2 * i + (hi < 0 ? 1 : 2)))));
		((unsigned char *) s)[VARHDRSZ + i] = (unsigned char) (hi * 16 + lo);
	}
	split_check_header(s, len, 0, "agg_state_in");
	if (s->kind == SPLIT_METRICS)
	{
		split_metrics_check_counts(SPLIT_METRICS_COUNTS(s), "agg_state_in");
		(void) split_metrics_revenue(s, len);
		PG_RETURN_POINTER(s);
	}
	if (s->cap != s->n)
		split_bad("agg_state_in", "the text form has no free entries");
	for (i = 0; i < s->n; i++)
	{
		const ClvGroup *g = &SPLIT_ENTRIES(s)[i];

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		split_check_entry(s, g, i);
		if (i > 0 && group_cmp(&SPLIT_ENTRIES(s)[i - 1], g) >= 0)
			split_bad("agg_state_in", "entries are not sorted and distinct");
	}
	PG_RETURN_POINTER(s);
}

/* agg_state_out(agg_state): hex of the header and the merged entries. */
Datum
agg_state_out(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_VARLENA_P(0);
	SplitState *s = (SplitState *) v;
	SplitState *c;
	Size		len;
	char	   *out;

	split_check_header(s, VARSIZE(v), 0, "agg_state_out");
	if (s->kind == SPLIT_METRICS)
		c = s;
	else
	{
		c = split_new(s->kind, s->k, s->n);
		memcpy(SPLIT_ENTRIES(c), SPLIT_ENTRIES(s), (Size) s->n * sizeof(ClvGroup));
		c->n = split_merge(SPLIT_ENTRIES(c), s->n);
		c->cap = c->n;
		SET_VARSIZE(c, SPLIT_HDRSZ + (Size) c->n * sizeof(ClvGroup));
	}
	len = VARSIZE(c) - VARHDRSZ;
	if (len > (MaxAllocSize - 1) / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("agg_state of %zu bytes is too large for its text form", len),
				 errdetail("The text form of a value is at most 1 GB.")));
	out = palloc(len * 2 + 1);
	hex_encode(VARDATA(c), len, out);
	out[len * 2] = '\0';
	PG_RETURN_CSTRING(out);
}

/*
 * agg_state_combine(agg_state, agg_state): the combine function of every
 * splittable aggregate; both states must be of the same kind (and k).
 */
Datum
agg_state_combine(PG_FUNCTION_ARGS)
{
	SplitState *a,
			   *b;

	(void) qy_aggregate_context(fcinfo, "agg_state_combine");
	a = split_arg(fcinfo, 0, 0, "agg_state_combine");
	b = split_arg(fcinfo, 1, 0, "agg_state_combine");
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a != NULL && (a->kind != b->kind || a->k != b->k))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("agg_state_combine was handed states of %s and %s%s",
						split_kind_names[a->kind], split_kind_names[b->kind],
						a->kind == b->kind ? " with different k" : ""),
				 errdetail("Only partial states of one aggregate (and one k) combine.")));
	/* a grown or new state is made in the per-call context; the aggregate copies it */
	if (b->kind == SPLIT_METRICS)
	{
		int64		c[3];
		const int64 *bc = SPLIT_METRICS_COUNTS(b);
		Numeric		rev = split_metrics_revenue(b, VARSIZE(b));
		int			i;

		memset(c, 0, sizeof(c));
		if (a != NULL)
		{
			memcpy(c, SPLIT_METRICS_COUNTS(a), sizeof(c));
			rev = DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(rev),
													  NumericGetDatum(split_metrics_revenue(a, VARSIZE(a)))));
		}
		for (i = 0; i < 3; i++)
			if (pg_add_s64_overflow(c[i], bc[i], &c[i]))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("clv_metrics_agg count out of range"),
						 errdetail("Orders and customers are counted in bigint.")));
		a = split_metrics_new(c, rev);
	}
	else
	{
		if (a == NULL)
			a = split_new(b->kind, b->k, Max(b->n, 64));
		a = split_reserve(a, b->n);
		memcpy(SPLIT_ENTRIES(a) + a->n, SPLIT_ENTRIES(b), (Size) b->n * sizeof(ClvGroup));
		a->n += b->n;
	}
	PG_RETURN_POINTER(a);
}

/* Argument 0 as the state of kind, or a new one in the aggregate's context. */
static SplitState *
split_trans_state(FunctionCallInfo fcinfo, int kind, int32 k, const char *fname)
{
	SplitState *s;

	(void) qy_aggregate_context(fcinfo, fname);
	s = split_arg(fcinfo, 0, kind, fname);
	/* new states in the per-call context: the aggregate copies what it keeps */
	if (s == NULL)
		s = split_new(kind, k, 64);
	return s;
}

/*
 * clv_split_purchases_trans(agg_state, clv_summary): transition of
 * bgnbd_fit(clv_summary) and pareto_nbd_fit(clv_summary); a NULL row or a
 * row with a NULL frequency, recency or t is skipped, as in the
 * three-argument form.
 */
Datum
clv_split_purchases_trans(PG_FUNCTION_ARGS)
{
	SplitState *s = split_trans_state(fcinfo, SPLIT_PURCHASES, 0, "clv_split_purchases_trans");
	HeapTupleHeader th;
	bool		n1,
				n2,
				n3;
	Datum		f;
	double		x,
				tx,
				T;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(s);
	th = PG_GETARG_HEAPTUPLEHEADER(1);
	f = GetAttributeByNum(th, 1, &n1);
	tx = split_field_float8(th, 2, &n2);
	T = split_field_float8(th, 3, &n3);
	if (n1 || n2 || n3)
		PG_RETURN_POINTER(s);
	x = (double) DatumGetInt32(f);
	split_finite(tx, "recency");
	split_finite(T, "T");
	clv_check_customer(x, tx, T);
	PG_RETURN_POINTER(split_append(s, x, tx, T, 1.0));
}

/*
 * clv_split_spend_trans(agg_state, clv_summary): transition of
 * gammagamma_fit(clv_summary): (frequency, monetary_value); customers
 * without repeat purchases carry no spend data and are skipped.
 */
Datum
clv_split_spend_trans(PG_FUNCTION_ARGS)
{
	SplitState *s = split_trans_state(fcinfo, SPLIT_SPEND, 0, "clv_split_spend_trans");
	HeapTupleHeader th;
	bool		n1,
				n4;
	Datum		f;
	double		x,
				m;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(s);
	th = PG_GETARG_HEAPTUPLEHEADER(1);
	f = GetAttributeByNum(th, 1, &n1);
	m = split_field_float8(th, 4, &n4);
	if (n1 || n4)
		PG_RETURN_POINTER(s);
	x = (double) DatumGetInt32(f);
	split_finite(m, "monetary value");
	clv_gammagamma_check(x, m);
	if (x > 0)
		s = split_append(s, x, m, 0.0, 1.0);
	PG_RETURN_POINTER(s);
}

/*
 * clv_split_breaks_trans(agg_state, rfm_value): transition of
 * rfm_breaks(rfm_value); k must be given and the same on every row, a NULL
 * value is skipped, NaN and infinities are errors (as rfm_breaks(value, k)).
 */
Datum
clv_split_breaks_trans(PG_FUNCTION_ARGS)
{
	HeapTupleHeader th;
	bool		nv,
				nk;
	double		v;
	int32		k;
	SplitState *s;

	(void) qy_aggregate_context(fcinfo, "clv_split_breaks_trans");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("k must not be null"),
				 errdetail("k is the number of score levels.")));
	th = PG_GETARG_HEAPTUPLEHEADER(1);
	v = split_field_float8(th, 1, &nv);
	k = DatumGetInt32(GetAttributeByNum(th, 2, &nk));
	if (nk)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("k must not be null"),
				 errdetail("k is the number of score levels.")));
	if (k < 2 || k > SPLIT_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be between 2 and %d, got %d", SPLIT_MAX_K, k),
				 errdetail("k is the number of score levels, e.g. 5 for quintiles.")));
	s = split_trans_state(fcinfo, SPLIT_BREAKS, k, "clv_split_breaks_trans");
	if (s->k != k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be the same for every row, got %d and %d", s->k, k),
				 errdetail("One set of break points has one number of levels.")));
	if (nv)
		PG_RETURN_POINTER(s);
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value must be finite, got %g", v),
				 errdetail("The models are defined for finite numbers only.")));
	/* -0 and 0 are one value: keep the merge exact */
	PG_RETURN_POINTER(split_append(s, v == 0 ? 0.0 : v, 0.0, 0.0, 1.0));
}

/*
 * clv_split_metrics_trans(agg_state, rfm_summary): transition of
 * clv_metrics_agg(rfm_summary): orders = frequency, revenue = monetary;
 * rows with a NULL are skipped (as clv_metrics_agg(orders, revenue)).
 */
Datum
clv_split_metrics_trans(PG_FUNCTION_ARGS)
{
	SplitState *s;
	HeapTupleHeader th;
	bool		nf,
				nm;
	int64		orders;
	Numeric		revenue,
				sum;
	int64		c[3];

	(void) qy_aggregate_context(fcinfo, "clv_split_metrics_trans");
	s = split_arg(fcinfo, 0, SPLIT_METRICS, "clv_split_metrics_trans");
	if (s == NULL)
	{
		memset(c, 0, sizeof(c));
		s = split_metrics_new(c, int64_to_numeric(0));
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(s);
	th = PG_GETARG_HEAPTUPLEHEADER(1);
	orders = DatumGetInt64(GetAttributeByNum(th, 2, &nf));
	revenue = DatumGetNumeric(GetAttributeByNum(th, 3, &nm));
	if (nf || nm)
		PG_RETURN_POINTER(s);
	clv_metrics_check_row(orders, revenue);
	memcpy(c, SPLIT_METRICS_COUNTS(s), sizeof(c));
	if (pg_add_s64_overflow(c[0], 1, &c[0]) ||
		pg_add_s64_overflow(c[1], orders, &c[1]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("clv_metrics_agg count out of range"),
				 errdetail("Orders and customers are counted in bigint.")));
	c[2] += orders > 1;
	sum = DatumGetNumeric(DirectFunctionCall2(numeric_add,
											  NumericGetDatum(split_metrics_revenue(s, VARSIZE(s))),
											  NumericGetDatum(revenue)));
	PG_RETURN_POINTER(split_metrics_new(c, sum));
}

/*
 * The weighted groups of a fit state in argument 0 (sorted, identical
 * observations merged: the groups the one-node aggregate builds), or NULL
 * when there are none.  The state is not modified.
 */
static ClvData *
split_fit_data(FunctionCallInfo fcinfo, int kind, const char *fname)
{
	SplitState *s;
	ClvGroup   *g;
	ClvData    *d;
	int64		i;

	(void) qy_aggregate_context(fcinfo, fname);
	s = split_arg(fcinfo, 0, kind, fname);
	if (s == NULL || s->n == 0)
		return NULL;
	g = palloc_extended(sizeof(ClvGroup) * s->n, MCXT_ALLOC_HUGE);
	memcpy(g, SPLIT_ENTRIES(s), sizeof(ClvGroup) * s->n);
	d = palloc0(sizeof(ClvData));
	d->ngroups = split_merge(g, s->n);
	d->g = g;
	d->n = 0;
	for (i = 0; i < d->ngroups; i++)
		d->n += g[i].w;
	return d;
}

/* Final of bgnbd_fit(clv_summary). */
Datum
clv_split_bgnbd_final(PG_FUNCTION_ARGS)
{
	ClvData    *d = split_fit_data(fcinfo, SPLIT_PURCHASES, "clv_split_bgnbd_final");

	if (d == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(clv_bgnbd_fit_datum(fcinfo, d));
}

/* Final of pareto_nbd_fit(clv_summary). */
Datum
clv_split_pareto_final(PG_FUNCTION_ARGS)
{
	ClvData    *d = split_fit_data(fcinfo, SPLIT_PURCHASES, "clv_split_pareto_final");

	if (d == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(clv_pareto_fit_datum(fcinfo, d));
}

/* Final of gammagamma_fit(clv_summary). */
Datum
clv_split_gammagamma_final(PG_FUNCTION_ARGS)
{
	ClvData    *d = split_fit_data(fcinfo, SPLIT_SPEND, "clv_split_gammagamma_final");

	if (d == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(clv_gammagamma_fit_datum(fcinfo, d));
}

/*
 * Final of rfm_breaks(rfm_value): k-1 break points, break j the smallest
 * value with at least j/k of the values at or below it (percentile_disc),
 * found by walking the cumulative weights of the sorted values.
 */
Datum
clv_split_breaks_final(PG_FUNCTION_ARGS)
{
	ClvData    *d = split_fit_data(fcinfo, SPLIT_BREAKS, "clv_split_breaks_final");
	SplitState *s;
	Datum		out[SPLIT_MAX_K];
	int64		n,
				i = 0;
	double		before = 0;		/* weight of the groups before group i */
	int			j;

	if (d == NULL)
		PG_RETURN_NULL();
	s = split_arg(fcinfo, 0, SPLIT_BREAKS, "clv_split_breaks_final");
	n = (int64) d->n;
	for (j = 1; j < s->k; j++)
	{
		/* ceil(j n / k) - 1, in integers to avoid rounding at exact multiples */
		int64		idx = Max((j * n + s->k - 1) / s->k - 1, 0);

		while (i < d->ngroups - 1 && before + d->g[i].w <= (double) idx)
		{
			before += d->g[i].w;
			i++;
		}
		out[j - 1] = Float8GetDatum(d->g[i].x);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(out, s->k - 1, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* Final of clv_metrics_agg(rfm_summary): the clv_metrics composite, NULL without customers. */
Datum
clv_split_metrics_final(PG_FUNCTION_ARGS)
{
	SplitState *s;
	const int64 *c;

	(void) qy_aggregate_context(fcinfo, "clv_split_metrics_final");
	s = split_arg(fcinfo, 0, SPLIT_METRICS, "clv_split_metrics_final");
	if (s == NULL)
		PG_RETURN_NULL();
	c = SPLIT_METRICS_COUNTS(s);
	if (c[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(clv_metrics_datum(fcinfo, c[0], c[1], c[2], split_metrics_revenue(s, VARSIZE(s))));
}

/*
 * agg_state_info(agg_state): what a state holds, for inspection and the
 * sizing of distributed plans: the aggregate, the distinct entries, the
 * rows (total weight) and the bytes of its text form.
 */
Datum
agg_state_info(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_VARLENA_P(0);
	SplitState *s = (SplitState *) v;
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {0};
	int64		entries = 0;
	double		rows = 0;

	split_check_header(s, VARSIZE(v), 0, "agg_state_info");
	if (s->kind == SPLIT_METRICS)
		rows = (double) SPLIT_METRICS_COUNTS(s)[0];
	else
	{
		ClvGroup   *g = palloc_extended(sizeof(ClvGroup) * Max(s->n, 1), MCXT_ALLOC_HUGE);
		int64		i;

		memcpy(g, SPLIT_ENTRIES(s), sizeof(ClvGroup) * s->n);
		entries = split_merge(g, s->n);
		for (i = 0; i < entries; i++)
			rows += g[i].w;
	}
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "agg_state_info must return a composite type");
	desc = BlessTupleDesc(desc);
	values[0] = CStringGetTextDatum(split_kind_names[s->kind]);
	values[1] = Int64GetDatum(entries);
	values[2] = Int64GetDatum((int64) rows);
	values[3] = Int64GetDatum(s->kind == SPLIT_METRICS ? (int64) (VARSIZE(s) - VARHDRSZ) * 2 :
							  (int64) (SPLIT_HDRSZ - VARHDRSZ + entries * sizeof(ClvGroup)) * 2);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
