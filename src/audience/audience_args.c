/*
 * audience_args.c
 *	  An audience Datum as a readable set: the one place SQL functions turn
 *	  an argument into a bitmap, its stored bytes, a header or a count.
 *
 * An expanded argument is read in place (a value being built, which only
 * an aggregate's final function or Citus's output of a partial state hands
 * over, is settled first).  A stored argument is decoded once per query,
 * however often it is read; its header is read without the payload (from
 * the first TOAST chunk, or audience_header_cache.c).
 *
 * A query like `WHERE seg.members @> p.id` calls the operator once per
 * person with the same stored value.  Without help each call would fetch
 * every TOAST chunk and deserialise megabytes of bitmap.  Here each SQL
 * function call site (FmgrInfo) keeps, per argument position, the last
 * value it decoded, as an expanded audience in a context under fn_mcxt: it
 * is freed with the call site (end of query), or when the argument changes.
 *
 * A cached value is served only when the new argument is provably the same
 * value:
 *	 - an on-disk TOAST pointer is identified by its TOAST relation and value
 *	   OID (with its sizes as a further check).  A TOAST value is never
 *	   changed in place, and a new value never gets the OID of one still in
 *	   the TOAST index, dead or alive, so within a query the key cannot name
 *	   two different values;
 *	 - any other flat value (in memory, e.g. a constant or a value already
 *	   detoasted) is compared byte for byte with a private copy.  Pointers are
 *	   never trusted: memory is reused between rows.
 * Small in-memory values are decoded directly: that is cheaper than
 * comparing and copying.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "nodes/execnodes.h"
#include "audience/audience_internal.h"

#define AUDIENCE_CACHE_MAGIC 0x51594143	/* "QYAC" */
#define AUDIENCE_CACHE_SLOTS 4
#define AUDIENCE_CACHE_MIN_BYTES 4096

typedef enum AudienceCacheKind
{
	CACHE_EMPTY,
	CACHE_TOAST,				/* keyed by an on-disk TOAST pointer */
	CACHE_BYTES					/* keyed by a copy of the flat bytes */
} AudienceCacheKind;

typedef struct AudienceCacheSlot
{
	AudienceCacheKind kind;
	struct varatt_external toast;	/* key when kind == CACHE_TOAST */
	char	   *bytes;			/* key when kind == CACHE_BYTES */
	Size		len;
	AudienceExpanded *ea;		/* the decoded value, or NULL */
	AudienceFlat *flat;			/* the detoasted bytes (CACHE_TOAST), or NULL */
} AudienceCacheSlot;

typedef struct AudienceCache
{
	int			magic;
	AudienceCacheSlot slots[AUDIENCE_CACHE_SLOTS];
} AudienceCache;

/*
 * The cache of this call site, created on first use; NULL when fn_extra
 * already holds something else (then the caller decodes without caching).
 */
static AudienceCache *
audience_cache_get(FunctionCallInfo fcinfo)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	AudienceCache *cache;

	if (flinfo == NULL || flinfo->fn_mcxt == NULL)
		return NULL;
	/* A set-returning function owns fn_extra (SRF_IS_FIRSTCALL tests it). */
	if (fcinfo->resultinfo != NULL && IsA(fcinfo->resultinfo, ReturnSetInfo))
		return NULL;
	if (flinfo->fn_extra == NULL)
	{
		cache = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(AudienceCache));
		cache->magic = AUDIENCE_CACHE_MAGIC;
		flinfo->fn_extra = cache;
	}
	cache = (AudienceCache *) flinfo->fn_extra;
	return cache->magic == AUDIENCE_CACHE_MAGIC ? cache : NULL;
}

/* Does the slot hold the value of this datum? */
static bool
audience_cache_matches(const AudienceCacheSlot *slot, AudienceCacheKind kind,
					   const struct varatt_external *toast, const struct varlena *v)
{
	if (slot->kind != kind)
		return false;
	if (kind == CACHE_TOAST)
		return slot->toast.va_valueid == toast->va_valueid &&
			slot->toast.va_toastrelid == toast->va_toastrelid &&
			slot->toast.va_rawsize == toast->va_rawsize &&
			slot->toast.va_extinfo == toast->va_extinfo;
	return slot->len == VARSIZE_ANY(v) && memcmp(slot->bytes, v, slot->len) == 0;
}

/* Drop what the slot holds; the context callback frees the bitmap. */
static void
audience_cache_clear(AudienceCacheSlot *slot)
{
	slot->kind = CACHE_EMPTY;
	if (slot->ea != NULL)
		MemoryContextDelete(slot->ea->hdr.eoh_context);
	slot->ea = NULL;
	if (slot->flat != NULL)
		pfree(slot->flat);
	slot->flat = NULL;
	if (slot->bytes != NULL)
		pfree(slot->bytes);
	slot->bytes = NULL;
	slot->len = 0;
}

/* Decode the datum into the slot and record its key (last, once all worked). */
static void
audience_cache_fill(AudienceCacheSlot *slot, MemoryContext mcxt, Datum d,
					AudienceCacheKind kind, const struct varatt_external *toast)
{
	const struct varlena *v = (const struct varlena *) DatumGetPointer(d);

	audience_cache_clear(slot);
	slot->ea = audience_expanded_load(d, mcxt);
	if (kind == CACHE_BYTES)
	{
		slot->len = VARSIZE_ANY(v);
		slot->bytes = MemoryContextAlloc(mcxt, slot->len);
		memcpy(slot->bytes, v, slot->len);
	}
	else
		slot->toast = *toast;
	slot->kind = kind;
}

/*
 * A read-only bitmap for flat argument argno, decoded at most once per call
 * site while the argument keeps the same value.  Set-returning functions,
 * and functions that keep something else in fn_extra, decode every time.
 */
static const roaring_bitmap_t *
audience_cache_bitmap(FunctionCallInfo fcinfo, int argno)
{
	Datum		d = PG_GETARG_DATUM(argno);
	const struct varlena *v = (const struct varlena *) DatumGetPointer(d);
	struct varatt_external toast;
	AudienceCacheKind kind;
	AudienceCache *cache;
	AudienceCacheSlot *slot;

	memset(&toast, 0, sizeof(toast));
	if (VARATT_IS_EXTERNAL_ONDISK(v))
	{
		VARATT_EXTERNAL_GET_POINTER(toast, v);
		kind = CACHE_TOAST;
	}
	else if (!VARATT_IS_EXTERNAL(v) && VARSIZE_ANY(v) >= AUDIENCE_CACHE_MIN_BYTES)
		kind = CACHE_BYTES;
	else
		return audience_expanded_load(d, CurrentMemoryContext)->bitmap;

	cache = argno < AUDIENCE_CACHE_SLOTS ? audience_cache_get(fcinfo) : NULL;
	if (cache == NULL)
		return audience_expanded_load(d, CurrentMemoryContext)->bitmap;
	slot = &cache->slots[argno];
	if (slot->ea == NULL || !audience_cache_matches(slot, kind, &toast, v))
		audience_cache_fill(slot, fcinfo->flinfo->fn_mcxt, d, kind, &toast);
	return slot->ea->bitmap;
}

/*
 * The stored bytes (header checked, 4-byte varlena header) of flat argument
 * argno, for functions that read them without decoding.  A value in TOAST
 * is fetched at most once per call site while the argument keeps the same
 * value; anything else is detoasted, if needed, into the current context.
 */
const AudienceFlat *
audience_cache_flat(FunctionCallInfo fcinfo, int argno)
{
	Datum		d = PG_GETARG_DATUM(argno);
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	struct varatt_external toast;
	AudienceCache *cache;
	AudienceCacheSlot *slot;
	AudienceFlat *flat;

	Assert(!audience_datum_is_expanded(d));
	cache = VARATT_IS_EXTERNAL_ONDISK(v) && argno < AUDIENCE_CACHE_SLOTS ?
		audience_cache_get(fcinfo) : NULL;
	if (cache == NULL)
	{
		flat = (AudienceFlat *) PG_DETOAST_DATUM(d);
		audience_header_check(flat);
		return flat;
	}
	VARATT_EXTERNAL_GET_POINTER(toast, v);
	slot = &cache->slots[argno];
	if (slot->flat == NULL || !audience_cache_matches(slot, CACHE_TOAST, &toast, v))
	{
		MemoryContext old;

		audience_cache_clear(slot);
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		flat = (AudienceFlat *) detoast_attr(v);
		MemoryContextSwitchTo(old);
		audience_header_check(flat);
		slot->flat = flat;
		slot->toast = toast;
		slot->kind = CACHE_TOAST;
	}
	return slot->flat;
}

/*
 * For readers that can read argument argno from its TOAST chunks in place
 * (audience_count.c, audience_toast_read.c): true when it is an on-disk
 * TOAST value that this call site holds no copy of and did not meet on its
 * previous call.  The value is then remembered, so that a next call with it
 * fetches it whole and keeps it (audience_cache_flat): a value read once is
 * read in place, a value read call after call (the constant side of a join)
 * is fetched once.
 */
bool
audience_cache_read_in_place(FunctionCallInfo fcinfo, int argno)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	struct varatt_external toast;
	AudienceCache *cache;
	AudienceCacheSlot *slot;

	if (!VARATT_IS_EXTERNAL_ONDISK(v))
		return false;
	cache = argno < AUDIENCE_CACHE_SLOTS ? audience_cache_get(fcinfo) : NULL;
	if (cache == NULL)
		return true;
	VARATT_EXTERNAL_GET_POINTER(toast, v);
	slot = &cache->slots[argno];
	if (audience_cache_matches(slot, CACHE_TOAST, &toast, v))
		return false;
	audience_cache_clear(slot);
	slot->toast = toast;
	slot->kind = CACHE_TOAST;
	return true;
}

/*
 * A read-only bitmap for a datum.  A flat datum is expanded into the
 * current memory context, whose reset frees it.
 */
const roaring_bitmap_t *
audience_datum_bitmap(Datum d)
{
	if (audience_datum_is_expanded(d))
		return audience_settled_bitmap(audience_datum_expanded(d));
	return audience_expanded_load(d, CurrentMemoryContext)->bitmap;
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
		return audience_settled_bitmap(audience_datum_expanded(d));
	return audience_cache_bitmap(fcinfo, argno);
}

/* A new expanded audience under parent holding a copy of the datum's set. */
AudienceExpanded *
audience_expand(Datum d, MemoryContext parent)
{
	AudienceExpanded *ea;
	const roaring_bitmap_t *bitmap;

	if (!audience_datum_is_expanded(d))
		return audience_expanded_load(d, parent);
	bitmap = audience_settled_bitmap(audience_datum_expanded(d));
	audience_memory_check(audience_bitmap_memory(bitmap), "copying an audience");
	ea = audience_expanded_new(parent);
	audience_expanded_set_bitmap(ea, roaring_bitmap_copy(bitmap));
	return ea;
}

/*
 * The header of an audience datum, reading only the first bytes of a
 * toasted value (or none: audience_header_cache.c).  For an expanded value
 * the header is computed into *copy.
 */
const AudienceFlat *
audience_datum_header(Datum d, AudienceFlat *copy)
{
	const AudienceFlat *flat;

	if (audience_datum_is_expanded(d))
	{
		const roaring_bitmap_t *bitmap = audience_datum_bitmap(d);

		memset(copy, 0, AUDIENCE_HEADER_SIZE);
		copy->version = AUDIENCE_FORMAT_VERSION;
		copy->cardinality = roaring_bitmap_get_cardinality(bitmap);
		if (copy->cardinality > 0)
		{
			copy->min_id = roaring_bitmap_minimum(bitmap);
			copy->max_id = roaring_bitmap_maximum(bitmap);
		}
		SET_VARSIZE(copy, AUDIENCE_HEADER_SIZE);
		return copy;
	}
	if (VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(d)))
	{
		audience_toasted_header((const struct varlena *) DatumGetPointer(d), copy);
		return copy;
	}
	flat = (const AudienceFlat *) PG_DETOAST_DATUM_SLICE(d, 0, AUDIENCE_HEADER_SIZE - VARHDRSZ);
	if (VARSIZE(flat) < AUDIENCE_HEADER_SIZE)
		audience_header_check(flat);
	memcpy(copy, flat, AUDIENCE_HEADER_SIZE);
	SET_VARSIZE(copy, AUDIENCE_HEADER_SIZE);
	audience_header_check(copy);
	return copy;
}

/* Cardinality from the header alone. */
uint64
audience_datum_cardinality(Datum d)
{
	AudienceFlat header;

	return audience_datum_header(d, &header)->cardinality;
}
