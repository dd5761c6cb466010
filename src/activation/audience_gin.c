/*
 * audience_gin.c
 *	  GIN operator class for audience: which stored audiences hold person p.
 *
 * The keys of an audience are its person ids, stored as int4 keys (the
 * uint32 bit pattern, so ids of 2^31 and up are negative keys) and compared
 * with btint4cmp.  Exact keys make every supported operator exact: the index
 * answers "a @> p", "a @> b" and "a && b" without rechecking the heap value.
 *
 * Why not fewer, coarser keys (say the high 16 bits of each id, with a
 * recheck)?  A tag audience of 1M persons among 10M touches every 65536-id
 * chunk, so a coarse key would match every tag and the recheck would decode
 * them all: no better than a scan.  Exact keys cost one index entry per id,
 * which GIN compresses into posting lists (about a byte or two per entry).
 *
 * The cost of extractValue on a 1M-id audience is one pass over the bitmap
 * with CRoaring's batched iterator and an 8 MB key array.  GIN then sorts the
 * keys with the opclass's comparison; it first checks whether they are
 * already sorted, so the keys are written in int4 order (ids of 2^31 and up
 * first) and the check is all the sorting that happens.
 */
#include "postgres.h"

#include "access/gin.h"
#include "access/stratnum.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "audience/audience.h"
#include "common/person_id.h"

/* Strategies of audience_gin_ops (src/activation/activation.sql). */
#define AUDIENCE_GIN_CONTAINS_ID	1	/* audience @> bigint */
#define AUDIENCE_GIN_CONTAINS		2	/* audience @> audience */
#define AUDIENCE_GIN_OVERLAPS		3	/* audience && audience */
#define AUDIENCE_GIN_CONTAINED		4	/* audience <@ audience */

/* Ids read from the bitmap per iterator call. */
#define AUDIENCE_GIN_BATCH 4096

/*
 * The keys of an audience: its ids as int4 datums, in int4 order.  Raises
 * an error when the keys would not fit in one allocation.
 */
static Datum *
audience_gin_keys(Datum value, int32 *nkeys)
{
	const roaring_bitmap_t *bitmap = audience_datum_bitmap(value);
	uint64		card = roaring_bitmap_get_cardinality(bitmap);
	uint64		nhigh;
	uint64		low_pos;
	uint64		high_pos = 0;
	Datum	   *keys;
	uint32		buf[AUDIENCE_GIN_BATCH];
	roaring_uint32_iterator_t it;
	uint32		n;

	*nkeys = 0;
	if (card == 0)
		return NULL;
	if (card > (uint64) PG_INT32_MAX || card > MaxAllocSize / sizeof(Datum))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("audience of %llu persons is too large for a GIN index",
						(unsigned long long) card),
				 errdetail("A GIN index on audiences holds at most %zu persons per value.",
						   (Size) (MaxAllocSize / sizeof(Datum))),
				 errhint("Index smaller audiences, or look persons up with the @> operator without an index.")));

	/* Ids of 2^31 and up are negative int4 keys: they go first. */
	nhigh = card - roaring_bitmap_rank(bitmap, (uint32) PG_INT32_MAX);
	low_pos = nhigh;
	keys = palloc(card * sizeof(Datum));

	roaring_init_iterator(bitmap, &it);
	while ((n = roaring_read_uint32_iterator(&it, buf, AUDIENCE_GIN_BATCH)) > 0)
	{
		uint32		i;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < n; i++)
		{
			if (buf[i] > (uint32) PG_INT32_MAX)
			{
				if (high_pos >= nhigh)
					elog(ERROR, "audience holds more ids than its cardinality");
				keys[high_pos++] = Int32GetDatum((int32) buf[i]);
			}
			else
			{
				if (low_pos >= card)
					elog(ERROR, "audience holds more ids than its cardinality");
				keys[low_pos++] = Int32GetDatum((int32) buf[i]);
			}
		}
	}
	if (high_pos != nhigh || low_pos != card)
		elog(ERROR, "audience holds fewer ids than its cardinality");

	*nkeys = (int32) card;
	return keys;
}

PG_FUNCTION_INFO_V1(audience_gin_extract_value);
/* GIN support 2: the keys of a stored audience (none for an empty one). */
Datum
audience_gin_extract_value(PG_FUNCTION_ARGS)
{
	int32	   *nkeys = (int32 *) PG_GETARG_POINTER(1);

	if (PG_ARGISNULL(0) || nkeys == NULL)
		elog(ERROR, "audience_gin_extract_value called without a value");
	PG_RETURN_POINTER(audience_gin_keys(PG_GETARG_DATUM(0), nkeys));
}

PG_FUNCTION_INFO_V1(audience_gin_extract_query);
/* GIN support 3: the keys to look up for one operator and its right side. */
Datum
audience_gin_extract_query(PG_FUNCTION_ARGS)
{
	int32	   *nkeys = (int32 *) PG_GETARG_POINTER(1);
	StrategyNumber strategy = PG_GETARG_UINT16(2);
	int32	   *searchMode = (int32 *) PG_GETARG_POINTER(6);
	Datum	   *keys = NULL;

	if (PG_ARGISNULL(0) || nkeys == NULL || searchMode == NULL)
		elog(ERROR, "audience_gin_extract_query called without a query");
	*nkeys = 0;
	*searchMode = GIN_SEARCH_MODE_DEFAULT;

	switch (strategy)
	{
		case AUDIENCE_GIN_CONTAINS_ID:
			{
				int64		id = PG_GETARG_INT64(0);

				/* An id out of range is in no audience: no keys, no rows. */
				if (id >= 0 && id <= PERSON_ID_MAX)
				{
					keys = palloc(sizeof(Datum));
					keys[0] = Int32GetDatum((int32) (uint32) id);
					*nkeys = 1;
				}
				break;
			}
		case AUDIENCE_GIN_CONTAINS:
			keys = audience_gin_keys(PG_GETARG_DATUM(0), nkeys);
			/* Every audience contains the empty one. */
			if (*nkeys == 0)
				*searchMode = GIN_SEARCH_MODE_ALL;
			break;
		case AUDIENCE_GIN_OVERLAPS:
			/* No audience overlaps the empty one: no keys, no rows. */
			keys = audience_gin_keys(PG_GETARG_DATUM(0), nkeys);
			break;
		case AUDIENCE_GIN_CONTAINED:
			/* Candidates share an id with the query, or are empty. */
			keys = audience_gin_keys(PG_GETARG_DATUM(0), nkeys);
			*searchMode = GIN_SEARCH_MODE_INCLUDE_EMPTY;
			break;
		default:
			elog(ERROR, "audience_gin_extract_query: unknown strategy %d", strategy);
	}
	PG_RETURN_POINTER(keys);
}

PG_FUNCTION_INFO_V1(audience_gin_consistent);
/* GIN support 4: does an item with these keys present match? */
Datum
audience_gin_consistent(PG_FUNCTION_ARGS)
{
	bool	   *check = (bool *) PG_GETARG_POINTER(0);
	StrategyNumber strategy = PG_GETARG_UINT16(1);
	int32		nkeys = PG_GETARG_INT32(3);
	bool	   *recheck = (bool *) PG_GETARG_POINTER(5);
	bool		result;
	int32		i;

	if (check == NULL || recheck == NULL || nkeys < 0)
		elog(ERROR, "audience_gin_consistent called without keys");
	*recheck = false;
	switch (strategy)
	{
		case AUDIENCE_GIN_CONTAINS_ID:
		case AUDIENCE_GIN_CONTAINS:
			/* Keys are exact: all present means contained. */
			result = true;
			for (i = 0; i < nkeys; i++)
			{
				if (!check[i])
				{
					result = false;
					break;
				}
			}
			break;
		case AUDIENCE_GIN_OVERLAPS:
			result = false;
			for (i = 0; i < nkeys; i++)
			{
				if (check[i])
				{
					result = true;
					break;
				}
			}
			break;
		case AUDIENCE_GIN_CONTAINED:
			/* The index cannot see ids outside the query: the heap value decides. */
			*recheck = true;
			result = true;
			break;
		default:
			elog(ERROR, "audience_gin_consistent: unknown strategy %d", strategy);
			result = false;		/* keep the compiler quiet */
	}
	PG_RETURN_BOOL(result);
}

PG_FUNCTION_INFO_V1(audience_gin_triconsistent);
/* GIN support 6: the same as audience_gin_consistent, in three-valued logic. */
Datum
audience_gin_triconsistent(PG_FUNCTION_ARGS)
{
	GinTernaryValue *check = (GinTernaryValue *) PG_GETARG_POINTER(0);
	StrategyNumber strategy = PG_GETARG_UINT16(1);
	int32		nkeys = PG_GETARG_INT32(3);
	GinTernaryValue result;
	int32		i;

	if (check == NULL || nkeys < 0)
		elog(ERROR, "audience_gin_triconsistent called without keys");
	switch (strategy)
	{
		case AUDIENCE_GIN_CONTAINS_ID:
		case AUDIENCE_GIN_CONTAINS:
			result = GIN_TRUE;
			for (i = 0; i < nkeys; i++)
			{
				if (check[i] == GIN_FALSE)
				{
					result = GIN_FALSE;
					break;
				}
				if (check[i] == GIN_MAYBE)
					result = GIN_MAYBE;
			}
			break;
		case AUDIENCE_GIN_OVERLAPS:
			result = GIN_FALSE;
			for (i = 0; i < nkeys; i++)
			{
				if (check[i] == GIN_TRUE)
				{
					result = GIN_TRUE;
					break;
				}
				if (check[i] == GIN_MAYBE)
					result = GIN_MAYBE;
			}
			break;
		case AUDIENCE_GIN_CONTAINED:
			result = GIN_MAYBE;
			break;
		default:
			elog(ERROR, "audience_gin_triconsistent: unknown strategy %d", strategy);
			result = GIN_FALSE; /* keep the compiler quiet */
	}
	PG_RETURN_GIN_TERNARY_VALUE(result);
}
