/*
 * audience_portable.h
 *	  Constants of the CRoaring portable serialization format
 *	  (RoaringFormatSpec) and little-endian loads from its unaligned bytes,
 *	  shared by the validator (audience_format.c), the membership probe
 *	  (audience_probe.c) and the batched union (audience_merge.c).
 */
#ifndef QUANYU_AUDIENCE_PORTABLE_H
#define QUANYU_AUDIENCE_PORTABLE_H

#include "postgres.h"

#ifdef WORDS_BIGENDIAN
#error "the CRoaring portable format is little-endian; big-endian hosts are not supported"
#endif

#define PORTABLE_COOKIE_NO_RUN 12346	/* no run containers; a 32-bit count follows */
#define PORTABLE_COOKIE 12347	/* count - 1 in the high 16 bits, run bitmap follows */
#define PORTABLE_NO_OFFSET_THRESHOLD 4	/* with runs, fewer containers have no offsets */
#define PORTABLE_ARRAY_MAX 4096	/* containers of more ids are bitsets (or runs) */
#define PORTABLE_BITSET_BYTES 8192
#define PORTABLE_MAX_CONTAINERS 65536

/* Loads from possibly unaligned bytes (memcpy compiles to a plain load). */
static inline uint16
portable_u16(const uint8 *p)
{
	uint16		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32
portable_u32(const uint8 *p)
{
	uint32		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64
portable_u64(const uint8 *p)
{
	uint64		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#endif							/* QUANYU_AUDIENCE_PORTABLE_H */
