/*
 * audience_toast_read.c
 *	  Read a stored audience straight from its TOAST chunks, in place
 *	  (audience_toast_read.h).
 *
 * The chunks are walked with an ordered scan of the TOAST index, as
 * PostgreSQL's own heap_fetch_toast_slice does, with the same checks: each
 * chunk has the expected number and size, and none is missing.  A chunk's
 * data is read in the scan's pinned buffer until the next chunk is fetched;
 * a piece that straddles chunks is copied into a scratch buffer.  Reading
 * forward past more than a few chunks, or backward, starts a new scan at the
 * chunk wanted (an index range condition, as a TOAST slice does).
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/heaptoast.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/toast_internals.h"
#include "catalog/pg_am_d.h"
#include "utils/fmgroids.h"

#include "audience/audience_toast_read.h"

#define STREAM_CHUNK TOAST_MAX_CHUNK_SIZE
/* Skipping more chunks than this starts a new index scan instead. */
#define STREAM_WALK_MAX 4

static void
stream_corrupted(AudienceToastStream *s, const char *what, int32 chunk)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("stored audience is corrupted"),
			 errdetail("TOAST value %u in \"%s\" has %s (chunk %d of %d).",
					   s->valueid, RelationGetRelationName(s->rel), what, chunk, s->nchunks)));
}

/* The reader's window: the current chunk's bytes, in payload positions. */
static void
stream_set_window(AudienceToastStream *s)
{
	Size		start = (Size) s->cur * STREAM_CHUNK;
	Size		len = s->chunk_len;

	s->source.win_len = 0;
	if (s->chunk == NULL)
		return;
	if (start >= s->base)
	{
		s->source.win = s->chunk;
		s->source.win_pos = start - s->base;
		s->source.win_len = len;
	}
	else if (start + len > s->base)
	{
		s->source.win = s->chunk + (s->base - start);
		s->source.win_pos = 0;
		s->source.win_len = start + len - s->base;
	}
}

/* End the open scan, if any; the current chunk goes with it. */
static void
stream_end_scan(AudienceToastStream *s)
{
	if (s->scan != NULL)
		systable_endscan_ordered(s->scan);
	s->scan = NULL;
	s->cur = -1;
	s->chunk = NULL;
	s->source.win_len = 0;
}

/* Start a scan of the value's chunks from chunk `from` on. */
static void
stream_begin_scan(AudienceToastStream *s, int32 from)
{
	ScanKeyData key[2];
	int			nkeys = 1;

	stream_end_scan(s);
	ScanKeyInit(&key[0], (AttrNumber) 1, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(s->valueid));
	if (from > 0)
		ScanKeyInit(&key[nkeys++], (AttrNumber) 2, BTGreaterEqualStrategyNumber, F_INT4GE,
					Int32GetDatum(from));
	s->scan = systable_beginscan_ordered(s->rel, s->indexes[s->valid_index],
										 &s->snapshot, nkeys, key);
	s->next = from;
}

/* Make chunk c (0 <= c < nchunks) the current one. */
static void
stream_load(AudienceToastStream *s, int32 c)
{
	TupleDesc	desc = RelationGetDescr(s->rel);

	if (c == s->cur)
		return;
	if (s->scan == NULL || c < s->next || c - s->next > STREAM_WALK_MAX)
		stream_begin_scan(s, c);
	for (;;)
	{
		HeapTuple	tuple = systable_getnext_ordered(s->scan, ForwardScanDirection);
		int32		seq;
		Pointer		chunk;
		bool		isnull;
		int32		len;
		const char *data;

		if (tuple == NULL)
			stream_corrupted(s, "a missing chunk", s->next);
		seq = DatumGetInt32(heap_getattr(tuple, 2, desc, &isnull));
		if (isnull || seq != s->next)
			stream_corrupted(s, "an unexpected chunk number", s->next);
		chunk = DatumGetPointer(heap_getattr(tuple, 3, desc, &isnull));
		if (isnull)
			stream_corrupted(s, "a null chunk", seq);
		if (!VARATT_IS_EXTENDED(chunk))
		{
			len = VARSIZE(chunk) - VARHDRSZ;
			data = VARDATA(chunk);
		}
		else if (VARATT_IS_SHORT(chunk))
		{
			len = VARSIZE_SHORT(chunk) - VARHDRSZ_SHORT;
			data = VARDATA_SHORT(chunk);
		}
		else
		{
			stream_corrupted(s, "a toasted chunk", seq);
			len = 0;			/* keep the compiler quiet */
			data = NULL;
		}
		if (len != (seq < s->nchunks - 1 ? (int32) STREAM_CHUNK :
					s->size - (s->nchunks - 1) * (int32) STREAM_CHUNK))
			stream_corrupted(s, "a chunk of unexpected size", seq);
		s->next++;
		if (seq == c)
		{
			int32		l;

			/*
			 * The chunk is read next, and the value's following chunks are
			 * usually the tuples stored just below it on the page: ask for
			 * both at once rather than one cache miss after another.
			 */
#ifdef __GNUC__
			for (l = 0; l < len; l += 64)
				__builtin_prefetch(data + l);
			for (l = 64; l <= len; l += 64)
				__builtin_prefetch(data - l);
#endif
			s->cur = c;
			s->chunk = (const uint8 *) data;
			s->chunk_len = len;
			stream_set_window(s);
			return;
		}
		/* the chunk passed over is gone */
		s->cur = -1;
		s->chunk = NULL;
		s->source.win_len = 0;
	}
}

/* PortableSource.map: the n bytes at payload position pos. */
static const uint8 *
stream_map(PortableSource *source, Size pos, Size n, bool keep)
{
	AudienceToastStream *s = (AudienceToastStream *) source;
	Size		off = s->base + pos;
	uint8	   *dest;
	Size		done = 0;

	if (n == 0)
		return (const uint8 *) s;	/* nothing is read through it */
	if (off + n > (Size) s->size || off + n < off)
		stream_corrupted(s, "a read past its end", (int32) (off / STREAM_CHUNK));
	if (!keep && off / STREAM_CHUNK == (off + n - 1) / STREAM_CHUNK)
	{
		stream_load(s, (int32) (off / STREAM_CHUNK));
		return s->chunk + off % STREAM_CHUNK;
	}
	if (keep)
	{
		if (s->nkept == lengthof(s->kept))
			elog(ERROR, "too many kept pieces of a TOAST stream");
		dest = palloc(n);
		s->kept[s->nkept++] = dest;
	}
	else
	{
		if (s->scratch_size < n)
		{
			if (s->scratch != NULL)
				pfree(s->scratch);
			s->scratch = palloc(Max(n, PORTABLE_BITSET_BYTES));
			s->scratch_size = Max(n, PORTABLE_BITSET_BYTES);
		}
		dest = s->scratch;
	}
	while (done < n)
	{
		Size		at = (off + done) % STREAM_CHUNK;
		Size		take = Min(n - done, STREAM_CHUNK - at);

		stream_load(s, (int32) ((off + done) / STREAM_CHUNK));
		memcpy(dest + done, s->chunk + at, take);
		done += take;
	}
	return dest;
}

bool
audience_toast_open(AudienceToastStream *s, const struct varlena *v, AudienceFlat *header)
{
	struct varatt_external toast;
	const uint8 *p;

	if (!VARATT_IS_EXTERNAL_ONDISK(v))
		return false;
	VARATT_EXTERNAL_GET_POINTER(toast, v);
	/* compressed (VARATT_EXTERNAL_IS_COMPRESSED, spelled out for -Wsign-compare) */
	if ((int64) VARATT_EXTERNAL_GET_EXTSIZE(toast) < (int64) toast.va_rawsize - VARHDRSZ)
		return false;

	memset(s, 0, sizeof(*s));
	s->source.map = stream_map;
	s->cur = -1;
	s->valueid = toast.va_valueid;
	s->size = VARATT_EXTERNAL_GET_EXTSIZE(toast);
	s->rel = table_open(toast.va_toastrelid, AccessShareLock);
	if (s->rel->rd_rel->relam != HEAP_TABLE_AM_OID || s->size <= 0)
	{
		/* another table AM keeps its own chunk layout: detoast through it */
		table_close(s->rel, AccessShareLock);
		s->rel = NULL;
		return false;
	}
	s->nchunks = (s->size - 1) / STREAM_CHUNK + 1;
	s->valid_index = toast_open_indexes(s->rel, AccessShareLock, &s->indexes, &s->nindexes);
	init_toast_snapshot(&s->snapshot);

	/* The header: the value's first bytes, after its varlena header. */
	memset(header, 0, AUDIENCE_HEADER_SIZE);
	SET_VARSIZE(header, s->size + VARHDRSZ);
	if (VARSIZE(header) >= AUDIENCE_HEADER_SIZE)
	{
		s->base = 0;
		p = stream_map(&s->source, 0, AUDIENCE_HEADER_SIZE - VARHDRSZ, false);
		memcpy((char *) header + VARHDRSZ, p, AUDIENCE_HEADER_SIZE - VARHDRSZ);
	}
	audience_header_check(header);
	/* from now on positions are in the payload */
	s->base = AUDIENCE_HEADER_SIZE - VARHDRSZ;
	stream_set_window(s);
	return true;
}

void
audience_toast_close(AudienceToastStream *s)
{
	int			i;

	if (s->rel == NULL)
		return;
	stream_end_scan(s);
	toast_close_indexes(s->indexes, s->nindexes, AccessShareLock);
	table_close(s->rel, AccessShareLock);
	s->rel = NULL;
	for (i = 0; i < s->nkept; i++)
		pfree(s->kept[i]);
	s->nkept = 0;
	if (s->scratch != NULL)
		pfree(s->scratch);
	s->scratch = NULL;
}
