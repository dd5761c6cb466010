/*
 * audience.h
 *	  The audience type: a compressed set of person ids.
 *
 * Stored (flat) form, specified in doc/storage.md:
 *
 *	 offset  size  field
 *	 0       4     varlena length word
 *	 4       1     format version (AUDIENCE_FORMAT_VERSION)
 *	 5       1     flags, reserved for future use, always 0
 *	 6       2     reserved, always 0
 *	 8       8     cardinality
 *	 16      4     smallest id (0 when empty)
 *	 20      4     largest id (0 when empty)
 *	 24      ...   the set in the CRoaring portable format
 *
 * The header lets cardinality, min and max be read without touching the
 * payload; with storage EXTERNAL they are read from the first TOAST chunk.
 *
 * In memory, functions work on an expanded object (AudienceExpanded) that
 * holds a live CRoaring bitmap.  Debian's CRoaring allocates with malloc,
 * so every bitmap is owned by an expanded object whose memory context frees
 * it through a reset callback: an error anywhere still releases it.
 */
#ifndef QUANYU_AUDIENCE_H
#define QUANYU_AUDIENCE_H

#include "postgres.h"

#include <roaring/roaring.h>

#include "fmgr.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

#define AUDIENCE_FORMAT_VERSION 1

typedef struct AudienceFlat
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;
	uint8		flags;
	uint16		reserved;
	uint64		cardinality;
	uint32		min_id;
	uint32		max_id;
	char		payload[FLEXIBLE_ARRAY_MEMBER];
} AudienceFlat;

#define AUDIENCE_HEADER_SIZE offsetof(AudienceFlat, payload)
#define AUDIENCE_PAYLOAD_SIZE(flat) (VARSIZE(flat) - AUDIENCE_HEADER_SIZE)

/*
 * Memory a caller keeps for audience_merge_flats() from one batch to the
 * next: fresh memory costs a page fault per 4 kB, which a new parallel
 * worker would otherwise pay again on every batch.
 */
typedef struct AudienceMergeScratch
{
	MemoryContext cxt;			/* where buf lives */
	char	   *buf;
	Size		size;
} AudienceMergeScratch;

/* Distinguishes our expanded objects from any other type's. */
#define AUDIENCE_EXPANDED_MAGIC 0x51594155	/* "QYAU" */

typedef struct AudienceExpanded
{
	ExpandedObjectHeader hdr;
	int			magic;
	roaring_bitmap_t *bitmap;	/* the set; NULL only while being built */
	uint32	   *pending;		/* ids waiting to be added in one batch */
	uint32	   *pending_scratch;	/* room to group the batch by container */
	int			scratch_cap;
	int			npending;
	int			pending_cap;
	AudienceFlat **inputs;		/* stored audiences waiting to be merged in */
	int			ninputs;
	bool		inputs_xor;		/* they are to be XOR-ed in, not OR-ed */
	char	   *arena;			/* holds the inputs (audience_union.c) */
	Size		arena_used;
	Size		arena_size;
	uint32		inputs_containers;	/* containers in the queued inputs */
	AudienceMergeScratch merge_scratch;
	bool		lazy;			/* bitmap holds unrepaired lazy-OR results */
	Size		flat_size;		/* cached flat size; 0 when unknown */
	bool		mem_known;		/* mem_bound is valid */
	double		mem_bound;		/* upper bound of the bitmap's memory */
	double		probe_at;		/* mem_bound at which to probe malloc again */
} AudienceExpanded;

/* audience_expanded.c: life cycle and access */
extern AudienceExpanded *audience_expanded_new(MemoryContext parent);
extern AudienceExpanded *audience_agg_state_new(MemoryContext aggcontext);
extern AudienceExpanded *audience_expand(Datum d, MemoryContext parent);
extern void audience_expanded_copy_from(AudienceExpanded *ea, Datum d);
extern void audience_expanded_set_bitmap(AudienceExpanded *ea, roaring_bitmap_t *bitmap);
extern roaring_bitmap_t *audience_expanded_bitmap(AudienceExpanded *ea);
extern void audience_expanded_changed(AudienceExpanded *ea);
extern void audience_expanded_add_ids(AudienceExpanded *ea, const uint32 *ids, int n);
extern void audience_expanded_make_room(AudienceExpanded *ea);

/* audience_union.c: unions into an expanded audience, stored inputs in batches */
extern void audience_expanded_union(AudienceExpanded *ea, Datum input);
extern void audience_expanded_xor_stored(AudienceExpanded *ea, Datum input);
extern void audience_union_flush(AudienceExpanded *ea);
extern const roaring_bitmap_t *audience_datum_bitmap(Datum d);
extern const roaring_bitmap_t *audience_arg_bitmap(FunctionCallInfo fcinfo, int argno);

/* audience_format.c: the stored format */
extern bool audience_portable_check(const char *buf, Size len, const char **detail);
extern roaring_bitmap_t *audience_portable_load(const char *buf, Size len, int sqlerrcode);
extern double audience_estimate_load(Size len);
extern Size audience_flat_size(const roaring_bitmap_t *bitmap);
extern void audience_flat_write(const roaring_bitmap_t *bitmap, AudienceFlat *flat, Size size);
extern AudienceFlat *audience_flatten(const roaring_bitmap_t *bitmap);
extern roaring_bitmap_t *audience_flat_load(const AudienceFlat *flat);
extern void audience_header_check(const AudienceFlat *flat);
extern const AudienceFlat *audience_datum_header(Datum d, AudienceFlat *copy);
extern uint64 audience_datum_cardinality(Datum d);

/* audience_header_cache.c: headers of TOASTed values, across statements */
extern void audience_toasted_header(const struct varlena *v, AudienceFlat *header);
extern void audience_check_alloc(const void *ptr);

/*
 * audience_roaring.c (or, built with QY_ROARING_PUBLIC_API=1,
 * audience_roaring_public.c): batched, container-at-a-time changes (bitmap
 * left lazy by the merges), and container-level reads.
 */
extern void audience_merge_ids(roaring_bitmap_t *bitmap, const uint32 *ids, uint32 *scratch, int n);
extern void audience_merge_flats(roaring_bitmap_t *bitmap, AudienceFlat *const *flats, int n,
								 AudienceMergeScratch *scratch);
extern uint32 audience_flat_containers(const AudienceFlat *flat);
extern void audience_xor_flat(roaring_bitmap_t *bitmap, const AudienceFlat *flat);
extern void audience_xor_flats(roaring_bitmap_t *bitmap, AudienceFlat *const *flats, int n,
							  AudienceMergeScratch *scratch);
extern roaring_bitmap_t *audience_flat_load_keys(const AudienceFlat *flat, const roaring_bitmap_t *keys);

/*
 * Container-level reads (audience_roaring.c) and the memory bound
 * (quanyu.max_audience_memory, audience_measure.c).  Costs in bytes, see
 * audience_measure.c.
 */
/* Containers of each kind, their ids and serialised bytes (audience_stats). */
#define AUDIENCE_KIND_ARRAY 0
#define AUDIENCE_KIND_BITSET 1
#define AUDIENCE_KIND_RUN 2
typedef struct AudienceStats
{
	int32		containers[3];
	int64		ids[3];
	int64		bytes[3];
} AudienceStats;

#define AUDIENCE_CONTAINER_OVERHEAD 80
#define AUDIENCE_CONTAINER_SLOT_BYTES 11
#define AUDIENCE_BITSET_COST (8192 + AUDIENCE_CONTAINER_OVERHEAD)
/* Growth of a set between two checks that malloc can still get that much. */
#define AUDIENCE_PROBE_BYTES (16.0 * 1024 * 1024)
/* Most ids an expanded audience queues before adding them. */
#define AUDIENCE_PENDING_MAX 65536
#define AUDIENCE_MAX_MEMORY_DEFAULT_KB (1024 * 1024)
extern int	audience_max_memory_kb;
extern bool audience_first_difference(const roaring_bitmap_t *a, const roaring_bitmap_t *b,
									  uint32 *diff, bool *in_a);
extern uint32 audience_bitmap_containers(const roaring_bitmap_t *bitmap);
extern Size audience_bitmap_memory(const roaring_bitmap_t *bitmap);
extern void audience_bitmap_statistics(const roaring_bitmap_t *bitmap, AudienceStats *st);
extern double audience_estimate_parts(const roaring_bitmap_t *bitmap, double fraction,
									  uint32 nparts);
extern double audience_estimate_ids(const uint32 *ids, int n);
extern double audience_container_estimate(double n);
extern double audience_estimate_binary(const roaring_bitmap_t *a, const roaring_bitmap_t *b,
									   bool intersection);
extern void audience_memory_check(double estimate, const char *what);
extern void audience_memory_probe(double bytes, const char *what);
extern void audience_expanded_reserve(AudienceExpanded *ea, double growth, const char *what);

/* audience_agg.c: the state of audience-valued aggregates */
extern MemoryContext audience_agg_context(FunctionCallInfo fcinfo);
extern AudienceExpanded *audience_agg_state(FunctionCallInfo fcinfo);

/* audience_io.c */
extern void audience_define_gucs(void);
extern Datum audience_send(PG_FUNCTION_ARGS);

/* Is this datum one of our expanded objects (read-only or read-write)? */
static inline bool
audience_datum_is_expanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d));
}

/* The expanded object behind an expanded datum (inline: every row of an aggregate asks). */
static inline AudienceExpanded *
audience_datum_expanded(Datum d)
{
	varatt_expanded ptr;
	AudienceExpanded *ea;

	/* DatumGetEOHP(), without the call */
	memcpy(&ptr, VARDATA_EXTERNAL(DatumGetPointer(d)), sizeof(ptr));
	ea = (AudienceExpanded *) ptr.eohptr;

	if (unlikely(ea->magic != AUDIENCE_EXPANDED_MAGIC))
		elog(ERROR, "expanded datum is not an audience");
	return ea;
}

/* Queue one id; queued ids are added to the bitmap in batches. */
static inline void
audience_expanded_add_id(AudienceExpanded *ea, uint32 id)
{
	/* Queued XOR inputs come first (OR and XOR do not commute). */
	if (unlikely(ea->ninputs > 0 && ea->inputs_xor))
		audience_union_flush(ea);
	if (unlikely(ea->npending >= ea->pending_cap))
		audience_expanded_make_room(ea);
	ea->pending[ea->npending++] = id;
	ea->flat_size = 0;
}

/* Return a new set built in an expanded object. */
#define PG_RETURN_AUDIENCE(ea) PG_RETURN_DATUM(EOHPGetRWDatum(&(ea)->hdr))
#define PG_GETARG_AUDIENCE_BITMAP(n) audience_arg_bitmap(fcinfo, (n))

#endif							/* QUANYU_AUDIENCE_H */
