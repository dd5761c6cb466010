/*
 * audience_internal.h
 *	  The audience type inside src/audience: a straight stack from stored
 *	  bytes to SQL, each layer calling only the ones below it.
 *
 *	 bytes     audience_measure.c (memory limits and estimates),
 *	           audience_bytes.c (the one reader of the portable format),
 *	           audience_format.c (header, validation, flat form),
 *	           audience_header_cache.c (headers of TOASTed values),
 *	           audience_toast_read.c (a TOASTed value's chunks read in place)
 *	 bitmap    audience_roaring.c (all CRoaring 0.2 internals, or
 *	           audience_roaring_public.c)
 *	 value     audience_value.c (the expanded object: header, bitmap, flat size)
 *	 builder   audience_queue.c (stored inputs queued for a batched merge),
 *	           audience_builder.c (ids and inputs batched into a value being
 *	           built: an aggregate's state, text input, casts, sampling)
 *	 arguments audience_args.c (a Datum as a readable set, decoded once per
 *	           call site)
 *	 SQL       audience_io.c, audience_agg.c, audience_ops.c, ... (one concern each)
 *
 * doc/development.md draws it.  Other modules see only audience.h.
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
 */
#ifndef QUANYU_AUDIENCE_INTERNAL_H
#define QUANYU_AUDIENCE_INTERNAL_H

#include <math.h>

#include "audience/audience.h"
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

/* ---- bytes: audience_format.c, audience_header_cache.c ---- */
extern bool audience_portable_check(const char *buf, Size len, const char **detail);
extern double audience_estimate_load(Size len);
extern Size audience_flat_size(const roaring_bitmap_t *bitmap);
extern void audience_flat_write(const roaring_bitmap_t *bitmap, AudienceFlat *flat, Size size);
extern roaring_bitmap_t *audience_flat_load(const AudienceFlat *flat);
extern void audience_header_check(const AudienceFlat *flat);
extern uint32 audience_flat_containers(const AudienceFlat *flat);
extern void audience_check_alloc(const void *ptr);
extern void audience_toasted_header(const struct varlena *v, AudienceFlat *header);

/* ---- bytes: audience_measure.c (what the other layers may take) ---- */

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

/* Costs in bytes, see audience_measure.c. */
#define AUDIENCE_CONTAINER_OVERHEAD 80
#define AUDIENCE_CONTAINER_SLOT_BYTES 11
#define AUDIENCE_BITSET_COST (8192 + AUDIENCE_CONTAINER_OVERHEAD)
/* Growth of a set between two checks that malloc can still get that much. */
#define AUDIENCE_PROBE_BYTES (16.0 * 1024 * 1024)
/* Most ids a builder queues before adding them (more for a spread set). */
#define AUDIENCE_PENDING_MAX 65536
#define AUDIENCE_MAX_MEMORY_DEFAULT_KB (1024 * 1024)
extern int	audience_max_memory_kb;
extern double audience_estimate_ids(const uint32 *ids, int n);
extern void audience_memory_check(double estimate, const char *what);
extern void audience_memory_probe(double bytes, const char *what);

/* The memory of a container holding about n ids built id by id. */
static inline double
audience_container_estimate(double n)
{
	return Min((double) AUDIENCE_BITSET_COST, AUDIENCE_CONTAINER_OVERHEAD + 4.0 * ceil(n));
}

/*
 * ---- bitmap: audience_roaring.c (or, built with QY_ROARING_PUBLIC_API=1,
 * audience_roaring_public.c): batched, container-at-a-time changes (the
 * bitmap left lazy by the merges), container-level reads and measures ----
 */

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

extern void audience_merge_ids(roaring_bitmap_t *bitmap, const uint32 *ids, uint32 *scratch, int n);
extern void audience_merge_flats(roaring_bitmap_t *bitmap, AudienceFlat *const *flats, int n,
								 AudienceMergeScratch *scratch);
extern void audience_xor_flat(roaring_bitmap_t *bitmap, const AudienceFlat *flat);
extern void audience_xor_flats(roaring_bitmap_t *bitmap, AudienceFlat *const *flats, int n,
							  AudienceMergeScratch *scratch);
extern roaring_bitmap_t *audience_flat_load_keys(const AudienceFlat *flat, const roaring_bitmap_t *keys);
extern bool audience_first_difference(const roaring_bitmap_t *a, const roaring_bitmap_t *b,
									  uint32 *diff, bool *in_a);
extern uint32 audience_bitmap_containers(const roaring_bitmap_t *bitmap);
extern Size audience_bitmap_memory(const roaring_bitmap_t *bitmap);
extern void audience_bitmap_statistics(const roaring_bitmap_t *bitmap, AudienceStats *st);
extern double audience_estimate_parts(const roaring_bitmap_t *bitmap, double fraction,
									  uint32 nparts);

/*
 * The memory the result of a binary operation may take.  Each container of
 * the result is at most a bitset, and at most its inputs' containers of
 * the same key together (a run cut by another run may keep runs of both);
 * an intersection has a container only for keys both inputs have.
 */
static inline double
audience_estimate_binary(const roaring_bitmap_t *a, const roaring_bitmap_t *b, bool intersection)
{
	double		ma = audience_bitmap_memory(a);
	double		mb = audience_bitmap_memory(b);
	double		ka = audience_bitmap_containers(a);
	double		kb = audience_bitmap_containers(b);

	if (intersection)
		return Min(ma + mb, Min(ka, kb) * AUDIENCE_BITSET_COST);
	return Min(ma + 2.0 * mb, (ka + kb) * AUDIENCE_BITSET_COST);
}

/* ---- value: audience_value.c ---- */

/* Distinguishes our expanded objects from any other type's. */
#define AUDIENCE_EXPANDED_MAGIC 0x51594155	/* "QYAU" */

typedef struct AudienceBuilder AudienceBuilder;

/*
 * An audience in memory: a live CRoaring bitmap in PostgreSQL's
 * expanded-object framework.  Its memory context's reset callback frees
 * the bitmap.  A value being built (an aggregate's state) also has a
 * builder holding changes not yet in the bitmap; only the builder's
 * functions see those (audience_builder.c), and a value with a builder is
 * read through the arguments layer, which settles it first.
 */
struct AudienceExpanded
{
	ExpandedObjectHeader hdr;
	int			magic;
	roaring_bitmap_t *bitmap;	/* the set */
	Size		flat_size;		/* cached flat size; 0 when unknown */
	AudienceBuilder *builder;	/* pending changes, or NULL */
};

extern const ExpandedObjectMethods audience_value_methods;
extern AudienceExpanded *audience_expanded_create(MemoryContext cxt,
												  const ExpandedObjectMethods *methods);
extern AudienceExpanded *audience_expanded_load(Datum flat, MemoryContext parent);
extern roaring_bitmap_t *audience_expanded_take_bitmap(AudienceExpanded *ea);
extern Size audience_expanded_flat_size(AudienceExpanded *ea);
extern void audience_expanded_flatten_into(AudienceExpanded *ea, void *result, Size size);
extern struct varlena *audience_expanded_flat_copy(AudienceExpanded *ea);

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

/* ---- builder: audience_queue.c ---- */

/*
 * Stored audiences waiting to be OR-ed (or XOR-ed) into a bitmap in one
 * batch, a container key at a time; see audience_queue.c.
 */
typedef struct AudienceInputQueue
{
	MemoryContext cxt;			/* where the arena and the table live */
	AudienceFlat **inputs;
	int			ninputs;
	bool		xor;			/* they are to be XOR-ed in, not OR-ed */
	char	   *arena;			/* holds the inputs */
	Size		arena_used;
	Size		arena_size;
	uint32		containers;		/* containers in the queued inputs */
	AudienceMergeScratch merge_scratch;
} AudienceInputQueue;

extern bool audience_queue_takes(Size size);
extern const AudienceFlat *audience_queue_push(AudienceInputQueue *q, roaring_bitmap_t *bitmap,
											   Datum input, Size size, bool xor);
extern void audience_queue_flush(AudienceInputQueue *q, roaring_bitmap_t *bitmap);
extern void audience_queue_discard(AudienceInputQueue *q);

/* ---- builder: audience_builder.c ---- */

/* A running upper bound of a bitmap's memory (quanyu.max_audience_memory). */
typedef struct AudienceMemBound
{
	bool		known;			/* bound is valid */
	double		bound;			/* upper bound of the bitmap's memory */
	double		probe_at;		/* bound at which to probe malloc again */
} AudienceMemBound;

struct AudienceBuilder
{
	AudienceExpanded *value;	/* the set being built */
	uint32	   *pending;		/* ids waiting to be added in one batch */
	uint32	   *pending_scratch;	/* room to group the batch by container */
	int			npending;
	int			pending_cap;
	int			scratch_cap;
	AudienceInputQueue queue;	/* stored inputs waiting to be merged in */
	AudienceFlat *held;			/* the whole set, still stored (not decoded), or NULL */
	bool		lazy;			/* bitmap holds unrepaired lazy-OR results */
	AudienceMemBound mem;
};

extern AudienceBuilder *audience_builder_new(MemoryContext parent);
extern AudienceBuilder *audience_agg_builder_new(MemoryContext aggcontext);
extern void audience_builder_make_room(AudienceBuilder *b);
extern void audience_builder_add_ids(AudienceBuilder *b, const uint32 *ids, int n);
extern void audience_builder_add_range(AudienceBuilder *b, uint32 lo, uint32 hi);
extern void audience_builder_union(AudienceBuilder *b, Datum input);
extern void audience_builder_xor(AudienceBuilder *b, Datum input);
extern roaring_bitmap_t *audience_builder_bitmap(AudienceBuilder *b);
extern void audience_builder_set_bitmap(AudienceBuilder *b, roaring_bitmap_t *bitmap);
extern void audience_builder_hold(AudienceBuilder *b, Datum stored);
extern void audience_builder_clear(AudienceBuilder *b);
extern void audience_builder_reserve(AudienceBuilder *b, double growth, const char *what);
extern void audience_builder_changed(AudienceBuilder *b);
extern AudienceExpanded *audience_builder_finish(AudienceBuilder *b);

/* Queue one id; queued ids are added to the bitmap in batches. */
static inline void
audience_builder_add_id(AudienceBuilder *b, uint32 id)
{
	/* Queued XOR inputs come first (OR and XOR do not commute). */
	if (unlikely(b->queue.ninputs > 0 && b->queue.xor))
		(void) audience_builder_bitmap(b);
	if (unlikely(b->npending >= b->pending_cap))
		audience_builder_make_room(b);
	b->pending[b->npending++] = id;
	b->value->flat_size = 0;
}

/*
 * The bitmap of any expanded audience: a plain value's, or a value being
 * built with its builder settled.
 */
static inline const roaring_bitmap_t *
audience_settled_bitmap(AudienceExpanded *ea)
{
	if (unlikely(ea->builder != NULL))
		return audience_builder_bitmap(ea->builder);
	return ea->bitmap;
}

/* ---- arguments: audience_args.c ---- */
extern const AudienceFlat *audience_cache_flat(FunctionCallInfo fcinfo, int argno);
extern bool audience_cache_read_in_place(FunctionCallInfo fcinfo, int argno);
extern const AudienceFlat *audience_datum_header(Datum d, AudienceFlat *copy);

/* ---- SQL functions sharing a helper ---- */

/* audience_count.c: counts and containment straight from stored bytes */
extern bool audience_count_from_bytes;
extern bool audience_pair_from_bytes(FunctionCallInfo fcinfo, int arg_a, bool subset_test, uint64 *result,
									 uint64 *card_a, uint64 *card_b);

/* audience_probe.c: membership read straight from flat bytes */
extern bool audience_portable_probe(const char *buf, Size len, uint32 id, bool *found);
extern bool audience_flat_probe(const struct varlena *v, uint32 id, bool *found);

/* audience_sample.c: the stable per-person hash of sampling and splits */
extern uint64 audience_id_hash(uint32 id, uint64 seed);

/* audience_agg.c: the state of audience-valued aggregates */
extern MemoryContext audience_agg_context(FunctionCallInfo fcinfo);

/* audience_io.c */
extern Datum audience_send(PG_FUNCTION_ARGS);

#endif							/* QUANYU_AUDIENCE_INTERNAL_H */
