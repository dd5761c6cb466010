/*
 * audience_cast.c
 *	  Casts between audience and int2[], int4[], int8[] and bytea.
 *
 * The bytea form is the plain CRoaring portable serialization (no quanyu
 * header), so bytes from pg_roaringbitmap, Java/Go RoaringBitmap or Doris
 * load here and ours load there.
 */
#include "postgres.h"

#include "audience/audience_internal.h"
#include "catalog/pg_type.h"
#include "common/person_id.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

#define CAST_CHUNK 4096

/* Reject arrays with NULL elements: a NULL is no person. */
static void
check_no_nulls(ArrayType *array)
{
	if (array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cannot build an audience from an array containing nulls"),
				 errhint("Remove the nulls first, e.g. with array_remove(a, NULL).")));
}

/*
 * Add the ids of an int2, int4 or int8 array, checking each, in batches.
 * elemtype is what the SQL signature promises (an array of a domain over
 * it is relabelled, not converted); anything else is an error rather than
 * a misread of its elements.
 */
static void
add_array_ids(AudienceBuilder *b, ArrayType *array, Oid elemtype)
{
	int			n = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	const char *data = ARR_DATA_PTR(array);
	uint32		batch[CAST_CHUNK];
	int			i;
	int			fill = 0;

	if (ARR_ELEMTYPE(array) != elemtype && getBaseType(ARR_ELEMTYPE(array)) != elemtype)
		elog(ERROR, "array of type %u where type %u was expected", ARR_ELEMTYPE(array), elemtype);
	for (i = 0; i < n; i++)
	{
		int64		value;

		if (elemtype == INT8OID)
			value = ((const int64 *) data)[i];
		else if (elemtype == INT4OID)
			value = ((const int32 *) data)[i];
		else
			value = ((const int16 *) data)[i];
		batch[fill++] = person_id_from_int64(value);
		if (fill == CAST_CHUNK)
		{
			audience_builder_add_ids(b, batch, fill);
			fill = 0;
			CHECK_FOR_INTERRUPTS();
		}
	}
	if (fill > 0)
		audience_builder_add_ids(b, batch, fill);
}

/* The audience of the ids in argument 0, an array of elemtype. */
static Datum
audience_from_array(FunctionCallInfo fcinfo, Oid elemtype)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	AudienceBuilder *b = audience_builder_new(CurrentMemoryContext);

	check_no_nulls(array);
	add_array_ids(b, array, elemtype);
	PG_RETURN_AUDIENCE(audience_builder_finish(b));
}

PG_FUNCTION_INFO_V1(audience_from_int2_array);
/* int2[] -> audience (psycopg 3 sends a list of small ints as smallint[]) */
Datum
audience_from_int2_array(PG_FUNCTION_ARGS)
{
	return audience_from_array(fcinfo, INT2OID);
}

PG_FUNCTION_INFO_V1(audience_from_int4_array);
/* int4[] -> audience */
Datum
audience_from_int4_array(PG_FUNCTION_ARGS)
{
	return audience_from_array(fcinfo, INT4OID);
}

PG_FUNCTION_INFO_V1(audience_from_int8_array);
/* int8[] -> audience */
Datum
audience_from_int8_array(PG_FUNCTION_ARGS)
{
	return audience_from_array(fcinfo, INT8OID);
}

/* The ids as a one-dimensional array of int4 or int8. */
static ArrayType *
audience_to_array(const roaring_bitmap_t *bitmap, bool is_int8)
{
	uint64		card = roaring_bitmap_get_cardinality(bitmap);
	Oid			elemtype = is_int8 ? INT8OID : INT4OID;
	int			elemsize = is_int8 ? sizeof(int64) : sizeof(int32);
	roaring_uint32_iterator_t it;
	uint32		chunk[CAST_CHUNK];
	uint32		n;
	uint32		i;
	uint64		done = 0;
	ArrayType  *result;
	Size		nbytes;

	if (card > MaxAllocSize / sizeof(int64))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("audience with %llu ids is too large for an array", (unsigned long long) card)));
	if (!is_int8 && card > 0 && roaring_bitmap_maximum(bitmap) > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("person id %u is out of range for type integer", roaring_bitmap_maximum(bitmap)),
				 errhint("Cast to bigint[] instead.")));
	nbytes = ARR_OVERHEAD_NONULLS(1) + card * elemsize;
	audience_memory_check((double) nbytes, "audience to array");
	result = palloc0(nbytes);
	SET_VARSIZE(result, nbytes);
	result->ndim = card > 0 ? 1 : 0;
	result->dataoffset = 0;
	result->elemtype = elemtype;
	if (card == 0)
	{
		SET_VARSIZE(result, ARR_OVERHEAD_NONULLS(0));
		return result;
	}
	ARR_DIMS(result)[0] = card;
	ARR_LBOUND(result)[0] = 1;
	/* A chunk at a time, so a long copy can be cancelled. */
	roaring_init_iterator(bitmap, &it);
	while (done < card && (n = roaring_read_uint32_iterator(&it, chunk, CAST_CHUNK)) > 0)
	{
		if (done + n > card)
			elog(ERROR, "audience has more ids than its cardinality");
		if (is_int8)
			for (i = 0; i < n; i++)
				((int64 *) ARR_DATA_PTR(result))[done + i] = chunk[i];
		else
			memcpy((int32 *) ARR_DATA_PTR(result) + done, chunk, n * sizeof(uint32));
		done += n;
		CHECK_FOR_INTERRUPTS();
	}
	if (done != card)
		elog(ERROR, "audience has fewer ids than its cardinality");
	return result;
}

PG_FUNCTION_INFO_V1(audience_to_int4_array);
/* audience -> int4[] */
Datum
audience_to_int4_array(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(audience_to_array(PG_GETARG_AUDIENCE_BITMAP(0), false));
}

PG_FUNCTION_INFO_V1(audience_to_int8_array);
/* audience -> int8[] */
Datum
audience_to_int8_array(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(audience_to_array(PG_GETARG_AUDIENCE_BITMAP(0), true));
}

PG_FUNCTION_INFO_V1(audience_from_bytea);
/* bytea (CRoaring portable format) -> audience, validated */
Datum
audience_from_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	AudienceExpanded *ea = audience_expanded_new(CurrentMemoryContext);

	audience_expanded_set_bitmap(ea, audience_portable_load(VARDATA_ANY(bytes),
															VARSIZE_ANY_EXHDR(bytes),
															ERRCODE_INVALID_BINARY_REPRESENTATION));
	PG_RETURN_AUDIENCE(ea);
}

PG_FUNCTION_INFO_V1(audience_to_bytea);
/* audience -> bytea (CRoaring portable format) */
Datum
audience_to_bytea(PG_FUNCTION_ARGS)
{
	Datum		d = PG_GETARG_DATUM(0);
	bytea	   *result;

	if (!audience_datum_is_expanded(d))
	{
		/* The stored payload already is the portable form: copy it. */
		AudienceFlat *flat = (AudienceFlat *) PG_DETOAST_DATUM(d);
		Size		len;

		audience_header_check(flat);
		len = AUDIENCE_PAYLOAD_SIZE(flat);

		result = palloc(VARHDRSZ + len);
		memcpy(VARDATA(result), flat->payload, len);
		SET_VARSIZE(result, VARHDRSZ + len);
		PG_RETURN_BYTEA_P(result);
	}
	return DirectFunctionCall1(audience_send, d);
}
