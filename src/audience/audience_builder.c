/*
 * audience_builder.c
 *	  Building an audience in batches: ids and stored inputs are queued and
 *	  added to the value's bitmap a container at a time.
 *
 * An aggregate's state, text input, casts from arrays and sampling all add
 * many ids (or inputs) one by one.  Adding each on its own rebuilds a
 * container per id; a builder queues them and merges a batch at a time
 * (audience_roaring.c), and leaves the bitmap "lazy" (bitset cardinalities
 * not kept) until it is read.  The builder hangs off the value it builds
 * (AudienceExpanded.builder) and replaces the value's flatten methods by
 * its own, which settle it first; so a value with pending changes is
 * complete whenever PostgreSQL stores or sends it, and a plain value never
 * runs this file's code.
 *
 * A builder may also hold a stored audience undecoded as its whole set
 * (audience_builder_hold: audience_intersect_agg's first input), decoded
 * only when something reads or changes the set.
 *
 * Ids are queued and added in batches.  A batch grows with the state (small
 * groups stay small) up to PENDING_MAX ids.  Batches of at least
 * PENDING_MERGE_MIN ids are merged into the bitmap a container at a time;
 * smaller ones go through roaring_bitmap_add_many.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "audience/audience_internal.h"

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

static Size builder_get_flat_size(ExpandedObjectHeader *eohptr);
static void builder_flatten_into(ExpandedObjectHeader *eohptr,
								 void *result, Size allocated_size);

static const ExpandedObjectMethods audience_builder_methods = {
	builder_get_flat_size,
	builder_flatten_into
};

/* A builder for a new, empty value living in cxt. */
static AudienceBuilder *
audience_builder_new_in(MemoryContext cxt)
{
	AudienceExpanded *ea = audience_expanded_create(cxt, &audience_builder_methods);
	AudienceBuilder *b = MemoryContextAllocZero(cxt, sizeof(AudienceBuilder));

	b->value = ea;
	b->queue.cxt = cxt;
	ea->builder = b;
	return b;
}

/* A builder for a new, empty value in a context of its own under parent. */
AudienceBuilder *
audience_builder_new(MemoryContext parent)
{
	return audience_builder_new_in(AllocSetContextCreate(parent, "audience",
														 ALLOCSET_SMALL_SIZES));
}

/*
 * A builder for an aggregate state.  The states of one aggregate context
 * share a context, "audience aggregate states", instead of having one each:
 * hash aggregation adds up the memory of the aggregate context's children
 * whenever it creates a group, which with a context per group costs time
 * quadratic in the groups (100k groups took 34 s).  The shared context is a
 * child of the aggregate context, as nodeAgg.c wants of a read-write
 * expanded state it keeps without copying, and is freed with it; each
 * state's callback frees its own bitmap.  PostgreSQL deletes an expanded
 * state only when a transition function returns another one, and ours
 * always return the state they were given.
 */
AudienceBuilder *
audience_agg_builder_new(MemoryContext aggcontext)
{
	MemoryContext states;

	for (states = aggcontext->firstchild; states != NULL; states = states->nextchild)
		if (strcmp(states->name, AGG_STATES_CONTEXT) == 0)
			return audience_builder_new_in(states);
	states = AllocSetContextCreate(aggcontext, AGG_STATES_CONTEXT, ALLOCSET_DEFAULT_SIZES);
	return audience_builder_new_in(states);
}

/*
 * Check, before the bitmap grows by up to growth bytes, that it stays within
 * quanyu.max_audience_memory.  A running upper bound is kept so that the
 * bitmap is measured (a walk over its containers) only when the bound
 * nears the limit.
 */
void
audience_builder_reserve(AudienceBuilder *b, double growth, const char *what)
{
	AudienceMemBound *m = &b->mem;
	double		limit = (double) audience_max_memory_kb * 1024.0;

	if (!m->known || m->bound + growth > limit)
	{
		m->bound = audience_bitmap_memory(b->value->bitmap);
		m->known = true;
		/* Small sets never probe. */
		m->probe_at = Max(m->probe_at, m->bound + AUDIENCE_PROBE_BYTES);
	}
	if (m->bound + growth > limit)
		audience_memory_check(m->bound + growth, what);
	m->bound += growth;

	/*
	 * Every AUDIENCE_PROBE_BYTES of growth, check that the process can still
	 * get that much (under ulimit -v, say): CRoaring's in-place operations
	 * do not check their own mallocs, so they must not be the ones to run out.
	 */
	if (m->bound >= m->probe_at)
	{
		audience_memory_probe(Max(growth, AUDIENCE_PROBE_BYTES), what);
		m->probe_at = m->bound + AUDIENCE_PROBE_BYTES;
	}
}

/* Forget the value's cached flat size after a change. */
void
audience_builder_changed(AudienceBuilder *b)
{
	audience_expanded_changed(b->value);
}

/* Decode a held stored set into the bitmap. */
static void
audience_builder_load_held(AudienceBuilder *b)
{
	AudienceFlat *held = b->held;

	/* Forget it first: after an error it must not be loaded again. */
	b->held = NULL;
	audience_expanded_set_bitmap(b->value, audience_flat_load(held));
	b->mem.known = false;
	pfree(held);
}

/* Add the pending ids to the bitmap (which may be left lazy). */
static void
audience_builder_add_pending(AudienceBuilder *b)
{
	roaring_bitmap_t *bitmap;

	if (b->held != NULL)
		audience_builder_load_held(b);
	bitmap = b->value->bitmap;

	if (b->npending >= PENDING_MERGE_MIN)
	{
		/* Room to group the batch, as large as the queue (small groups stay small). */
		if (b->pending_scratch == NULL || b->scratch_cap < b->pending_cap)
		{
			if (b->pending_scratch != NULL)
				pfree(b->pending_scratch);
			b->pending_scratch = MemoryContextAlloc(b->queue.cxt, b->pending_cap * sizeof(uint32));
			b->scratch_cap = b->pending_cap;
		}
		audience_builder_reserve(b, audience_estimate_ids(b->pending, b->npending),
								 "adding ids to an audience");
		audience_merge_ids(bitmap, b->pending, b->pending_scratch, b->npending);
		b->lazy = true;
	}
	else if (b->npending > 0)
	{
		audience_builder_reserve(b, audience_estimate_ids(b->pending, b->npending),
								 "adding ids to an audience");
		roaring_bitmap_add_many(bitmap, b->npending, b->pending);
	}
	b->npending = 0;
}

/* Repair the cardinalities lazy unions left out. */
static void
audience_builder_repair(AudienceBuilder *b)
{
	if (b->lazy)
	{
		roaring_bitmap_repair_after_lazy(b->value->bitmap);
		b->lazy = false;
	}
}

/*
 * Decode a held set, add the pending ids, merge the queued inputs, and
 * repair lazy unions.  With keep_xor, queued XOR inputs stay queued: an
 * XOR about to join their batch needs everything else applied first (the
 * order of OR and XOR, and exact containers), not them.
 */
static void
audience_builder_settle(AudienceBuilder *b, bool keep_xor)
{
	audience_builder_add_pending(b);	/* decodes a held set first */
	if (!(keep_xor && b->queue.xor))
		audience_queue_flush(&b->queue, b->value->bitmap);
	audience_builder_repair(b);
}

/* The value's bitmap with every pending change applied, to read or change. */
roaring_bitmap_t *
audience_builder_bitmap(AudienceBuilder *b)
{
	audience_builder_settle(b, false);
	return b->value->bitmap;
}

/* Drop the pending changes and a held set. */
static void
audience_builder_drop_pending(AudienceBuilder *b)
{
	b->npending = 0;
	audience_queue_discard(&b->queue);
	if (b->held != NULL)
		pfree(b->held);
	b->held = NULL;
	b->lazy = false;
	b->mem.known = false;
}

/* Replace the set (ownership of bitmap passes here); pending changes are dropped. */
void
audience_builder_set_bitmap(AudienceBuilder *b, roaring_bitmap_t *bitmap)
{
	audience_builder_drop_pending(b);
	audience_expanded_set_bitmap(b->value, bitmap);
}

/* Make the set empty. */
void
audience_builder_clear(AudienceBuilder *b)
{
	audience_builder_drop_pending(b);
	roaring_bitmap_clear(b->value->bitmap);
	audience_builder_changed(b);
}

/*
 * Make the set a copy of a stored audience, kept stored: it is decoded
 * when first read.  audience_intersect_agg holds its first input so, and
 * an intersection found empty from the bytes never decodes it.
 */
void
audience_builder_hold(AudienceBuilder *b, Datum stored)
{
	MemoryContext old = MemoryContextSwitchTo(b->queue.cxt);
	AudienceFlat *flat = (AudienceFlat *) PG_DETOAST_DATUM_COPY(stored);

	MemoryContextSwitchTo(old);
	audience_header_check(flat);
	audience_builder_clear(b);
	b->held = flat;
}

/*
 * Make room in the queue of pending ids (audience_builder_add_id() in
 * audience_internal.h queues them): a longer queue, or a full one added to
 * the bitmap.
 */
void
audience_builder_make_room(AudienceBuilder *b)
{
	int			max = PENDING_MAX;

	if (b->pending_cap >= PENDING_MAX)
		max = Max(max, (int) Min((uint64) PENDING_SPREAD_MAX,
								 (uint64) audience_bitmap_containers(b->value->bitmap) *
								 PENDING_PER_CONTAINER));
	if (b->pending_cap < max)
	{
		int			cap = b->pending_cap == 0 ? PENDING_INITIAL : Min(b->pending_cap * 2, max);

		b->pending = b->pending == NULL ?
			MemoryContextAlloc(b->queue.cxt, cap * sizeof(uint32)) :
			repalloc(b->pending, cap * sizeof(uint32));
		b->pending_cap = cap;
	}
	else
		audience_builder_add_pending(b);
}

/* Add many ids at once. */
void
audience_builder_add_ids(AudienceBuilder *b, const uint32 *ids, int n)
{
	roaring_bitmap_t *bitmap = audience_builder_bitmap(b);

	audience_builder_reserve(b, audience_estimate_ids(ids, n), "adding ids to an audience");
	roaring_bitmap_add_many(bitmap, n, ids);
	audience_builder_changed(b);
}

/* Add the ids lo..hi (both included). */
void
audience_builder_add_range(AudienceBuilder *b, uint32 lo, uint32 hi)
{
	roaring_bitmap_t *bitmap = audience_builder_bitmap(b);

	/* Runs for the keys it covers, bitsets at worst for its ends. */
	audience_builder_reserve(b, ((hi >> 16) - (lo >> 16) + 1) *
							 (double) (AUDIENCE_CONTAINER_OVERHEAD + 8 +
									   AUDIENCE_CONTAINER_SLOT_BYTES) +
							 2.0 * AUDIENCE_BITSET_COST,
							 "audience input");
	roaring_bitmap_add_range_closed(bitmap, lo, hi);
	audience_builder_changed(b);
}

/* OR an audience into the value, now or in the next batch. */
void
audience_builder_union(AudienceBuilder *b, Datum input)
{
	roaring_bitmap_t *bitmap;
	Size		size;

	if (b->held != NULL)
		audience_builder_load_held(b);
	bitmap = b->value->bitmap;

	audience_builder_changed(b);
	/* Queued XOR inputs come first (OR and XOR do not commute). */
	if (b->queue.ninputs > 0 && b->queue.xor)
		audience_queue_flush(&b->queue, bitmap);
	b->lazy = true;
	if (audience_datum_is_expanded(input))
	{
		const roaring_bitmap_t *in = audience_settled_bitmap(audience_datum_expanded(input));

		/* Each container grows by at most the input's, or to a bitset. */
		audience_builder_reserve(b, Min((double) audience_bitmap_memory(in),
										(double) audience_bitmap_containers(in) *
										AUDIENCE_BITSET_COST),
								 "audience union");
		roaring_bitmap_lazy_or_inplace(bitmap, in, true);
		return;
	}
	size = toast_raw_datum_size(input);
	/* Decoded, the input takes about its own size (audience_estimate_load). */
	audience_builder_reserve(b, audience_estimate_load(size), "audience union");
	if (audience_queue_takes(size))
		audience_queue_push(&b->queue, bitmap, input, size, false);
	else
	{
		/* Small ones touch few containers; big ones are a batch of their own. */
		AudienceFlat *flat = (AudienceFlat *) PG_DETOAST_DATUM(input);

		audience_merge_flats(bitmap, &flat, 1, NULL);
		if ((Pointer) flat != DatumGetPointer(input))
			pfree(flat);
	}
}

/* The most an XOR with a stored input can grow a set by. */
static double
xor_growth(const AudienceFlat *flat)
{
	/* A container grows by the input's at most twice, or to a bitset. */
	return Min(2.0 * audience_estimate_load(AUDIENCE_PAYLOAD_SIZE(flat)),
			   (double) audience_flat_containers(flat) * AUDIENCE_BITSET_COST);
}

/*
 * XOR an audience into the value.  A stored input is XOR-ed in place
 * straight from its bytes: mid-sized ones are queued as for a union, and
 * XOR-ed in a container key at a time (audience_xor_flats), so the value
 * is walked once per batch instead of once per input.
 */
void
audience_builder_xor(AudienceBuilder *b, Datum input)
{
	roaring_bitmap_t *bitmap;
	Size		size;

	audience_builder_changed(b);
	audience_builder_settle(b, true);
	bitmap = b->value->bitmap;
	if (audience_datum_is_expanded(input))
	{
		const roaring_bitmap_t *in = audience_settled_bitmap(audience_datum_expanded(input));

		bitmap = audience_builder_bitmap(b);

		/*
		 * A new bitmap rather than roaring_bitmap_xor_inplace: CRoaring
		 * 0.2's in-place xor of run containers goes through bitsets, 10x
		 * slower (0.5 s a row for full-range inputs, deaf to a cancel).
		 * The result lives beside the value until it replaces it.
		 */
		audience_builder_reserve(b, audience_estimate_binary(bitmap, in, false), "audience_xor_agg");
		audience_builder_set_bitmap(b, roaring_bitmap_xor(bitmap, in));
		return;
	}
	size = toast_raw_datum_size(input);
	if (audience_queue_takes(size))
	{
		const AudienceFlat *queued = audience_queue_push(&b->queue, bitmap, input, size, true);

		audience_builder_reserve(b, xor_growth(queued), "audience_xor_agg");
	}
	else
	{
		AudienceFlat *flat = (AudienceFlat *) PG_DETOAST_DATUM(input);

		audience_builder_reserve(b, xor_growth(flat), "audience_xor_agg");
		audience_xor_flat(bitmap, flat);
		if ((Pointer) flat != DatumGetPointer(input))
			pfree(flat);
	}
}

/*
 * Settle the builder and detach it from its value, which it returns: a
 * plain value from then on.  The builder's memory is freed.
 */
AudienceExpanded *
audience_builder_finish(AudienceBuilder *b)
{
	AudienceExpanded *ea = b->value;

	audience_builder_settle(b, false);
	ea->builder = NULL;
	ea->hdr.eoh_methods = &audience_value_methods;
	if (b->pending != NULL)
		pfree(b->pending);
	if (b->pending_scratch != NULL)
		pfree(b->pending_scratch);
	if (b->queue.inputs != NULL)
		pfree(b->queue.inputs);
	if (b->queue.arena != NULL)
		pfree(b->queue.arena);
	if (b->queue.merge_scratch.buf != NULL)
		pfree(b->queue.merge_scratch.buf);
	Assert(b->held == NULL);
	pfree(b);
	return ea;
}

/* Flat size of a value being built: settled first. */
static Size
builder_get_flat_size(ExpandedObjectHeader *eohptr)
{
	AudienceExpanded *ea = (AudienceExpanded *) eohptr;

	audience_builder_settle(ea->builder, false);
	return audience_expanded_flat_size(ea);
}

static void
builder_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	AudienceExpanded *ea = (AudienceExpanded *) eohptr;

	audience_builder_settle(ea->builder, false);
	audience_expanded_flatten_into(ea, result, allocated_size);
}
