/*
 * audience_inspect.c
 *	  Questions about one audience: emptiness, bounds, rank, n-th id,
 *	  membership of many ids, and storage statistics.
 *
 * is_empty, min and max read the stored header only (the first TOAST chunk
 * of a large value), never the set itself.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "audience/audience_internal.h"
#include "catalog/pg_type.h"
#include "common/person_id.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"

PG_FUNCTION_INFO_V1(audience_is_empty);
/* True when the audience has no person (header only). */
Datum
audience_is_empty(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(audience_datum_cardinality(PG_GETARG_DATUM(0)) == 0);
}

PG_FUNCTION_INFO_V1(audience_min);
/* Smallest id, NULL for an empty audience (header only). */
Datum
audience_min(PG_FUNCTION_ARGS)
{
	AudienceFlat header;
	const AudienceFlat *h = audience_datum_header(PG_GETARG_DATUM(0), &header);

	if (h->cardinality == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64((int64) h->min_id);
}

PG_FUNCTION_INFO_V1(audience_max);
/* Largest id, NULL for an empty audience (header only). */
Datum
audience_max(PG_FUNCTION_ARGS)
{
	AudienceFlat header;
	const AudienceFlat *h = audience_datum_header(PG_GETARG_DATUM(0), &header);

	if (h->cardinality == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64((int64) h->max_id);
}

PG_FUNCTION_INFO_V1(audience_rank);
/*
 * Number of ids less than or equal to id.  Like membership (@>), a question
 * about an id outside the id range has an answer rather than an error: no
 * id is below 0, every id is below 4294967296.
 */
Datum
audience_rank(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(1);

	if (id < 0)
		PG_RETURN_INT64(0);
	if (id > PERSON_ID_MAX)
		PG_RETURN_INT64((int64) audience_datum_cardinality(PG_GETARG_DATUM(0)));
	PG_RETURN_INT64((int64) roaring_bitmap_rank(PG_GETARG_AUDIENCE_BITMAP(0), (uint32) id));
}

PG_FUNCTION_INFO_V1(audience_nth);
/*
 * The n-th smallest id, counting from 1 (so audience_nth(a, audience_rank(a,
 * id)) = id for every id of a); NULL when the audience has fewer than n ids.
 */
Datum
audience_nth(PG_FUNCTION_ARGS)
{
	int64		n = PG_GETARG_INT64(1);
	uint32		id;

	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("position %lld is out of range", (long long) n),
				 errdetail("Positions count from 1, the smallest id.")));
	if ((uint64) n > audience_datum_cardinality(PG_GETARG_DATUM(0)))
		PG_RETURN_NULL();
	if (!roaring_bitmap_select(PG_GETARG_AUDIENCE_BITMAP(0), (uint32) (n - 1), &id))
		PG_RETURN_NULL();
	PG_RETURN_INT64((int64) id);
}

/* The elements of a bigint[] argument, which may not contain nulls. */
static int64 *
audience_id_array(FunctionCallInfo fcinfo, int argno, int *n)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(argno);

	if (array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array of person ids must not contain nulls"),
				 errhint("Remove the nulls first, e.g. with array_remove(ids, NULL).")));
	*n = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	return (int64 *) ARR_DATA_PTR(array);
}

/* Is the id (any bigint) in the bitmap?  Out-of-range ids are in none. */
static inline bool
audience_bitmap_has(const roaring_bitmap_t *bitmap, int64 id)
{
	return id >= 0 && id <= PERSON_ID_MAX && roaring_bitmap_contains(bitmap, (uint32) id);
}

PG_FUNCTION_INFO_V1(audience_contains_any);
/* True when at least one of the ids is in the audience (false for no ids). */
Datum
audience_contains_any(PG_FUNCTION_ARGS)
{
	int			n;
	int64	   *ids = audience_id_array(fcinfo, 1, &n);
	const roaring_bitmap_t *bitmap;
	int			i;

	if (n == 0)
		PG_RETURN_BOOL(false);
	bitmap = PG_GETARG_AUDIENCE_BITMAP(0);
	for (i = 0; i < n; i++)
	{
		if (audience_bitmap_has(bitmap, ids[i]))
			PG_RETURN_BOOL(true);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_BOOL(false);
}

PG_FUNCTION_INFO_V1(audience_contains_all);
/* True when every one of the ids is in the audience (true for no ids). */
Datum
audience_contains_all(PG_FUNCTION_ARGS)
{
	int			n;
	int64	   *ids = audience_id_array(fcinfo, 1, &n);
	const roaring_bitmap_t *bitmap;
	int			i;

	if (n == 0)
		PG_RETURN_BOOL(true);
	bitmap = PG_GETARG_AUDIENCE_BITMAP(0);
	for (i = 0; i < n; i++)
	{
		if (!audience_bitmap_has(bitmap, ids[i]))
			PG_RETURN_BOOL(false);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_BOOL(true);
}

/* Bytes of the value as stored: the flat size, without decoding when flat. */
static int64
audience_stored_bytes(Datum d, const roaring_bitmap_t *bitmap)
{
	if (audience_datum_is_expanded(d))
		return (int64) audience_flat_size(bitmap);
	return (int64) toast_raw_datum_size(d);
}

PG_FUNCTION_INFO_V1(audience_stats);
/*
 * Storage statistics: cardinality, containers by kind and the ids each kind
 * holds, bytes stored and bytes in memory, for sizing tables of audiences.
 */
Datum
audience_stats(PG_FUNCTION_ARGS)
{
	const roaring_bitmap_t *bitmap = PG_GETARG_AUDIENCE_BITMAP(0);
	AudienceStats st;
	TupleDesc	tupdesc;
	Datum		values[10];
	bool		nulls[10] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "audience_stats must be declared to return a record");
	tupdesc = BlessTupleDesc(tupdesc);
	audience_bitmap_statistics(bitmap, &st);

	values[0] = Int64GetDatum((int64) roaring_bitmap_get_cardinality(bitmap));
	values[1] = Int32GetDatum(st.containers[AUDIENCE_KIND_ARRAY] + st.containers[AUDIENCE_KIND_BITSET] +
							  st.containers[AUDIENCE_KIND_RUN]);
	values[2] = Int32GetDatum(st.containers[AUDIENCE_KIND_ARRAY]);
	values[3] = Int32GetDatum(st.containers[AUDIENCE_KIND_BITSET]);
	values[4] = Int32GetDatum(st.containers[AUDIENCE_KIND_RUN]);
	values[5] = Int64GetDatum(st.ids[AUDIENCE_KIND_ARRAY]);
	values[6] = Int64GetDatum(st.ids[AUDIENCE_KIND_BITSET]);
	values[7] = Int64GetDatum(st.ids[AUDIENCE_KIND_RUN]);
	values[8] = Int64GetDatum(audience_stored_bytes(PG_GETARG_DATUM(0), bitmap));
	values[9] = Int64GetDatum(st.bytes[AUDIENCE_KIND_ARRAY] + st.bytes[AUDIENCE_KIND_BITSET] +
							  st.bytes[AUDIENCE_KIND_RUN]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
