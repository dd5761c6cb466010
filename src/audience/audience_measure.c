/*
 * audience_measure.c
 *	  Reads of a bitmap a container at a time: where two sets first differ
 *	  (the btree order), and how much memory a bitmap takes or an operation
 *	  may take (quanyu.max_audience_memory).
 *
 * Like audience_merge.c, this reaches into CRoaring's roaring_array_t and
 * the array, bitset and run containers of the 0.2 series.  It only reads.
 *
 * Memory figures are those of glibc malloc on 64-bit Linux: a bitset
 * container is 8 kB of bits plus its struct; an array container 2 bytes per
 * slot of its capacity, which grows by doubling (so up to 4 bytes per id);
 * a run container 4 bytes per run.  Every container also costs its struct,
 * two malloc headers and its slot in the key, pointer and type tables
 * (AUDIENCE_CONTAINER_OVERHEAD).  A run container covering a whole key (65536 ids)
 * thus costs about 90 bytes, the same ids as a bitset about 8.3 kB: the
 * full id range as runs is 6 MB, as bitsets 540 MB.
 */
#include "postgres.h"

#include <math.h>
#include <roaring/roaring_array.h>
#include <roaring/containers/containers.h>

#include "audience/audience.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"

#define BITSET_WORDS 1024

int			audience_max_memory_kb = AUDIENCE_MAX_MEMORY_DEFAULT_KB;

/* OR the values of a container into a bitset's words. */
static void
container_to_words(const void *container, uint8 typecode, uint64 *words)
{
	container = container_unwrap_shared(container, &typecode);
	switch (typecode)
	{
		case ARRAY_CONTAINER_TYPE_CODE:
			{
				const array_container_t *a = container;
				int32		i;

				for (i = 0; i < a->cardinality; i++)
					words[a->array[i] >> 6] |= UINT64CONST(1) << (a->array[i] & 63);
			}
			break;
		case BITSET_CONTAINER_TYPE_CODE:
			memcpy(words, ((const bitset_container_t *) container)->array,
				   BITSET_WORDS * sizeof(uint64));
			break;
		case RUN_CONTAINER_TYPE_CODE:
			{
				const run_container_t *r = container;
				int32		i;

				for (i = 0; i < r->n_runs; i++)
					bitset_set_lenrange(words, r->runs[i].value, r->runs[i].length);
			}
			break;
		default:
			elog(ERROR, "unexpected roaring container type %d", typecode);
	}
}

/* The smallest value of a container; false when it is empty. */
static bool
container_first(const void *container, uint8 typecode, uint16 *value)
{
	container = container_unwrap_shared(container, &typecode);
	switch (typecode)
	{
		case ARRAY_CONTAINER_TYPE_CODE:
			{
				const array_container_t *a = container;

				if (a->cardinality == 0)
					return false;
				*value = a->array[0];
				return true;
			}
		case BITSET_CONTAINER_TYPE_CODE:
			{
				const bitset_container_t *b = container;
				int			i;

				for (i = 0; i < BITSET_WORDS; i++)
					if (b->array[i] != 0)
					{
						*value = (uint16) (i * 64 + pg_rightmost_one_pos64(b->array[i]));
						return true;
					}
				return false;
			}
		case RUN_CONTAINER_TYPE_CODE:
			{
				const run_container_t *r = container;

				if (r->n_runs == 0)
					return false;
				*value = r->runs[0].value;
				return true;
			}
		default:
			elog(ERROR, "unexpected roaring container type %d", typecode);
	}
	return false;
}

/*
 * The smallest id in exactly one of a and b, found a container at a time:
 * false when the sets are equal, else *diff is that id and *in_a tells
 * whether a holds it.  Equal containers are recognised by CRoaring's own
 * container_equals (a memcmp for two of a kind); only the first container
 * that differs is spread into bitsets to find the id.
 */
bool
audience_first_difference(const roaring_bitmap_t *a, const roaring_bitmap_t *b,
						  uint32 *diff, bool *in_a)
{
	const roaring_array_t *ra = &a->high_low_container;
	const roaring_array_t *rb = &b->high_low_container;
	int32		ia = 0,
				ib = 0;
	uint64		wa[BITSET_WORDS];
	uint64		wb[BITSET_WORDS];

	for (;;)
	{
		uint16		first;
		int			i;

		if ((ia & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		/* Skip empty containers (a valid bitmap has none, but be sure). */
		if (ia < ra->size && !container_first(ra->containers[ia], ra->typecodes[ia], &first))
		{
			ia++;
			continue;
		}
		if (ib < rb->size && !container_first(rb->containers[ib], rb->typecodes[ib], &first))
		{
			ib++;
			continue;
		}
		if (ia >= ra->size && ib >= rb->size)
			return false;
		/* A key only one set has: its first id is the first difference. */
		if (ib >= rb->size || (ia < ra->size && ra->keys[ia] < rb->keys[ib]))
		{
			container_first(ra->containers[ia], ra->typecodes[ia], &first);
			*diff = ((uint32) ra->keys[ia] << 16) | first;
			*in_a = true;
			return true;
		}
		if (ia >= ra->size || rb->keys[ib] < ra->keys[ia])
		{
			container_first(rb->containers[ib], rb->typecodes[ib], &first);
			*diff = ((uint32) rb->keys[ib] << 16) | first;
			*in_a = false;
			return true;
		}
		if (!container_equals(ra->containers[ia], ra->typecodes[ia],
							  rb->containers[ib], rb->typecodes[ib]))
		{
			memset(wa, 0, sizeof(wa));
			memset(wb, 0, sizeof(wb));
			container_to_words(ra->containers[ia], ra->typecodes[ia], wa);
			container_to_words(rb->containers[ib], rb->typecodes[ib], wb);
			for (i = 0; i < BITSET_WORDS; i++)
			{
				uint64		x = wa[i] ^ wb[i];

				if (x != 0)
				{
					int			bit = pg_rightmost_one_pos64(x);

					*diff = ((uint32) ra->keys[ia] << 16) | (uint32) (i * 64 + bit);
					*in_a = (wa[i] >> bit) & 1;
					return true;
				}
			}
			/* The same ids in two encodings: equal after all. */
		}
		ia++;
		ib++;
	}
}

/* The number of containers (at most 65536). */
uint32
audience_bitmap_containers(const roaring_bitmap_t *bitmap)
{
	return (uint32) bitmap->high_low_container.size;
}

/* The memory one container takes, its overhead included. */
static Size
container_memory(const void *container, uint8 typecode)
{
	container = container_unwrap_shared(container, &typecode);
	switch (typecode)
	{
		case ARRAY_CONTAINER_TYPE_CODE:
			return AUDIENCE_CONTAINER_OVERHEAD + (Size) ((const array_container_t *) container)->capacity * 2;
		case BITSET_CONTAINER_TYPE_CODE:
			return AUDIENCE_BITSET_COST;
		case RUN_CONTAINER_TYPE_CODE:
			return AUDIENCE_CONTAINER_OVERHEAD + (Size) ((const run_container_t *) container)->capacity * 4;
		default:
			elog(ERROR, "unexpected roaring container type %d", typecode);
	}
	return 0;
}

/* The memory a bitmap takes (CRoaring's mallocs), walking its containers. */
Size
audience_bitmap_memory(const roaring_bitmap_t *bitmap)
{
	const roaring_array_t *ra = &bitmap->high_low_container;
	Size		total = sizeof(roaring_bitmap_t) + (Size) ra->allocation_size * AUDIENCE_CONTAINER_SLOT_BYTES;
	int32		i;

	for (i = 0; i < ra->size; i++)
		total += container_memory(ra->containers[i], ra->typecodes[i]);
	return total;
}

/*
 * Containers by kind, with the ids and serialised bytes of each kind.  Not
 * roaring_bitmap_statistics: it also sums every id one at a time (8 s for
 * the full id range, deaf to a cancel), and counts ids per kind in 32 bits
 * (the full range has 2^32 ids in runs: it reported 0).
 */
void
audience_bitmap_statistics(const roaring_bitmap_t *bitmap, AudienceStats *st)
{
	const roaring_array_t *ra = &bitmap->high_low_container;
	int32		i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < ra->size; i++)
	{
		uint8		typecode = ra->typecodes[i];
		const void *c = container_unwrap_shared(ra->containers[i], &typecode);
		int			kind;

		if ((i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		switch (typecode)
		{
			case ARRAY_CONTAINER_TYPE_CODE:
				kind = AUDIENCE_KIND_ARRAY;
				break;
			case BITSET_CONTAINER_TYPE_CODE:
				kind = AUDIENCE_KIND_BITSET;
				break;
			case RUN_CONTAINER_TYPE_CODE:
				kind = AUDIENCE_KIND_RUN;
				break;
			default:
				elog(ERROR, "unexpected roaring container type %d", typecode);
		}
		st->containers[kind]++;
		st->ids[kind] += container_get_cardinality(c, typecode);
		st->bytes[kind] += container_size_in_bytes(c, typecode);
	}
}

/* The memory of a container holding about n ids built id by id. */
static double
container_estimate(double n)
{
	return Min((double) AUDIENCE_BITSET_COST, AUDIENCE_CONTAINER_OVERHEAD + 4.0 * ceil(n));
}

/*
 * The memory nparts subsets of the bitmap, each holding about fraction of
 * the ids of every container, may take: a subset of a cheap run container
 * is scattered ids, an array or a bitset.
 */
double
audience_estimate_parts(const roaring_bitmap_t *bitmap, double fraction, uint32 nparts)
{
	const roaring_array_t *ra = &bitmap->high_low_container;
	double		total = (double) nparts * (sizeof(roaring_bitmap_t) +
										   (double) ra->size * AUDIENCE_CONTAINER_SLOT_BYTES);
	int32		i;

	for (i = 0; i < ra->size; i++)
	{
		uint8		typecode = ra->typecodes[i];
		const void *c = container_unwrap_shared(ra->containers[i], &typecode);

		int			card = container_get_cardinality(c, typecode);

		/* A bitset left lazy has an unknown (negative) cardinality. */
		if (card < 0)
			card = 65536;
		total += nparts * container_estimate(card * fraction);
	}
	return total;
}

/*
 * The memory n ids added to a bitmap may take at most: 4 bytes each (in an
 * array that doubles as it grows), and a container for each key they have.
 */
double
audience_estimate_ids(const uint32 *ids, int n)
{
	uint64		seen[65536 / 64];
	int			keys = 0;
	int			i;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++)
	{
		uint32		key = ids[i] >> 16;
		uint64		bit = UINT64CONST(1) << (key & 63);

		if ((seen[key >> 6] & bit) == 0)
		{
			seen[key >> 6] |= bit;
			keys++;
		}
	}
	return 4.0 * n + (double) keys * (AUDIENCE_CONTAINER_OVERHEAD + AUDIENCE_CONTAINER_SLOT_BYTES);
}

/*
 * Check an operation's estimated memory against quanyu.max_audience_memory
 * before it asks CRoaring for it, and that the process can get that much:
 * CRoaring 0.2 does not check all of its own mallocs, so it must not run
 * out of memory halfway (a large malloc reserves address space only, and
 * is freed at once).
 */
void
audience_memory_check(double estimate, const char *what)
{
	double		limit = (double) audience_max_memory_kb * 1024.0;

	if (estimate > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s would need too much memory", what),
				 errdetail("It would need up to %.0f kB; quanyu.max_audience_memory is %d kB.",
						   ceil(estimate / 1024.0), audience_max_memory_kb),
				 errhint("Raise quanyu.max_audience_memory, or work on smaller audiences (audience_range() cuts one by id range).")));
	if (estimate >= AUDIENCE_PROBE_BYTES)
		audience_memory_probe(estimate, what);
}

/*
 * Check that the process can allocate bytes now: one malloc, freed at once
 * (a large malloc only reserves address space).
 */
void
audience_memory_probe(double bytes, const char *what)
{
	void	   *probe = malloc((size_t) bytes);

	if (probe == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("%s would need up to %.0f kB, and the server process cannot allocate that much.",
						   what, ceil(bytes / 1024.0))));
	free(probe);
}
