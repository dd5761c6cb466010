/*
 * metrics_util.h
 *	  Helpers shared by the metrics functions: audience[] arguments.
 */
#ifndef QUANYU_METRICS_UTIL_H
#define QUANYU_METRICS_UTIL_H

#include "postgres.h"

#include <roaring/roaring.h>

#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/tuplestore.h"

/* The bitmaps of an audience[] argument, read-only, freed with the call. */
typedef struct MetricsAudienceArray
{
	int			n;
	const roaring_bitmap_t **bitmaps;
} MetricsAudienceArray;

extern MetricsAudienceArray metrics_audience_array(ArrayType *array, const char *what, int max_n);
extern roaring_bitmap_t *metrics_union(const MetricsAudienceArray *arr);
extern roaring_bitmap_t *metrics_own(roaring_bitmap_t *bitmap);
extern uint64 metrics_bool_mask(ArrayType *conds, int n);
extern Tuplestorestate *metrics_srf_begin(FunctionCallInfo fcinfo, TupleDesc *tupdesc);

#endif							/* QUANYU_METRICS_UTIL_H */
