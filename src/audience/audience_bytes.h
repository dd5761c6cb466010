/*
 * audience_bytes.h
 *	  The CRoaring portable serialization format (RoaringFormatSpec) and the
 *	  one bounds-checked reader of it.
 *
 * Every piece of code that reads portable bytes goes through PortableReader:
 * the validator of untrusted input (audience_format.c), the membership probe
 * (audience_probe.c), the batched union (audience_roaring.c) and the counts
 * computed straight from stored values (audience_bytes.c).  The reader
 * yields, per container, its key, kind, stated cardinality and a pointer to
 * its payload inside the buffer; it never reads outside the buffer.  The
 * bytes are one buffer, or come piece by piece from a PortableSource (a
 * stored value read from its TOAST chunks in place).  In
 * strict mode it also checks everything the validator promises (sorted keys
 * and values, offsets, bitset populations, runs adding up).
 */
#ifndef QUANYU_AUDIENCE_BYTES_H
#define QUANYU_AUDIENCE_BYTES_H

#include "postgres.h"

#ifdef WORDS_BIGENDIAN
#error "the CRoaring portable format is little-endian; big-endian hosts are not supported"
#endif

#define PORTABLE_COOKIE_NO_RUN 12346	/* no run containers; a 32-bit count follows */
#define PORTABLE_COOKIE 12347	/* count - 1 in the high 16 bits, run bitmap follows */
#define PORTABLE_NO_OFFSET_THRESHOLD 4	/* with runs, fewer containers have no offsets */
#define PORTABLE_ARRAY_MAX 4096	/* containers of more ids are bitsets (or runs) */
#define PORTABLE_BITSET_BYTES 8192
#define PORTABLE_BITSET_WORDS 1024
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

typedef enum PortableKind
{
	PORTABLE_ARRAY,				/* count sorted uint16 values */
	PORTABLE_BITSET,			/* PORTABLE_BITSET_WORDS little-endian words */
	PORTABLE_RUN				/* count (start, length - 1) uint16 pairs */
} PortableKind;

/* One container of a portable payload, pointing into the buffer. */
typedef struct PortableContainer
{
	uint16		key;			/* the high 16 bits of its ids */
	uint8		kind;			/* PortableKind */
	uint32		card;			/* cardinality as the key table states it */
	uint32		count;			/* values (array), runs (run), words (bitset) */
	const uint8 *data;			/* the payload; possibly unaligned */
} PortableContainer;

/*
 * Portable bytes that are not in one buffer (a stored value read from its
 * TOAST chunks: audience_toast_read.c).  map returns the n bytes at pos (the
 * reader has checked that pos + n is within its length); they stay valid
 * until the next call, or, with keep, as long as the source.  It raises an
 * error when it cannot read them.  Bytes inside the source's current window
 * are taken without a call.
 */
typedef struct PortableSource PortableSource;
struct PortableSource
{
	const uint8 *(*map) (PortableSource *src, Size pos, Size n, bool keep);
	/* bytes [win_pos, win_pos + win_len) lie at win until the next map */
	const uint8 *win;
	Size		win_pos;
	Size		win_len;
};

/* A cursor over portable bytes. */
typedef struct PortableReader
{
	const uint8 *buf;			/* the bytes, or NULL when read from source */
	PortableSource *source;
	Size		len;
	uint32		size;			/* number of containers */
	bool		hasrun;
	bool		strict;			/* check contents too (validator) */
	bool		compare_only;	/* caller only compares values: skip run ends */
	const uint8 *runbits;		/* NULL without run containers */
	const uint8 *keycards;		/* (key, card - 1) pairs */
	const uint8 *offsets;		/* NULL when the format has none */
	uint32		next;			/* index of the container portable_read reads */
	Size		pos;			/* where that container starts */
	Size		first;			/* where the first container starts */
	const char *detail;			/* why the bytes are invalid, after a failure */
} PortableReader;

/* Key of container i (i < r->size). */
static inline uint16
portable_key(const PortableReader *r, uint32 i)
{
	return portable_u16(r->keycards + 4 * i);
}

extern bool portable_open(PortableReader *r, const char *buf, Size len, bool strict);
extern bool portable_open_source(PortableReader *r, PortableSource *source, Size len, bool strict);
extern bool portable_read(PortableReader *r, PortableContainer *c);
extern bool portable_seek(PortableReader *r, uint32 i);
extern uint32 portable_lower_bound(const PortableReader *r, uint16 key, uint32 from);
extern int32 portable_find(const PortableReader *r, uint16 key);
extern bool portable_contains(const PortableContainer *c, uint16 low);

/* Stored payloads (audience_format.c): a reader, or a data-corrupted error. */
extern void audience_portable_open_stored(PortableReader *r, const char *buf, Size len);
extern void audience_stored_corrupted(void) pg_attribute_noreturn();

/* Counts straight from portable bytes (audience_bytes.c). */
extern uint32 portable_and_card(const PortableContainer *a, const PortableContainer *b);
extern bool portable_intersection_card(PortableReader *a, PortableReader *b,
									   bool subset_test, uint64 *result);

#endif							/* QUANYU_AUDIENCE_BYTES_H */
