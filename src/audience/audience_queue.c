/*
 * audience_queue.c
 *	  Stored audiences queued to be OR-ed (or XOR-ed) into a bitmap in
 *	  batches, a container key at a time.
 *
 * OR-ing each input on its own walks the whole target once per input; for
 * a target spread over a wide id range (a union over 100M ids is 12 MB of
 * bitsets) that walk is bound by memory bandwidth, and parallel workers
 * only compete for it.  So the builder (audience_builder.c) queues
 * mid-sized stored inputs here, and they are merged INPUTS_MAX at a time
 * (audience_roaring.c): each container of the target is then read and
 * written once per batch.
 *
 *	 - inputs below INPUT_QUEUE_MIN_BYTES are not queued (they touch few
 *	   containers, and queueing them would cost more than it saves);
 *	 - inputs of INPUT_DIRECT_MIN_BYTES or more (a parallel worker's partial
 *	   state, say) are not queued either: they are a batch of their own,
 *	   merged at once without a copy;
 *	 - the rest are copied into an arena owned by the queue, fetched from
 *	   TOAST straight into it, and merged when INPUTS_MAX are queued, the
 *	   arena is full or they hold INPUTS_MAX_CONTAINERS containers.  The
 *	   arena and the merge's container table are allocated once and reused
 *	   by every batch: a parallel worker is a new process, and fresh memory
 *	   for every batch (page faults and zeroing) cost it more than the union.
 *
 * An OR batch leaves the target lazy (the builder repairs it when read); an
 * XOR batch keeps exact cardinalities.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/table.h"
#include "access/tableam.h"
#include "audience/audience_internal.h"

#define INPUT_QUEUE_MIN_BYTES 8192
#define INPUT_DIRECT_MIN_BYTES (1024 * 1024)
#define INPUTS_MAX 64
#define ARENA_MIN_BYTES (4 * 1024 * 1024)
#define ARENA_BYTES (16 * 1024 * 1024)
#define INPUTS_MAX_CONTAINERS (256 * 1024)

/* Is a stored input of raw size size one to queue? */
bool
audience_queue_takes(Size size)
{
	return size >= INPUT_QUEUE_MIN_BYTES && size < INPUT_DIRECT_MIN_BYTES;
}

/* Forget the queued inputs (the arena and the table stay for the next batch). */
void
audience_queue_discard(AudienceInputQueue *q)
{
	q->ninputs = 0;
	q->arena_used = 0;
	q->containers = 0;
}

/* Merge the queued inputs into bitmap and empty the queue. */
void
audience_queue_flush(AudienceInputQueue *q, roaring_bitmap_t *bitmap)
{
	int			n = q->ninputs;

	if (n == 0)
		return;
	/* Forget the queue first: after an error it must not be merged again. */
	audience_queue_discard(q);
	if (q->xor)
		audience_xor_flats(bitmap, q->inputs, n, &q->merge_scratch);
	else
		audience_merge_flats(bitmap, q->inputs, n, &q->merge_scratch);
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
audience_queue_grow_arena(AudienceInputQueue *q, Size need)
{
	Size		size = Min(Max(Max(q->arena_size * 4, ARENA_MIN_BYTES), need), ARENA_BYTES);

	Assert(q->arena_used == 0 && need <= ARENA_BYTES);
	if (q->arena != NULL)
		pfree(q->arena);
	q->arena = MemoryContextAlloc(q->cxt, size);
	q->arena_size = size;
}

/*
 * Queue a stored audience of raw size size (audience_queue_takes) to be
 * OR-ed in (xor false) or XOR-ed in (xor true) with the next batch, and
 * return its queued copy.  A full queue, or one of the other operation
 * (OR and XOR do not commute), is merged into bitmap first.
 */
const AudienceFlat *
audience_queue_push(AudienceInputQueue *q, roaring_bitmap_t *bitmap, Datum input, Size size,
					bool xor)
{
	struct varlena *dest;
	AudienceFlat *flat;

	Assert(audience_queue_takes(size));
	if (q->ninputs > 0 && (q->xor != xor || q->ninputs == INPUTS_MAX ||
						   q->containers >= INPUTS_MAX_CONTAINERS))
		audience_queue_flush(q, bitmap);
	q->xor = xor;
	if (q->inputs == NULL)
	{
		q->inputs = MemoryContextAlloc(q->cxt, INPUTS_MAX * sizeof(AudienceFlat *));
		q->merge_scratch.cxt = q->cxt;
	}
	if (q->arena_used + MAXALIGN(size) > q->arena_size)
	{
		/* Full before INPUTS_MAX inputs: merge them, and take a bigger arena. */
		audience_queue_flush(q, bitmap);
		if (q->arena_size < ARENA_BYTES)
			audience_queue_grow_arena(q, MAXALIGN(size));
	}
	dest = (struct varlena *) (q->arena + q->arena_used);
	audience_detoast_into(input, dest, size);
	flat = (AudienceFlat *) dest;
	q->inputs[q->ninputs++] = flat;
	q->arena_used += MAXALIGN(size);
	/* Bound the batch's container table (and the scratch kept for it) too. */
	q->containers += audience_flat_containers(flat);
	return flat;
}
