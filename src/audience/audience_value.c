/*
 * audience_value.c
 *	  An audience in memory: a live CRoaring bitmap inside PostgreSQL's
 *	  expanded-object framework, and nothing else (header, bitmap, cached
 *	  flat size).
 *
 * Each expanded audience lives in a memory context with a reset callback
 * that frees the malloc'd bitmap, so the bitmap goes away with the context
 * on every path, errors included.  A value being built carries a builder
 * as well (audience_builder.c), which installs its own flatten methods;
 * nothing here runs a builder's code.
 */
#include "postgres.h"

#include "audience/audience_internal.h"

static Size audience_get_flat_size(ExpandedObjectHeader *eohptr);
static void audience_flatten_into(ExpandedObjectHeader *eohptr,
								  void *result, Size allocated_size);

const ExpandedObjectMethods audience_value_methods = {
	audience_get_flat_size,
	audience_flatten_into
};

/* Memory context callback: free the bitmap.  Idempotent. */
static void
audience_expanded_free(void *arg)
{
	AudienceExpanded *ea = (AudienceExpanded *) arg;

	if (ea->bitmap != NULL)
	{
		roaring_bitmap_free(ea->bitmap);
		ea->bitmap = NULL;
	}
}

/*
 * A new, empty expanded audience living in cxt (which it owns when it is
 * its own context), flattened by methods.  The free callback is registered
 * before the bitmap exists.
 */
AudienceExpanded *
audience_expanded_create(MemoryContext cxt, const ExpandedObjectMethods *methods)
{
	AudienceExpanded *ea;
	MemoryContextCallback *cb;

	ea = MemoryContextAllocZero(cxt, sizeof(AudienceExpanded));
	EOH_init_header(&ea->hdr, methods, cxt);
	ea->magic = AUDIENCE_EXPANDED_MAGIC;

	cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));
	cb->func = audience_expanded_free;
	cb->arg = ea;
	MemoryContextRegisterResetCallback(cxt, cb);

	ea->bitmap = roaring_bitmap_create();
	audience_check_alloc(ea->bitmap);
	return ea;
}

/* A new, empty expanded audience in a context of its own under parent. */
AudienceExpanded *
audience_expanded_new(MemoryContext parent)
{
	return audience_expanded_create(AllocSetContextCreate(parent, "audience",
														  ALLOCSET_SMALL_SIZES),
									&audience_value_methods);
}

/* A new expanded audience under parent decoded from a flat (stored) datum. */
AudienceExpanded *
audience_expanded_load(Datum flat, MemoryContext parent)
{
	AudienceExpanded *ea = audience_expanded_new(parent);
	AudienceFlat *detoasted = (AudienceFlat *) PG_DETOAST_DATUM(flat);

	Assert(!audience_datum_is_expanded(flat));
	audience_expanded_set_bitmap(ea, audience_flat_load(detoasted));
	if ((Pointer) detoasted != DatumGetPointer(flat))
		pfree(detoasted);
	return ea;
}

/* Replace the bitmap with one the caller just made (ownership passes here). */
void
audience_expanded_set_bitmap(AudienceExpanded *ea, roaring_bitmap_t *bitmap)
{
	if (ea->bitmap != NULL)
		roaring_bitmap_free(ea->bitmap);
	ea->bitmap = bitmap;
	audience_check_alloc(bitmap);
	audience_expanded_changed(ea);
}

/*
 * Take the bitmap out of a value, which is then freed: ownership of the
 * bitmap passes to the caller, who must hand it on at once.
 */
roaring_bitmap_t *
audience_expanded_take_bitmap(AudienceExpanded *ea)
{
	roaring_bitmap_t *bitmap = ea->bitmap;

	Assert(ea->builder == NULL);
	ea->bitmap = NULL;
	MemoryContextDelete(ea->hdr.eoh_context);
	return bitmap;
}

/*
 * The live bitmap of a value, to read or change in place (then call
 * audience_expanded_changed).  A value still being built is read through
 * audience_datum_bitmap(), which settles its builder; asking here is a bug.
 */
roaring_bitmap_t *
audience_expanded_bitmap(AudienceExpanded *ea)
{
	if (ea->builder != NULL)
		elog(ERROR, "audience is still being built");
	return ea->bitmap;
}

/* Forget the cached flat size after a mutation. */
void
audience_expanded_changed(AudienceExpanded *ea)
{
	ea->flat_size = 0;
}

/* The read-write datum of a value, to return from a function. */
Datum
audience_expanded_datum(AudienceExpanded *ea)
{
	return EOHPGetRWDatum(&ea->hdr);
}

/*
 * Flat size, cached: PostgreSQL asks for it and then flattens, twice per
 * stored row.  Runs are optimised first so the stored form is compact.
 */
Size
audience_expanded_flat_size(AudienceExpanded *ea)
{
	if (ea->flat_size != 0)
		return ea->flat_size;
	roaring_bitmap_run_optimize(ea->bitmap);
	ea->flat_size = audience_flat_size(ea->bitmap);
	return ea->flat_size;
}

/* Write the flat form into memory PostgreSQL allocated. */
void
audience_expanded_flatten_into(AudienceExpanded *ea, void *result, Size allocated_size)
{
	Assert(allocated_size == ea->flat_size);
	audience_flat_write(ea->bitmap, (AudienceFlat *) result, allocated_size);
}

/*
 * The stored form of an expanded audience, as storing it would write it
 * (through its methods: a value being built is settled first).
 */
struct varlena *
audience_expanded_flat_copy(AudienceExpanded *ea)
{
	Size		size = EOH_get_flat_size(&ea->hdr);
	struct varlena *flat = palloc(size);

	EOH_flatten_into(&ea->hdr, flat, size);
	return flat;
}

static Size
audience_get_flat_size(ExpandedObjectHeader *eohptr)
{
	return audience_expanded_flat_size((AudienceExpanded *) eohptr);
}

static void
audience_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	audience_expanded_flatten_into((AudienceExpanded *) eohptr, result, allocated_size);
}
