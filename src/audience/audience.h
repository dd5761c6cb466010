/*
 * audience.h
 *	  The audience type as the other modules (identity/, metrics/,
 *	  activation/, segment/) may use it: read an audience argument as a
 *	  CRoaring bitmap, and return a new audience.
 *
 * Like pgvector's vector.h, this is the whole public surface: the stored
 * format, the expanded object's fields and the aggregate builder are
 * src/audience's own (audience_internal.h).  An AudienceExpanded is opaque
 * here; it owns its malloc'd CRoaring bitmap and frees it with its memory
 * context, on every path, errors included.
 */
#ifndef QUANYU_AUDIENCE_H
#define QUANYU_AUDIENCE_H

#include "postgres.h"

#include <roaring/roaring.h>

#include "fmgr.h"

typedef struct AudienceExpanded AudienceExpanded;

/*
 * Reading.  The bitmap is read-only and lives as long as the argument (a
 * stored argument is decoded once per call site, audience_cache.c) or, for
 * audience_datum_bitmap of a stored value, as long as the current context.
 */
extern const roaring_bitmap_t *audience_arg_bitmap(FunctionCallInfo fcinfo, int argno);
extern const roaring_bitmap_t *audience_datum_bitmap(Datum d);
extern uint64 audience_datum_cardinality(Datum d);

#define PG_GETARG_AUDIENCE_BITMAP(n) audience_arg_bitmap(fcinfo, (n))

/* Is this datum an expanded audience (read-only or read-write)? */
static inline bool
audience_datum_is_expanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d));
}

/*
 * Making.  A new value is empty, or a private copy of a datum's set; the
 * caller may hand it a bitmap it made (ownership passes), change the
 * bitmap in place (then call audience_expanded_changed) and return it.
 */
extern AudienceExpanded *audience_expanded_new(MemoryContext parent);
extern AudienceExpanded *audience_expand(Datum d, MemoryContext parent);
extern void audience_expanded_set_bitmap(AudienceExpanded *ea, roaring_bitmap_t *bitmap);
extern roaring_bitmap_t *audience_expanded_bitmap(AudienceExpanded *ea);
extern void audience_expanded_changed(AudienceExpanded *ea);
extern Datum audience_expanded_datum(AudienceExpanded *ea);

#define PG_RETURN_AUDIENCE(ea) PG_RETURN_DATUM(audience_expanded_datum(ea))

/* The stored form of a bitmap (a palloc'd audience varlena). */
extern struct varlena *audience_flatten(const roaring_bitmap_t *bitmap);

/* Untrusted portable bytes, validated, as a new malloc'd bitmap. */
extern roaring_bitmap_t *audience_portable_load(const char *buf, Size len, int sqlerrcode);

/* quanyu.c: the audience settings */
extern void audience_define_gucs(void);

#endif							/* QUANYU_AUDIENCE_H */
