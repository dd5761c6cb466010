/*
 * audience_overlap.c
 *	  k-way overlap of audiences: the size of every non-empty combination of
 *	  membership (Venn regions, UpSet bars).
 *
 * One pass over the union: the union is read in chunks, and each input
 * keeps its own iterator, advanced in lockstep with the union, that sets its
 * bit in the membership mask of each person it holds.  Each person's mask is
 * computed once and counted once, so the cost is linear in the sum of the
 * input sizes whatever k is, never 2^k intersections.
 */
#include "postgres.h"

#include "audience/audience.h"
#include "catalog/pg_type.h"
#include "metrics/metrics_util.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

#define OVERLAP_MAX_AUDIENCES 32
/* Up to this many audiences the counts live in a plain 2^k array. */
#define OVERLAP_DENSE_MAX 16
#define OVERLAP_CHUNK 4096

/* One input read in buffered chunks. */
typedef struct OverlapReader
{
	roaring_uint32_iterator_t it;
	uint32		buf[OVERLAP_CHUNK];
	uint32		pos;
	uint32		len;
} OverlapReader;

/* Counts per mask: dense array for small k, hash table above. */
typedef struct OverlapCounts
{
	int64	   *dense;
	HTAB	   *sparse;
} OverlapCounts;

typedef struct OverlapEntry
{
	uint32		mask;
	int64		persons;
} OverlapEntry;

/* The next buffered id of a reader, refilling the buffer; false at the end. */
static inline bool
overlap_peek(OverlapReader *r, uint32 *value)
{
	if (r->pos == r->len)
	{
		r->len = roaring_read_uint32_iterator(&r->it, r->buf, OVERLAP_CHUNK);
		r->pos = 0;
		if (r->len == 0)
			return false;
	}
	*value = r->buf[r->pos];
	return true;
}

/*
 * Set bit "bit" in masks[] for each id of the reader up to the last id of
 * this union chunk.  The reader's ids are a subset of the union, so a merge
 * walk finds each one's position in the chunk.
 */
static void
overlap_mark(OverlapReader *r, uint32 bit, const uint32 *ids, uint32 n, uint32 *masks)
{
	uint32		u = 0;
	uint32		last = ids[n - 1];
	uint32		value;

	while (overlap_peek(r, &value) && value <= last)
	{
		while (ids[u] < value)
			u++;
		masks[u] |= ((uint32) 1) << bit;
		r->pos++;
	}
}

/* Add one to the count of a mask. */
static inline void
overlap_count(OverlapCounts *counts, uint32 mask)
{
	OverlapEntry *entry;
	bool		found;

	if (counts->dense != NULL)
	{
		counts->dense[mask]++;
		return;
	}
	entry = hash_search(counts->sparse, &mask, HASH_ENTER, &found);
	if (!found)
		entry->persons = 0;
	entry->persons++;
}

/* Count every person of the union under their membership mask. */
static void
overlap_scan(const MetricsAudienceArray *arr, OverlapCounts *counts)
{
	roaring_bitmap_t *all = metrics_union(arr);
	OverlapReader *readers = palloc(sizeof(OverlapReader) * arr->n);
	OverlapReader *union_reader = palloc(sizeof(OverlapReader));
	uint32	   *masks = palloc(sizeof(uint32) * OVERLAP_CHUNK);

	for (int i = 0; i < arr->n; i++)
	{
		roaring_init_iterator(arr->bitmaps[i], &readers[i].it);
		readers[i].pos = readers[i].len = 0;
	}
	roaring_init_iterator(all, &union_reader->it);
	for (;;)
	{
		uint32		n = roaring_read_uint32_iterator(&union_reader->it, union_reader->buf, OVERLAP_CHUNK);

		if (n == 0)
			break;
		CHECK_FOR_INTERRUPTS();
		memset(masks, 0, sizeof(uint32) * n);
		for (int i = 0; i < arr->n; i++)
			overlap_mark(&readers[i], i, union_reader->buf, n, masks);
		for (uint32 u = 0; u < n; u++)
			overlap_count(counts, masks[u]);
	}
}

/* qsort comparator of entries by mask. */
static int
overlap_entry_cmp(const void *a, const void *b, void *arg)
{
	uint32		x = ((const OverlapEntry *) a)->mask;
	uint32		y = ((const OverlapEntry *) b)->mask;

	return (x > y) - (x < y);
}

/* Emit one result row: mask, members, degree, persons. */
static void
overlap_emit(Tuplestorestate *store, TupleDesc tupdesc, uint32 mask, int64 persons)
{
	Datum		members[OVERLAP_MAX_AUDIENCES];
	int			degree = 0;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	for (int i = 0; i < OVERLAP_MAX_AUDIENCES; i++)
		if (mask & (((uint32) 1) << i))
			members[degree++] = Int32GetDatum(i + 1);
	values[0] = Int64GetDatum((int64) mask);
	values[1] = PointerGetDatum(construct_array(members, degree, INT4OID, 4, true, TYPALIGN_INT));
	values[2] = Int32GetDatum(degree);
	values[3] = Int64GetDatum(persons);
	tuplestore_putvalues(store, tupdesc, values, nulls);
}

PG_FUNCTION_INFO_V1(audience_overlap);
/* audience_overlap(audiences): persons in exactly each combination. */
Datum
audience_overlap(PG_FUNCTION_ARGS)
{
	MetricsAudienceArray arr = metrics_audience_array(PG_GETARG_ARRAYTYPE_P(0), "audiences",
													  OVERLAP_MAX_AUDIENCES);
	TupleDesc	tupdesc;
	Tuplestorestate *store = metrics_srf_begin(fcinfo, &tupdesc);
	OverlapCounts counts = {NULL, NULL};

	if (arr.n <= OVERLAP_DENSE_MAX)
		counts.dense = palloc0(sizeof(int64) << arr.n);
	else
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(uint32);
		ctl.entrysize = sizeof(OverlapEntry);
		ctl.hcxt = CurrentMemoryContext;
		counts.sparse = hash_create("audience_overlap", 1024, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	overlap_scan(&arr, &counts);
	if (counts.dense != NULL)
	{
		/* Mask 0 (in no audience) cannot occur: we scan the union. */
		for (uint32 mask = 1; mask < (((uint32) 1) << arr.n); mask++)
		{
			if ((mask & 0xFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (counts.dense[mask] > 0)
				overlap_emit(store, tupdesc, mask, counts.dense[mask]);
		}
	}
	else
	{
		long		n = hash_get_num_entries(counts.sparse);
		OverlapEntry *entries = palloc(sizeof(OverlapEntry) * Max(n, 1));
		OverlapEntry *entry;
		HASH_SEQ_STATUS status;
		long		i = 0;

		/* Up to one entry per person of the union with 17 to 32 audiences. */
		hash_seq_init(&status, counts.sparse);
		while ((entry = hash_seq_search(&status)) != NULL)
			entries[i++] = *entry;
		qsort_interruptible(entries, n, sizeof(OverlapEntry), overlap_entry_cmp, NULL);
		for (i = 0; i < n; i++)
		{
			if ((i & 0xFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			overlap_emit(store, tupdesc, entries[i].mask, entries[i].persons);
		}
	}
	return (Datum) 0;
}
