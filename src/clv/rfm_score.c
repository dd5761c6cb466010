/*
 * rfm_score.c
 *	  RFM scoring: the rfm_breaks aggregate (k-tile break points), rfm_score
 *	  (value -> 1..k against the breaks), the 8-class model of Chinese retail
 *	  (rfm_class) and the named 5x5 segments (rfm_segment).
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "clv.h"
#include "common/sql_safety.h"
#include "miscadmin.h"

PG_FUNCTION_INFO_V1(rfm_breaks_trans);
PG_FUNCTION_INFO_V1(rfm_breaks_combine);
PG_FUNCTION_INFO_V1(rfm_breaks_serialize);
PG_FUNCTION_INFO_V1(rfm_breaks_deserialize);
PG_FUNCTION_INFO_V1(rfm_breaks_final);
PG_FUNCTION_INFO_V1(rfm_score);
PG_FUNCTION_INFO_V1(rfm_class);
PG_FUNCTION_INFO_V1(rfm_segment);

#define RFM_MAX_K 100

/* State of rfm_breaks: the values seen and the number of tiles. */
typedef struct BreaksState
{
	uint32		magic;			/* CLV_MAGIC_BREAKS */
	int32		k;
	int64		n;
	int64		cap;
	double	   *v;
} BreaksState;

/* A new empty state in the aggregate context. */
static BreaksState *
breaks_state_new(MemoryContext aggcxt, int32 k)
{
	BreaksState *st = MemoryContextAllocZero(aggcxt, sizeof(BreaksState));

	st->magic = CLV_MAGIC_BREAKS;
	st->k = k;
	st->cap = 64;
	st->v = MemoryContextAllocHuge(aggcxt, sizeof(double) * st->cap);
	return st;
}

/* Append one value. */
static void
breaks_append(BreaksState *st, double v)
{
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->v = repalloc_huge(st->v, sizeof(double) * st->cap);
	}
	st->v[st->n++] = v;
}

/* Error unless 2 <= k <= RFM_MAX_K. */
static void
check_k(int32 k)
{
	if (k < 2 || k > RFM_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be between 2 and %d, got %d", RFM_MAX_K, k),
				 errdetail("k is the number of score levels, e.g. 5 for quintiles.")));
}

/* Transition of rfm_breaks(value, k): NULL values are skipped, NaN and infinities are errors. */
Datum
rfm_breaks_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "rfm_breaks_trans");
	BreaksState *st = clv_state_arg(fcinfo, 0, CLV_MAGIC_BREAKS, "rfm_breaks_trans");
	int32		k;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("k must not be null"),
				 errdetail("k is the number of score levels.")));
	k = PG_GETARG_INT32(2);
	check_k(k);
	if (st == NULL)
		st = breaks_state_new(aggcxt, k);
	if (st->k != k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be the same for every row, got %d and %d", st->k, k),
				 errdetail("One set of break points has one number of levels.")));
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	breaks_append(st, clv_arg_finite(fcinfo, 1, "value"));
	PG_RETURN_POINTER(st);
}

/* Combine: concatenate two partial states. */
Datum
rfm_breaks_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "rfm_breaks_combine");
	BreaksState *a = clv_state_arg(fcinfo, 0, CLV_MAGIC_BREAKS, "rfm_breaks_combine");
	BreaksState *b = clv_state_arg(fcinfo, 1, CLV_MAGIC_BREAKS, "rfm_breaks_combine");
	int64		i;

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = breaks_state_new(aggcxt, b->k);
	if (a->k != b->k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be the same for every row, got %d and %d", a->k, b->k),
				 errdetail("One set of break points has one number of levels.")));
	for (i = 0; i < b->n; i++)
	{
		breaks_append(a, b->v[i]);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_POINTER(a);
}

/* Serialise: header, k, count, values. */
Datum
rfm_breaks_serialize(PG_FUNCTION_ARGS)
{
	BreaksState *st;
	Size		len;
	bytea	   *out;
	int64		k;
	char	   *p;

	(void) qy_aggregate_context(fcinfo, "rfm_breaks_serialize");
	st = clv_state_arg(fcinfo, 0, CLV_MAGIC_BREAKS, "rfm_breaks_serialize");
	len = VARHDRSZ + sizeof(ClvWireHeader) + sizeof(int64) * 2 + sizeof(double) * st->n;
	out = palloc_extended(len, MCXT_ALLOC_HUGE);
	k = st->k;
	SET_VARSIZE(out, len);
	p = VARDATA(out);
	clv_wire_header(p, CLV_MAGIC_BREAKS);
	p += sizeof(ClvWireHeader);
	memcpy(p, &k, sizeof(int64));
	memcpy(p + sizeof(int64), &st->n, sizeof(int64));
	memcpy(p + 2 * sizeof(int64), st->v, sizeof(double) * st->n);
	PG_RETURN_BYTEA_P(out);
}

/* Rebuild a state from rfm_breaks_serialize's bytes, validating k and every value. */
Datum
rfm_breaks_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "rfm_breaks_deserialize");
	const char *data = clv_wire_check(in, CLV_MAGIC_BREAKS, 2 * sizeof(int64), "rfm_breaks_deserialize");
	Size		avail = VARSIZE_ANY_EXHDR(in) - sizeof(ClvWireHeader) - 2 * sizeof(int64);
	BreaksState *st;
	int64		k,
				n,
				i;

	memcpy(&k, data, sizeof(int64));
	memcpy(&n, data + sizeof(int64), sizeof(int64));
	if (k < 2 || k > RFM_MAX_K || n < 0 || avail % sizeof(double) != 0 ||
		(uint64) n != avail / sizeof(double))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid state for rfm_breaks_deserialize: k " INT64_FORMAT ", count " INT64_FORMAT " for %zu bytes",
						k, n, avail),
				 errdetail("The bytes were not serialised by rfm_breaks.")));
	st = breaks_state_new(aggcxt, (int32) k);
	while (st->cap < n)
		st->cap *= 2;
	st->v = repalloc_huge(st->v, sizeof(double) * st->cap);
	memcpy(st->v, data + 2 * sizeof(int64), sizeof(double) * n);
	st->n = n;
	for (i = 0; i < n; i++)
		if (!isfinite(st->v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid state for rfm_breaks_deserialize: value " INT64_FORMAT " is not finite", i),
					 errdetail("The bytes were not serialised by rfm_breaks.")));
	PG_RETURN_POINTER(st);
}

/* qsort order of doubles. */
static int
double_cmp(const void *pa, const void *pb)
{
	double		a = *(const double *) pa;
	double		b = *(const double *) pb;

	return a < b ? -1 : (a > b ? 1 : 0);
}

/*
 * Final of rfm_breaks: k-1 break points; break j is the smallest value
 * with at least j/k of the values at or below it (percentile_disc(j/k)).
 */
Datum
rfm_breaks_final(PG_FUNCTION_ARGS)
{
	BreaksState *st;
	double	   *v;
	Datum		out[RFM_MAX_K];
	int			j;

	(void) qy_aggregate_context(fcinfo, "rfm_breaks_final");
	st = clv_state_arg(fcinfo, 0, CLV_MAGIC_BREAKS, "rfm_breaks_final");
	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	v = palloc_extended(sizeof(double) * st->n, MCXT_ALLOC_HUGE);
	memcpy(v, st->v, sizeof(double) * st->n);
	qsort(v, st->n, sizeof(double), double_cmp);
	for (j = 1; j < st->k; j++)
	{
		/* ceil(j n / k) - 1, in integers to avoid rounding at exact multiples */
		int64		idx = (j * st->n + st->k - 1) / st->k - 1;

		out[j - 1] = Float8GetDatum(v[Max(idx, 0)]);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(out, st->k - 1, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * rfm_score(value, breaks, reverse): 1 + the number of breaks strictly below
 * value, so equal values always share a score; reverse maps s to k + 1 - s
 * (recency: the most recent customers get k).
 */
Datum
rfm_score(PG_FUNCTION_ARGS)
{
	double		v = PG_GETARG_FLOAT8(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	bool		reverse = PG_GETARG_BOOL(2);
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i,
				score = 1;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID || ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must be a one-dimensional double precision array"),
				 errdetail("Use the output of rfm_breaks.")));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	if (n < 1 || n >= RFM_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must have between 1 and %d elements, got %d", RFM_MAX_K - 1, n),
				 errdetail("k score levels need k - 1 break points.")));
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value must be finite, got %g", v),
				 errdetail("A NaN or infinite value has no place among the break points.")));
	for (i = 0; i < n; i++)
	{
		double		b = nulls[i] ? NAN : DatumGetFloat8(elems[i]);

		if (!isfinite(b) || (i > 0 && b < DatumGetFloat8(elems[i - 1])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("breaks must be non-null, finite and ascending; element %d is not", i + 1),
					 errdetail("Use the output of rfm_breaks.")));
		if (b < v)
			score++;
	}
	PG_RETURN_INT32(reverse ? n + 2 - score : score);
}

/*
 * rfm_class(r_high, f_high, m_high): the 8-class model.  M decides
 * important (重要) or general (一般); R and F pick value (recent, frequent),
 * development (recent, infrequent), maintenance (not recent, frequent) or
 * win-back (not recent, infrequent).
 */
Datum
rfm_class(PG_FUNCTION_ARGS)
{
	static const char *const zh[8] = {
		"一般挽留客戶", "一般保持客戶", "一般發展客戶", "一般價值客戶",
		"重要挽留客戶", "重要保持客戶", "重要發展客戶", "重要價值客戶"
	};
	static const char *const en[8] = {
		"general win-back", "general maintenance", "general development", "general value",
		"important win-back", "important maintenance", "important development", "important value"
	};
	int			idx = (PG_GETARG_BOOL(2) ? 4 : 0) + (PG_GETARG_BOOL(0) ? 2 : 0) +
		(PG_GETARG_BOOL(1) ? 1 : 0);
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {0};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rfm_class must return a composite type");
	desc = BlessTupleDesc(desc);
	values[0] = CStringGetTextDatum(zh[idx]);
	values[1] = CStringGetTextDatum(en[idx]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/*
 * rfm_segment(r, f): the named 5x5 segment of an R score and an F score
 * (1..5).  The table below is the whole rule: each row is R 5..1, each
 * column F 1..5, and every cell holds exactly one name.
 */
Datum
rfm_segment(PG_FUNCTION_ARGS)
{
	static const char *const table[5][5] = {
		/* R=5 */ {"New", "Potential Loyalists", "Potential Loyalists", "Champions", "Champions"},
		/* R=4 */ {"Promising", "Potential Loyalists", "Potential Loyalists", "Loyal", "Loyal"},
		/* R=3 */ {"About to Sleep", "About to Sleep", "Need Attention", "Loyal", "Loyal"},
		/* R=2 */ {"Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose"},
		/* R=1 */ {"Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose"},
	};
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);

	if (r < 1 || r > 5 || f < 1 || f > 5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("r and f scores must be between 1 and 5, got r %d and f %d", r, f),
				 errdetail("The named segments are defined on quintile scores.")));
	PG_RETURN_TEXT_P(cstring_to_text(table[5 - r][f - 1]));
}
