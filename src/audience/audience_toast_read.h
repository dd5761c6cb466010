/*
 * audience_toast_read.h
 *	  Read a stored audience straight from its TOAST chunks, in place.
 *
 * A stored value in TOAST is normally fetched whole (detoasted) into one
 * fresh buffer: megabytes copied, and page faults on memory touched for the
 * first time.  A reader that visits the value once, container by container
 * and in order (the counts of audience_count.c), can instead read each
 * container where it lies in the shared buffer of its chunk; only the few
 * containers that straddle two chunks are copied, into one small scratch
 * buffer that stays in the CPU's cache, and chunks after the last container
 * read are never fetched.  The bytes go through the one portable reader
 * (audience_bytes.c), which bounds-checks them as it does a buffer's.
 */
#ifndef QUANYU_AUDIENCE_TOAST_READ_H
#define QUANYU_AUDIENCE_TOAST_READ_H

#include "access/genam.h"
#include "fmgr.h"
#include "audience/audience_internal.h"
#include "audience/audience_bytes.h"
#include "utils/rel.h"
#include "utils/snapshot.h"

typedef struct AudienceToastStream
{
	PortableSource source;		/* first: the reader calls back with it */
	Relation	rel;			/* the TOAST relation */
	Relation   *indexes;
	int			nindexes;
	int			valid_index;
	SnapshotData snapshot;
	SysScanDesc scan;			/* NULL when no scan is open */
	Oid			valueid;
	int32		size;			/* bytes of the value, without varlena header */
	int32		nchunks;
	int32		next;			/* chunk the open scan returns next */
	int32		cur;			/* chunk under chunk, or -1 */
	const uint8 *chunk;			/* its data, in the scan's pinned buffer */
	int32		chunk_len;
	Size		base;			/* where the portable payload starts */
	uint8	   *scratch;		/* for pieces that straddle chunks */
	Size		scratch_size;
	void	   *kept[4];		/* what map returned with keep */
	int			nkept;
} AudienceToastStream;

/*
 * Open a stream on v when it is an uncompressed value in a heap TOAST table
 * (false otherwise: the caller detoasts) and check its header into *header
 * (a header-only AudienceFlat whose VARSIZE is the value's).  Then
 * portable_open_source(r, &s->source, AUDIENCE_PAYLOAD_SIZE(header), ...)
 * reads its payload.
 */
extern bool audience_toast_open(AudienceToastStream *s, const struct varlena *v,
								AudienceFlat *header);
extern void audience_toast_close(AudienceToastStream *s);

#endif							/* QUANYU_AUDIENCE_TOAST_READ_H */
