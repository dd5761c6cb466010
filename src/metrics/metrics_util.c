/*
 * metrics_util.c
 *	  Helpers shared by the metrics functions: audience[] arguments.
 */
#include "postgres.h"

#include "audience/audience.h"
#include "metrics/metrics_util.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"

/*
 * Decode an audience[] argument into read-only bitmaps.  A multi-dimensional
 * array, more than max_n elements, or a NULL element is an error; "what"
 * names the argument in messages.
 */
MetricsAudienceArray
metrics_audience_array(ArrayType *array, const char *what, int max_n)
{
	MetricsAudienceArray result;
	Datum	   *elems;
	bool	   *nulls;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			n;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what),
				 errdetail("The array has %d dimensions.", ARR_NDIM(array))));
	get_typlenbyvalalign(ARR_ELEMTYPE(array), &typlen, &typbyval, &typalign);
	deconstruct_array(array, ARR_ELEMTYPE(array), typlen, typbyval, typalign,
					  &elems, &nulls, &n);
	if (n > max_n)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many elements in %s: %d", what, n),
				 errdetail("At most %d audiences are allowed.", max_n)));
	result.n = n;
	result.bitmaps = palloc(sizeof(roaring_bitmap_t *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("element %d of %s is null", i + 1, what),
					 errdetail("Every audience in %s must be non-null; use '{}' for an empty one.", what)));
		result.bitmaps[i] = audience_datum_bitmap(elems[i]);
	}
	return result;
}

/*
 * Hand a malloc'd CRoaring bitmap to an expanded audience in the current
 * memory context, so it is freed with the context on every path.
 */
roaring_bitmap_t *
metrics_own(roaring_bitmap_t *bitmap)
{
	AudienceExpanded *ea = audience_expanded_new(CurrentMemoryContext);

	audience_expanded_set_bitmap(ea, bitmap);
	return audience_expanded_bitmap(ea);
}

/* The union of all the bitmaps, owned by the current memory context. */
roaring_bitmap_t *
metrics_union(const MetricsAudienceArray *arr)
{
	if (arr->n == 0)
		return metrics_own(roaring_bitmap_create());
	return metrics_own(roaring_bitmap_or_many(arr->n, arr->bitmaps));
}

/*
 * Start a set-returning function in materialize mode: a tuplestore in the
 * per-query context, and the caller's result row descriptor.  Written out
 * by hand because the core helper was renamed between PostgreSQL 14 and 15.
 */
Tuplestorestate *
metrics_srf_begin(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;
	Tuplestorestate *store;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	store = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = *tupdesc;
	MemoryContextSwitchTo(oldcxt);
	return store;
}

/* The bits of the true elements of a boolean array; NULL counts as false. */
uint64
metrics_bool_mask(ArrayType *conds, int n)
{
	uint64		mask = 0;

	if (!ARR_HASNULL(conds))
	{
		const bool *values = (const bool *) ARR_DATA_PTR(conds);

		for (int i = 0; i < n; i++)
			if (values[i])
				mask |= ((uint64) 1) << i;
	}
	else
	{
		bits8	   *nullmap = ARR_NULLBITMAP(conds);
		const char *p = ARR_DATA_PTR(conds);

		/* NULL elements take no space in the data area. */
		for (int i = 0; i < n; i++)
		{
			if ((nullmap[i / 8] & (1 << (i % 8))) == 0)
				continue;
			if (*(const bool *) p)
				mask |= ((uint64) 1) << i;
			p++;
		}
	}
	return mask;
}
