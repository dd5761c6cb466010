/*
 * audience_union.c
 *	  OR-ing audiences into an expanded audience, stored ones in batches.
 *
 * audience_union_agg and the combine function of every union aggregate call
 * audience_expanded_union() once per input.  OR-ing each input on its own
 * walks the whole state once per input; for a state spread over a wide id
 * range (a union over 100M ids is 12 MB of bitsets) that walk is bound by
 * memory bandwidth, and parallel workers only compete for it.  So stored
 * inputs are queued and merged INPUTS_MAX at a time, a container key at a
 * time (audience_roaring.c): each container of the state is then read and
 * written once per batch.
 *
 *	 - inputs below INPUT_QUEUE_MIN_BYTES are OR-ed at once (they touch few
 *	   containers, and queueing them would cost more than it saves);
 *	 - inputs of INPUT_DIRECT_MIN_BYTES or more (a parallel worker's partial
 *	   state, say) are a batch of their own, merged at once without a copy;
 *	 - the rest are copied into an arena owned by the state, fetched from
 *	   TOAST straight into it, and merged when INPUTS_MAX are queued, the
 *	   arena is full or they hold INPUTS_MAX_CONTAINERS containers.  The
 *	   arena and the merge's container table are allocated once and reused
 *	   by every batch: a parallel worker is a new process, and fresh memory
 *	   for every batch (page faults and zeroing) cost it more than the union.
 *
 * Every union leaves the bitmap lazy; it is repaired when next read.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/table.h"
#include "access/tableam.h"
#include "audience/audience.h"

#define INPUT_QUEUE_MIN_BYTES 8192
#define INPUT_DIRECT_MIN_BYTES (1024 * 1024)
#define INPUTS_MAX 64
#define ARENA_MIN_BYTES (4 * 1024 * 1024)
#define ARENA_BYTES (16 * 1024 * 1024)
#define INPUTS_MAX_CONTAINERS (256 * 1024)

/* Merge the queued inputs into the bitmap and empty the queue. */
void
audience_union_flush(AudienceExpanded *ea)
{
	int			n = ea->ninputs;

	if (n == 0)
		return;
	/* Forget the queue first: after an error it must not be merged again. */
	ea->ninputs = 0;
	ea->arena_used = 0;
	ea->inputs_containers = 0;
	if (ea->inputs_xor)
	{
		/* Exact cardinalities: the bitmap is not made lazy. */
		audience_xor_flats(ea->bitmap, ea->inputs, n, &ea->merge_scratch);
		return;
	}
	audience_merge_flats(ea->bitmap, ea->inputs, n, &ea->merge_scratch);
	ea->lazy = true;
}

/* VARATT_EXTERNAL_IS_COMPRESSED, without its signed/unsigned comparison. */
static bool
toast_is_compressed(const struct varatt_external *toast)
{
	return VARATT_EXTERNAL_GET_EXTSIZE(*toast) < (uint32) (toast->va_rawsize - VARHDRSZ);
}

/* dest has room for the size the TOAST pointer gave, and no more. */
static void
audience_toast_size_mismatch(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("stored audience is corrupted"),
			 errdetail("Its TOAST pointer and its data disagree on its size.")));
}

/*
 * Copy a stored audience of raw size rawsize into dest as a plain 4-byte
 * header varlena.  An uncompressed TOAST value is fetched straight into
 * dest; anything else is detoasted the usual way and copied.
 */
static void
audience_detoast_into(Datum d, struct varlena *dest, Size rawsize)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	struct varlena *flat;

	if (VARATT_IS_EXTERNAL_ONDISK(v))
	{
		struct varatt_external toast;

		VARATT_EXTERNAL_GET_POINTER(toast, v);
		if (!toast_is_compressed(&toast))
		{
			int32		attrsize = VARATT_EXTERNAL_GET_EXTSIZE(toast);
			Relation	toastrel;

			if ((Size) attrsize + VARHDRSZ != rawsize)
				audience_toast_size_mismatch();
			SET_VARSIZE(dest, attrsize + VARHDRSZ);
			toastrel = table_open(toast.va_toastrelid, AccessShareLock);
			table_relation_fetch_toast_slice(toastrel, toast.va_valueid, attrsize,
											 0, attrsize, dest);
			table_close(toastrel, AccessShareLock);
			return;
		}
	}
	flat = PG_DETOAST_DATUM(d);
	if (VARSIZE(flat) != rawsize)
		audience_toast_size_mismatch();
	memcpy(dest, flat, VARSIZE(flat));
	if (flat != v)
		pfree(flat);
}

/*
 * Replace the (empty) arena by one four times as big, with room for need
 * bytes, up to ARENA_BYTES.  It starts at ARENA_MIN_BYTES, so a union of a
 * few inputs (one group of many in a hash aggregate, say) does not take
 * 16 MB.
 */
static void
audience_union_grow_arena(AudienceExpanded *ea, Size need)
{
	Size		size = Min(Max(Max(ea->arena_size * 4, ARENA_MIN_BYTES), need), ARENA_BYTES);

	Assert(ea->arena_used == 0 && need <= ARENA_BYTES);
	if (ea->arena != NULL)
		pfree(ea->arena);
	ea->arena = MemoryContextAlloc(ea->hdr.eoh_context, size);
	ea->arena_size = size;
}

/*
 * Queue a stored audience of raw size size (INPUT_QUEUE_MIN_BYTES up to
 * INPUT_DIRECT_MIN_BYTES) to be OR-ed in (xor false) or XOR-ed in (xor
 * true) with the next batch.  A queue of the other operation is merged
 * first: OR and XOR do not commute.
 */
static void
audience_queue_stored(AudienceExpanded *ea, Datum input, Size size, bool xor)
{
	struct varlena *dest;
	AudienceFlat *flat;

	if (ea->ninputs > 0 && ea->inputs_xor != xor)
		audience_union_flush(ea);
	ea->inputs_xor = xor;
	if (ea->inputs == NULL)
	{
		ea->inputs = MemoryContextAlloc(ea->hdr.eoh_context, INPUTS_MAX * sizeof(AudienceFlat *));
		ea->merge_scratch.cxt = ea->hdr.eoh_context;
	}
	if (ea->ninputs == INPUTS_MAX)
		audience_union_flush(ea);
	else if (ea->arena_used + MAXALIGN(size) > ea->arena_size)
	{
		/* Full before INPUTS_MAX inputs: merge them, and take a bigger arena. */
		audience_union_flush(ea);
		if (ea->arena_size < ARENA_BYTES)
			audience_union_grow_arena(ea, MAXALIGN(size));
	}
	dest = (struct varlena *) (ea->arena + ea->arena_used);
	audience_detoast_into(input, dest, size);
	flat = (AudienceFlat *) dest;
	if (xor)
	{
		/* A container grows by the input's at most twice, or to a bitset. */
		audience_expanded_reserve(ea, Min(2.0 * audience_estimate_load(AUDIENCE_PAYLOAD_SIZE(flat)),
										  (double) audience_flat_containers(flat) *
										  AUDIENCE_BITSET_COST),
								  "audience_xor_agg");
	}
	ea->inputs[ea->ninputs++] = flat;
	ea->arena_used += MAXALIGN(size);
	/* Bound the batch's container table (and the scratch kept for it) too. */
	ea->inputs_containers += audience_flat_containers(flat);
	if (ea->inputs_containers >= INPUTS_MAX_CONTAINERS)
		audience_union_flush(ea);
}

/*
 * XOR a stored audience into this one, now or in the next batch: mid-sized
 * inputs are queued as for a union, and XOR-ed in a container key at a time
 * (audience_xor_flats), so the state is walked once per batch instead of
 * once per input.
 */
void
audience_expanded_xor_stored(AudienceExpanded *ea, Datum input)
{
	Size		size = toast_raw_datum_size(input);

	audience_expanded_changed(ea);
	if (size >= INPUT_QUEUE_MIN_BYTES && size < INPUT_DIRECT_MIN_BYTES)
	{
		audience_queue_stored(ea, input, size, true);
		return;
	}
	{
		/* Straight from the input's bytes, after everything queued. */
		roaring_bitmap_t *state = audience_expanded_bitmap(ea);
		AudienceFlat *flat = (AudienceFlat *) PG_DETOAST_DATUM(input);

		/* A container grows by the input's at most twice, or to a bitset. */
		audience_expanded_reserve(ea, Min(2.0 * audience_estimate_load(AUDIENCE_PAYLOAD_SIZE(flat)),
										  (double) audience_flat_containers(flat) *
										  AUDIENCE_BITSET_COST),
								  "audience_xor_agg");
		audience_xor_flat(state, flat);
		if ((Pointer) flat != DatumGetPointer(input))
			pfree(flat);
	}
}

/* OR an audience into this one, now or in the next batch. */
void
audience_expanded_union(AudienceExpanded *ea, Datum input)
{
	Size		size;

	audience_expanded_changed(ea);
	/* Queued XOR inputs come first (OR and XOR do not commute). */
	if (ea->ninputs > 0 && ea->inputs_xor)
		audience_union_flush(ea);
	if (audience_datum_is_expanded(input))
	{
		const roaring_bitmap_t *in = audience_datum_bitmap(input);

		/* Each container grows by at most the input's, or to a bitset. */
		audience_expanded_reserve(ea, Min((double) audience_bitmap_memory(in),
										  (double) audience_bitmap_containers(in) *
										  AUDIENCE_BITSET_COST),
								  "audience union");
		ea->lazy = true;
		roaring_bitmap_lazy_or_inplace(ea->bitmap, in, true);
		return;
	}
	size = toast_raw_datum_size(input);
	/* Decoded, the input takes about its own size (audience_estimate_load). */
	audience_expanded_reserve(ea, audience_estimate_load(size), "audience union");
	ea->lazy = true;
	if (size < INPUT_QUEUE_MIN_BYTES)
	{
		roaring_bitmap_lazy_or_inplace(ea->bitmap, audience_datum_bitmap(input), true);
		return;
	}
	if (size >= INPUT_DIRECT_MIN_BYTES)
	{
		AudienceFlat *flat = (AudienceFlat *) PG_DETOAST_DATUM(input);

		audience_merge_flats(ea->bitmap, &flat, 1, NULL);
		if ((Pointer) flat != DatumGetPointer(input))
			pfree(flat);
		return;
	}
	audience_queue_stored(ea, input, size, false);
}
