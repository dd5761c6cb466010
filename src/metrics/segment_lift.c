/*
 * segment_lift.c
 *	  segment_lift(person_id, measure, segment): compare a per-person measure
 *	  (spend, orders) between the persons in a segment and the others.
 *
 * The state is a float8[6] (count, mean, sum of squared deviations for the
 * persons in the segment, then for the others), updated with Welford's
 * method and merged with Chan's formula, so it needs no serial functions
 * and stays exact enough for millions of rows.  The segment audience is
 * decoded once and kept in fn_extra while the rows pass the same set.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "audience/audience.h"
#include "catalog/pg_type.h"
#include "common/person_id.h"
#include "common/sql_safety.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#define LIFT_STATE_LEN 6

/*
 * The segment decoded for the last rows, and how to recognise it again:
 * the bytes of its TOAST pointer (a stored value never changes), or a copy
 * of its flat bytes.  Datum addresses are never trusted, since executor
 * memory is reused for other rows.
 */
typedef struct LiftSegmentCache
{
	MemoryContext cxt;
	bool		toasted;		/* key is a TOAST pointer, not the value */
	char	   *key;
	Size		key_len;
	const roaring_bitmap_t *bitmap;
} LiftSegmentCache;

/* Is the segment datum the one in the cache? */
static bool
lift_segment_cached(FunctionCallInfo fcinfo, LiftSegmentCache *cache, Datum d)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (cache->bitmap == NULL)
		return false;
	/* A constant or a query parameter is the same on every row. */
	if (get_fn_expr_arg_stable(fcinfo->flinfo, 3))
		return true;
	if (audience_datum_is_expanded(d))
		return roaring_bitmap_equals(audience_datum_bitmap(d), cache->bitmap);
	if (VARATT_IS_EXTERNAL_ONDISK(v))
		return cache->toasted && VARSIZE_ANY(v) == cache->key_len &&
			memcmp(v, cache->key, cache->key_len) == 0;
	v = PG_DETOAST_DATUM_PACKED(d);
	return !cache->toasted && VARSIZE_ANY(v) == cache->key_len &&
		memcmp(v, cache->key, cache->key_len) == 0;
}

/* The bitmap of the segment argument, decoded only when the segment changes. */
static const roaring_bitmap_t *
lift_segment(FunctionCallInfo fcinfo, Datum d)
{
	LiftSegmentCache *cache = (LiftSegmentCache *) fcinfo->flinfo->fn_extra;
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(LiftSegmentCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	if (lift_segment_cached(fcinfo, cache, d))
		return cache->bitmap;
	if (cache->cxt != NULL)
		MemoryContextDelete(cache->cxt);
	cache->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "segment_lift segment",
									   ALLOCSET_SMALL_SIZES);
	cache->bitmap = NULL;
	cache->key = NULL;
	cache->key_len = 0;
	cache->toasted = false;
	if (!audience_datum_is_expanded(d))
	{
		cache->toasted = VARATT_IS_EXTERNAL_ONDISK(v);
		if (!cache->toasted)
			v = PG_DETOAST_DATUM_PACKED(d);
		cache->key_len = VARSIZE_ANY(v);
		cache->key = MemoryContextAlloc(cache->cxt, cache->key_len);
		memcpy(cache->key, v, cache->key_len);
	}
	cache->bitmap = audience_expanded_bitmap(audience_expand(d, cache->cxt));
	return cache->bitmap;
}

/* Raise the error for a state that segment_lift did not build. */
static void
lift_bad_state(const char *fname, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid segment_lift state in %s", fname),
			 errdetail("%s", detail)));
}

/* Is x a count a state can hold: a whole number from 0 to 2^53? */
static inline bool
lift_valid_count(float8 x)
{
	return x >= 0 && x <= 9007199254740992.0 && x == floor(x);
}

/*
 * The float8[6] state, checked.  The state type is a plain float8[], so
 * the support functions can be handed any such array (a user's own
 * aggregate with another INITCOND or transition function): its shape and
 * its two counts are validated before use.  Means and sums of squares may
 * be anything a float8 measure can make, NaN and infinities included.
 */
static float8 *
lift_state_values(ArrayType *state, const char *fname)
{
	float8	   *v;

	if (ARR_ELEMTYPE(state) != FLOAT8OID)
		lift_bad_state(fname, psprintf("The state is an array of %s, not of double precision.",
									   format_type_be(ARR_ELEMTYPE(state))));
	if (ARR_NDIM(state) != 1 || ARR_DIMS(state)[0] != LIFT_STATE_LEN)
		lift_bad_state(fname, psprintf("The state has %d dimensions and %d elements; a segment_lift state has 1 dimension and %d elements.",
									   ARR_NDIM(state), ArrayGetNItems(ARR_NDIM(state), ARR_DIMS(state)),
									   LIFT_STATE_LEN));
	if (ARR_HASNULL(state))
		lift_bad_state(fname, "The state has null elements.");
	if (VARSIZE(state) < ARR_DATA_OFFSET(state) + sizeof(float8) * LIFT_STATE_LEN)
		lift_bad_state(fname, "The state is shorter than its elements.");
	v = (float8 *) ARR_DATA_PTR(state);
	if (!lift_valid_count(v[0]) || !lift_valid_count(v[3]))
		lift_bad_state(fname, psprintf("The group sizes %g and %g are not whole numbers from 0 to 2^53.",
									   v[0], v[3]));
	return v;
}

PG_FUNCTION_INFO_V1(segment_lift_trans);
/* Transition: add the measure to the in-segment or the out-of-segment group. */
Datum
segment_lift_trans(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	uint32		person = person_id_from_int64(PG_GETARG_INT64(1));
	float8		x = PG_GETARG_FLOAT8(2);
	float8	   *v;
	int			g;
	float8		delta;

	(void) qy_aggregate_context(fcinfo, "segment_lift_trans");
	/* As float8_accum: in an aggregate the state array is ours to change. */
	v = lift_state_values(state, "segment_lift_trans");
	g = roaring_bitmap_contains(lift_segment(fcinfo, PG_GETARG_DATUM(3)), person) ? 0 : 3;
	v[g] += 1.0;
	delta = x - v[g + 1];
	v[g + 1] += delta / v[g];
	v[g + 2] += delta * (x - v[g + 1]);
	PG_RETURN_ARRAYTYPE_P(state);
}

/* Merge group b (n, mean, m2) into group a (Chan et al.). */
static void
lift_merge(float8 *a, const float8 *b)
{
	float8		n = a[0] + b[0];
	float8		delta;

	if (b[0] == 0)
		return;
	if (a[0] == 0)
	{
		memcpy(a, b, sizeof(float8) * 3);
		return;
	}
	delta = b[1] - a[1];
	a[2] += b[2] + delta * delta * a[0] * b[0] / n;
	a[1] += delta * b[0] / n;
	a[0] = n;
}

PG_FUNCTION_INFO_V1(segment_lift_combine);
/* Combine two partial states. */
Datum
segment_lift_combine(PG_FUNCTION_ARGS)
{
	float8		merged[LIFT_STATE_LEN];
	Datum		elems[LIFT_STATE_LEN];
	const float8 *b;

	(void) qy_aggregate_context(fcinfo, "segment_lift_combine");
	b = lift_state_values(PG_GETARG_ARRAYTYPE_P(1), "segment_lift_combine");
	memcpy(merged, lift_state_values(PG_GETARG_ARRAYTYPE_P(0), "segment_lift_combine"), sizeof(merged));
	lift_merge(merged, b);
	lift_merge(merged + 3, b + 3);
	for (int i = 0; i < LIFT_STATE_LEN; i++)
		elems[i] = Float8GetDatum(merged[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, LIFT_STATE_LEN, FLOAT8OID, 8,
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(segment_lift_final);
/*
 * Final: counts, means, lift = in_mean / out_mean, Welch's t and its
 * Welch-Satterthwaite degrees of freedom.  What cannot be computed (an
 * empty group, a zero mean or variance, fewer than 2 persons) is NULL.
 */
Datum
segment_lift_final(PG_FUNCTION_ARGS)
{
	const float8 *v;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	float8		n1,
				m1,
				n2,
				m2;

	(void) qy_aggregate_context(fcinfo, "segment_lift_final");
	v = lift_state_values(PG_GETARG_ARRAYTYPE_P(0), "segment_lift_final");
	n1 = v[0];
	m1 = v[1];
	n2 = v[3];
	m2 = v[4];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "segment_lift_final must return a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int64GetDatum((int64) n1);
	values[1] = Int64GetDatum((int64) n2);
	values[2] = Float8GetDatum(m1);
	nulls[2] = (n1 == 0);
	values[3] = Float8GetDatum(m2);
	nulls[3] = (n2 == 0);
	values[4] = Float8GetDatum(m1 / m2);
	nulls[4] = (n1 == 0 || n2 == 0 || m2 == 0);
	nulls[5] = nulls[6] = true;
	if (n1 >= 2 && n2 >= 2)
	{
		float8		se1 = v[2] / (n1 - 1) / n1;	/* variance of each mean */
		float8		se2 = v[5] / (n2 - 1) / n2;

		if (se1 + se2 > 0)
		{
			values[5] = Float8GetDatum((m1 - m2) / sqrt(se1 + se2));
			values[6] = Float8GetDatum((se1 + se2) * (se1 + se2) /
									   (se1 * se1 / (n1 - 1) + se2 * se2 / (n2 - 1)));
			nulls[5] = nulls[6] = false;
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
