/*
 * audience_ops.c
 *	  Set algebra, membership and cardinality of audiences.
 */
#include "postgres.h"

#include "audience/audience_internal.h"
#include "common/person_id.h"

typedef roaring_bitmap_t *(*BitmapBinaryOp) (const roaring_bitmap_t *, const roaring_bitmap_t *);

/* Apply a CRoaring binary operation to two audience arguments. */
static Datum
audience_binary_op(FunctionCallInfo fcinfo, BitmapBinaryOp op, bool intersection,
				   const char *what)
{
	const roaring_bitmap_t *a = PG_GETARG_AUDIENCE_BITMAP(0);
	const roaring_bitmap_t *b = PG_GETARG_AUDIENCE_BITMAP(1);
	AudienceExpanded *result = audience_expanded_new(CurrentMemoryContext);

	audience_memory_check(audience_estimate_binary(a, b, intersection), what);
	audience_expanded_set_bitmap(result, op(a, b));
	PG_RETURN_AUDIENCE(result);
}

PG_FUNCTION_INFO_V1(audience_and);
/* a & b: persons in both */
Datum
audience_and(PG_FUNCTION_ARGS)
{
	return audience_binary_op(fcinfo, roaring_bitmap_and, true, "audience intersection");
}

PG_FUNCTION_INFO_V1(audience_or);
/* a | b: persons in either */
Datum
audience_or(PG_FUNCTION_ARGS)
{
	return audience_binary_op(fcinfo, roaring_bitmap_or, false, "audience union");
}

PG_FUNCTION_INFO_V1(audience_andnot);
/* a - b: persons in a but not in b */
Datum
audience_andnot(PG_FUNCTION_ARGS)
{
	return audience_binary_op(fcinfo, roaring_bitmap_andnot, false, "audience difference");
}

PG_FUNCTION_INFO_V1(audience_xor);
/* a # b: persons in exactly one */
Datum
audience_xor(PG_FUNCTION_ARGS)
{
	return audience_binary_op(fcinfo, roaring_bitmap_xor, false, "audience symmetric difference");
}

/* A new expanded copy of argument 0, to change and return. */
static AudienceExpanded *
audience_copy_arg(FunctionCallInfo fcinfo)
{
	return audience_expand(PG_GETARG_DATUM(0), CurrentMemoryContext);
}

PG_FUNCTION_INFO_V1(audience_add);
/* a | id: a with one more person */
Datum
audience_add(PG_FUNCTION_ARGS)
{
	uint32		id = person_id_from_int64(PG_GETARG_INT64(1));
	AudienceExpanded *ea = audience_copy_arg(fcinfo);

	roaring_bitmap_t *bitmap = audience_expanded_bitmap(ea);

	audience_memory_check(audience_bitmap_memory(bitmap) + audience_estimate_ids(&id, 1),
						  "adding an id to an audience");
	roaring_bitmap_add(bitmap, id);
	audience_expanded_changed(ea);
	PG_RETURN_AUDIENCE(ea);
}

PG_FUNCTION_INFO_V1(audience_remove);
/* a - id: a without one person */
Datum
audience_remove(PG_FUNCTION_ARGS)
{
	uint32		id = person_id_from_int64(PG_GETARG_INT64(1));
	AudienceExpanded *ea = audience_copy_arg(fcinfo);

	roaring_bitmap_t *bitmap = audience_expanded_bitmap(ea);

	/* Removing an id from a run may split it, or make a bitset of it. */
	audience_memory_check(audience_bitmap_memory(bitmap) + AUDIENCE_BITSET_COST,
						  "removing an id from an audience");
	roaring_bitmap_remove(bitmap, id);
	audience_expanded_changed(ea);
	PG_RETURN_AUDIENCE(ea);
}

/*
 * Is id in the audience?  Ids outside the id range are in no audience.
 * An expanded value is asked directly; a value in memory is probed in its
 * bytes without decoding; a toasted value is decoded once per call site
 * (audience_cache.c), so a million lookups read it once.
 */
static bool
audience_has_id(FunctionCallInfo fcinfo, int audience_arg, int64 id)
{
	Datum		d = PG_GETARG_DATUM(audience_arg);
	const struct varlena *v = (const struct varlena *) DatumGetPointer(d);
	bool		found;

	if (id < 0 || id > PERSON_ID_MAX)
		return false;
	if (!VARATT_IS_EXTERNAL(v) && !VARATT_IS_COMPRESSED(v))
	{
		if (audience_flat_probe(v, (uint32) id, &found))
			return found;
	}
	return roaring_bitmap_contains(PG_GETARG_AUDIENCE_BITMAP(audience_arg), (uint32) id);
}

PG_FUNCTION_INFO_V1(audience_contains_id);
/* a @> id */
Datum
audience_contains_id(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(audience_has_id(fcinfo, 0, PG_GETARG_INT64(1)));
}

PG_FUNCTION_INFO_V1(audience_id_contained);
/* id <@ a */
Datum
audience_id_contained(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(audience_has_id(fcinfo, 1, PG_GETARG_INT64(0)));
}

PG_FUNCTION_INFO_V1(audience_contains);
/* a @> b: every person of b is in a (two stored values: from their bytes) */
Datum
audience_contains(PG_FUNCTION_ARGS)
{
	uint64		subset,
				ca,
				cb;

	if (audience_pair_from_bytes(fcinfo, 0, true, &subset, &ca, &cb))
		PG_RETURN_BOOL(subset == 1);
	PG_RETURN_BOOL(roaring_bitmap_is_subset(PG_GETARG_AUDIENCE_BITMAP(1),
											PG_GETARG_AUDIENCE_BITMAP(0)));
}

PG_FUNCTION_INFO_V1(audience_contained);
/* a <@ b: every person of a is in b */
Datum
audience_contained(PG_FUNCTION_ARGS)
{
	uint64		subset,
				cb,
				ca;

	if (audience_pair_from_bytes(fcinfo, 1, true, &subset, &cb, &ca))
		PG_RETURN_BOOL(subset == 1);
	PG_RETURN_BOOL(roaring_bitmap_is_subset(PG_GETARG_AUDIENCE_BITMAP(0),
											PG_GETARG_AUDIENCE_BITMAP(1)));
}

PG_FUNCTION_INFO_V1(audience_overlaps);
/* a && b: at least one person in common */
Datum
audience_overlaps(PG_FUNCTION_ARGS)
{
	const roaring_bitmap_t *a = PG_GETARG_AUDIENCE_BITMAP(0);
	const roaring_bitmap_t *b = PG_GETARG_AUDIENCE_BITMAP(1);

	PG_RETURN_BOOL(roaring_bitmap_intersect(a, b));
}

PG_FUNCTION_INFO_V1(audience_cardinality);
/* Number of persons, from the header alone. */
Datum
audience_cardinality(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) audience_datum_cardinality(PG_GETARG_DATUM(0)));
}
