/*
 * audience_expanded.c
 *	  The expanded (in-memory) form of an audience: a live CRoaring bitmap
 *	  inside PostgreSQL's expanded-object framework.
 *
 * Each expanded audience has its own memory context with a reset callback
 * that frees the malloc'd bitmap, so the bitmap goes away with the context
 * on every path, errors included.  Aggregates keep one as their transition
 * state and mutate it in place; it is flattened only when stored or sent.
 */
#include "postgres.h"

#include "audience/audience.h"
#include "audience/audience_fn.h"
#include "utils/memutils.h"

/*
 * Ids are queued and added in batches.  A batch grows with the state (small
 * groups stay small) up to PENDING_MAX ids.  Batches of at least
 * PENDING_MERGE_MIN ids are merged into the bitmap a container at a time
 * (audience_roaring.c); smaller ones go through roaring_bitmap_add_many.
 * Stored audiences OR-ed in are queued as well (audience_union.c).
 */
#define PENDING_INITIAL 256
#define PENDING_MAX AUDIENCE_PENDING_MAX
#define PENDING_MERGE_MIN 1024

/*
 * Ids spread thin (10M ids over 0..2^31 are 32k containers of about 300)
 * put a couple of ids per container in a batch of PENDING_MAX, and each
 * batch then rebuilds every container for them.  A state with many
 * containers queues PENDING_PER_CONTAINER ids per container instead, up to
 * PENDING_SPREAD_MAX (8 MB of queue and as much to group it).
 */
#define PENDING_PER_CONTAINER 32
#define PENDING_SPREAD_MAX (2 * 1024 * 1024)

/* The memory context shared by the audience states of an aggregate context. */
#define AGG_STATES_CONTEXT "audience aggregate states"

static Size audience_get_flat_size(ExpandedObjectHeader *eohptr);
static void audience_flatten_into(ExpandedObjectHeader *eohptr,
								  void *result, Size allocated_size);

static const ExpandedObjectMethods audience_expanded_methods = {
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
 * A new, empty expanded audience living in cxt, which it owns when it is
 * its own context.  The free callback is registered before the bitmap exists.
 */
static AudienceExpanded *
audience_expanded_new_in(MemoryContext cxt)
{
	AudienceExpanded *ea;
	MemoryContextCallback *cb;

	ea = MemoryContextAllocZero(cxt, sizeof(AudienceExpanded));
	EOH_init_header(&ea->hdr, &audience_expanded_methods, cxt);
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
	return audience_expanded_new_in(AllocSetContextCreate(parent, "audience",
														  ALLOCSET_SMALL_SIZES));
}

/*
 * A new, empty expanded audience for an aggregate state.  The states of one
 * aggregate context share a context, "audience aggregate states", instead
 * of having one each: hash aggregation adds up the memory of the aggregate
 * context's children whenever it creates a group, which with a context per
 * group costs time quadratic in the groups (100k groups took 34 s).  The
 * shared context is a child of the aggregate context, as nodeAgg.c wants of
 * a read-write expanded state it keeps without copying, and is freed with
 * it; each state's callback frees its own bitmap.  PostgreSQL deletes an
 * expanded state only when a transition function returns another one, and
 * ours always return the state they were given.
 */
AudienceExpanded *
audience_agg_state_new(MemoryContext aggcontext)
{
	MemoryContext states;

	for (states = aggcontext->firstchild; states != NULL; states = states->nextchild)
		if (strcmp(states->name, AGG_STATES_CONTEXT) == 0)
			return audience_expanded_new_in(states);
	states = AllocSetContextCreate(aggcontext, AGG_STATES_CONTEXT, ALLOCSET_DEFAULT_SIZES);
	return audience_expanded_new_in(states);
}

/* Replace the bitmap with one the caller just made (ownership passes here). */
void
audience_expanded_set_bitmap(AudienceExpanded *ea, roaring_bitmap_t *bitmap)
{
	if (ea->bitmap != NULL)
		roaring_bitmap_free(ea->bitmap);
	ea->bitmap = bitmap;
	ea->npending = 0;
	ea->lazy = false;
	ea->mem_known = false;
	audience_check_alloc(bitmap);
	audience_expanded_changed(ea);
}

/*
 * Check, before the bitmap grows by up to growth bytes, that it stays within
 * quanyu.max_audience_memory.  A running upper bound is kept so that the
 * bitmap is measured (a walk over its containers) only when the bound
 * nears the limit.
 */
void
audience_expanded_reserve(AudienceExpanded *ea, double growth, const char *what)
{
	double		limit = (double) audience_max_memory_kb * 1024.0;

	if (!ea->mem_known || ea->mem_bound + growth > limit)
	{
		ea->mem_bound = ea->bitmap == NULL ? 0 : audience_bitmap_memory(ea->bitmap);
		ea->mem_known = true;
		/* Small sets never probe. */
		ea->probe_at = Max(ea->probe_at, ea->mem_bound + AUDIENCE_PROBE_BYTES);
	}
	if (ea->mem_bound + growth > limit)
		audience_memory_check(ea->mem_bound + growth, what);
	ea->mem_bound += growth;

	/*
	 * Every AUDIENCE_PROBE_BYTES of growth, check that the process can still
	 * get that much (under ulimit -v, say): CRoaring's in-place operations
	 * do not check their own mallocs, so they must not be the ones to run out.
	 */
	if (ea->mem_bound >= ea->probe_at)
	{
		audience_memory_probe(Max(growth, AUDIENCE_PROBE_BYTES), what);
		ea->probe_at = ea->mem_bound + AUDIENCE_PROBE_BYTES;
	}
}

/* Forget the cached flat size after a mutation. */
void
audience_expanded_changed(AudienceExpanded *ea)
{
	ea->flat_size = 0;
}

/* Add the pending ids to the bitmap (which may be left lazy). */
static void
audience_expanded_add_pending(AudienceExpanded *ea)
{
	if (ea->npending >= PENDING_MERGE_MIN)
	{
		/* Room to group the batch, as large as the queue (small groups stay small). */
		if (ea->pending_scratch == NULL || ea->scratch_cap < ea->pending_cap)
		{
			if (ea->pending_scratch != NULL)
				pfree(ea->pending_scratch);
			ea->pending_scratch = MemoryContextAlloc(ea->hdr.eoh_context,
													 ea->pending_cap * sizeof(uint32));
			ea->scratch_cap = ea->pending_cap;
		}
		audience_expanded_reserve(ea, audience_estimate_ids(ea->pending, ea->npending), "adding ids to an audience");
		audience_merge_ids(ea->bitmap, ea->pending, ea->pending_scratch, ea->npending);
		ea->lazy = true;
	}
	else if (ea->npending > 0)
	{
		audience_expanded_reserve(ea, audience_estimate_ids(ea->pending, ea->npending), "adding ids to an audience");
		roaring_bitmap_add_many(ea->bitmap, ea->npending, ea->pending);
	}
	ea->npending = 0;
}

/* Add the pending ids, merge the pending inputs, and repair lazy unions. */
static void
audience_expanded_settle(AudienceExpanded *ea)
{
	audience_expanded_add_pending(ea);
	audience_union_flush(ea);
	if (ea->lazy)
	{
		roaring_bitmap_repair_after_lazy(ea->bitmap);
		ea->lazy = false;
	}
}

/* The live bitmap, with every pending change applied. */
roaring_bitmap_t *
audience_expanded_bitmap(AudienceExpanded *ea)
{
	audience_expanded_settle(ea);
	return ea->bitmap;
}

/*
 * Make room in the queue of pending ids (audience_expanded_add_id() in
 * audience.h queues them): a longer queue, or a full one added to the bitmap.
 */
void
audience_expanded_make_room(AudienceExpanded *ea)
{
	int			max = PENDING_MAX;

	if (ea->pending_cap >= PENDING_MAX && ea->bitmap != NULL)
		max = Max(max, (int) Min((uint64) PENDING_SPREAD_MAX,
								 (uint64) audience_bitmap_containers(ea->bitmap) *
								 PENDING_PER_CONTAINER));
	if (ea->pending_cap < max)
	{
		int			cap = ea->pending_cap == 0 ? PENDING_INITIAL : Min(ea->pending_cap * 2, max);

		ea->pending = ea->pending == NULL ?
			MemoryContextAlloc(ea->hdr.eoh_context, cap * sizeof(uint32)) :
			repalloc(ea->pending, cap * sizeof(uint32));
		ea->pending_cap = cap;
	}
	else
		audience_expanded_add_pending(ea);
}

/* Add many ids at once. */
void
audience_expanded_add_ids(AudienceExpanded *ea, const uint32 *ids, int n)
{
	audience_expanded_settle(ea);
	audience_expanded_reserve(ea, audience_estimate_ids(ids, n), "adding ids to an audience");
	roaring_bitmap_add_many(ea->bitmap, n, ids);
	audience_expanded_changed(ea);
}

/* Make ea (new and empty) hold a copy of the datum's set. */
void
audience_expanded_copy_from(AudienceExpanded *ea, Datum d)
{
	if (audience_datum_is_expanded(d))
	{
		AudienceExpanded *src = audience_datum_expanded(d);
		roaring_bitmap_t *bitmap = audience_expanded_bitmap(src);

		audience_memory_check(audience_bitmap_memory(bitmap), "copying an audience");
		audience_expanded_set_bitmap(ea, roaring_bitmap_copy(bitmap));
	}
	else
	{
		AudienceFlat *flat = (AudienceFlat *) PG_DETOAST_DATUM(d);

		audience_expanded_set_bitmap(ea, audience_flat_load(flat));
		if ((Pointer) flat != DatumGetPointer(d))
			pfree(flat);
	}
}

/* A new expanded audience under parent holding a copy of the datum's set. */
AudienceExpanded *
audience_expand(Datum d, MemoryContext parent)
{
	AudienceExpanded *ea = audience_expanded_new(parent);

	audience_expanded_copy_from(ea, d);
	return ea;
}

/*
 * A read-only bitmap for a datum.  A flat datum is expanded into the
 * current memory context, whose reset frees it.
 */
const roaring_bitmap_t *
audience_datum_bitmap(Datum d)
{
	if (audience_datum_is_expanded(d))
		return audience_expanded_bitmap(audience_datum_expanded(d));
	return audience_expanded_bitmap(audience_expand(d, CurrentMemoryContext));
}

/*
 * A read-only bitmap for argument argno of a SQL function.  A flat stored
 * value is decoded once per call site and reused while the argument stays
 * the same value (audience_cache.c).
 */
const roaring_bitmap_t *
audience_arg_bitmap(FunctionCallInfo fcinfo, int argno)
{
	Datum		d = PG_GETARG_DATUM(argno);

	if (audience_datum_is_expanded(d))
		return audience_expanded_bitmap(audience_datum_expanded(d));
	return audience_cache_bitmap(fcinfo, argno);
}

/*
 * Flat size, cached: PostgreSQL asks for it and then flattens, twice per
 * stored row.  Runs are optimised first so the stored form is compact.
 */
static Size
audience_get_flat_size(ExpandedObjectHeader *eohptr)
{
	AudienceExpanded *ea = (AudienceExpanded *) eohptr;
	roaring_bitmap_t *bitmap;

	if (ea->flat_size != 0)
		return ea->flat_size;
	bitmap = audience_expanded_bitmap(ea);
	roaring_bitmap_run_optimize(bitmap);
	ea->flat_size = audience_flat_size(bitmap);
	return ea->flat_size;
}

/* Write the flat form into memory PostgreSQL allocated. */
static void
audience_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	AudienceExpanded *ea = (AudienceExpanded *) eohptr;

	Assert(allocated_size == ea->flat_size);
	audience_flat_write(audience_expanded_bitmap(ea), (AudienceFlat *) result, allocated_size);
}
