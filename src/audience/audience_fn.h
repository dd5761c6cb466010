/*
 * audience_fn.h
 *	  Internal API of the audience function set: cached reads of stored
 *	  audiences, membership probes on flat bytes, and the id hash used by
 *	  sampling and splits.
 */
#ifndef QUANYU_AUDIENCE_FN_H
#define QUANYU_AUDIENCE_FN_H

#include "audience/audience.h"

/* audience_cache.c: decode a stored argument once per call site */
extern const roaring_bitmap_t *audience_cache_bitmap(FunctionCallInfo fcinfo, int argno);
extern const AudienceFlat *audience_cache_flat(FunctionCallInfo fcinfo, int argno);

/* audience_count.c: counts and containment straight from stored bytes */
extern bool audience_count_from_bytes;
extern bool audience_pair_from_bytes(FunctionCallInfo fcinfo, int arg_a, bool subset_test, uint64 *result,
									 uint64 *card_a, uint64 *card_b);

/* audience_probe.c: membership read straight from flat bytes */
extern bool audience_portable_probe(const char *buf, Size len, uint32 id, bool *found);
extern bool audience_flat_probe(const struct varlena *v, uint32 id, bool *found);

/* audience_sample.c: the stable per-person hash of sampling and splits */
extern uint64 audience_id_hash(uint32 id, uint64 seed);

#endif							/* QUANYU_AUDIENCE_FN_H */
