/*
 * audience_roaring_public.c
 *	  The functions of audience_roaring.c on CRoaring's public API only,
 *	  built instead of it with `make QY_ROARING_PUBLIC_API=1`.
 *
 * audience_roaring.c reaches into CRoaring 0.2.66's private structs and
 * refuses to build against any other version.  This file is what a build
 * against another libroaring uses: the same results (the test suite runs
 * on it: test/run_tests.sh --roaring-public-api), slower.  Stored inputs
 * are decoded whole instead of read container by container, ids go through
 * roaring_bitmap_add_many, and statistics come from roaring_bitmap_statistics
 * (which visits every id).  Memory estimates are upper bounds from what the
 * public API tells: the number of containers is bounded by the id span and
 * the cardinality.
 */
#include "postgres.h"

#include <math.h>

#include "audience/audience_internal.h"
#include "audience/audience_bytes.h"
#include "miscadmin.h"

/* OR-ing ids: one call (the caller's grouping scratch is not needed). */
void
audience_merge_ids(roaring_bitmap_t *bitmap, const uint32 *ids, uint32 *scratch, int n)
{
	roaring_bitmap_add_many(bitmap, n, ids);
}

/* OR n stored values into the bitmap, each decoded and freed in turn. */
void
audience_merge_flats(roaring_bitmap_t *bitmap, AudienceFlat *const *flats, int n,
					 AudienceMergeScratch *scratch)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		roaring_bitmap_t *in = audience_flat_load(flats[i]);

		roaring_bitmap_or_inplace(bitmap, in);
		roaring_bitmap_free(in);
		CHECK_FOR_INTERRUPTS();
	}
}

/* XOR a stored value into the bitmap. */
void
audience_xor_flat(roaring_bitmap_t *bitmap, const AudienceFlat *flat)
{
	roaring_bitmap_t *in = audience_flat_load(flat);

	roaring_bitmap_xor_inplace(bitmap, in);
	roaring_bitmap_free(in);
}

/* XOR n stored values into the bitmap, one after the other. */
void
audience_xor_flats(roaring_bitmap_t *bitmap, AudienceFlat *const *flats, int n,
				   AudienceMergeScratch *scratch)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		audience_xor_flat(bitmap, flats[i]);
		CHECK_FOR_INTERRUPTS();
	}
}

/* The whole stored value (the public API cannot decode some keys only). */
roaring_bitmap_t *
audience_flat_load_keys(const AudienceFlat *flat, const roaring_bitmap_t *keys)
{
	return audience_flat_load(flat);
}

/* The smallest id in exactly one of a and b, from their symmetric difference. */
bool
audience_first_difference(const roaring_bitmap_t *a, const roaring_bitmap_t *b,
						  uint32 *diff, bool *in_a)
{
	roaring_bitmap_t *x = roaring_bitmap_xor(a, b);
	bool		differ;

	audience_check_alloc(x);
	differ = !roaring_bitmap_is_empty(x);
	if (differ)
	{
		*diff = roaring_bitmap_minimum(x);
		*in_a = roaring_bitmap_contains(a, *diff);
	}
	roaring_bitmap_free(x);
	return differ;
}

/* At least the number of containers: no more than the keys spanned or the ids. */
uint32
audience_bitmap_containers(const roaring_bitmap_t *bitmap)
{
	uint64		card = roaring_bitmap_get_cardinality(bitmap);

	if (card == 0)
		return 0;
	return (uint32) Min(card, (uint64) (roaring_bitmap_maximum(bitmap) >> 16) -
						(roaring_bitmap_minimum(bitmap) >> 16) + 1);
}

/*
 * An upper bound of the memory a bitmap takes: its containers' serialised
 * bytes twice (an array's capacity is at most twice its ids), plus each
 * container's overhead.
 */
Size
audience_bitmap_memory(const roaring_bitmap_t *bitmap)
{
	Size		containers = audience_bitmap_containers(bitmap);

	return sizeof(roaring_bitmap_t) + 2 * roaring_bitmap_portable_size_in_bytes(bitmap) +
		containers * (AUDIENCE_CONTAINER_OVERHEAD + AUDIENCE_CONTAINER_SLOT_BYTES);
}

/*
 * Containers by kind, their ids and serialised bytes, read from the
 * bitmap's portable serialisation with the one reader (audience_bytes.c).
 * Not roaring_bitmap_statistics: it visits every id (8 s for the full id
 * range, deaf to a cancel) and counts ids per kind in 32 bits.
 */
void
audience_bitmap_statistics(const roaring_bitmap_t *bitmap, AudienceStats *st)
{
	Size		len = roaring_bitmap_portable_size_in_bytes(bitmap);
	char	   *buf = palloc(len);
	PortableReader r;
	PortableContainer c;
	uint32		i;

	memset(st, 0, sizeof(*st));
	if (roaring_bitmap_portable_serialize(bitmap, buf) != len ||
		!portable_open(&r, buf, len, false))
		elog(ERROR, "could not read back an audience's serialisation");
	for (i = 0; i < r.size; i++)
	{
		Size		start = r.pos;
		int			kind;

		if ((i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!portable_read(&r, &c))
			elog(ERROR, "could not read back an audience's serialisation");
		kind = c.kind == PORTABLE_ARRAY ? AUDIENCE_KIND_ARRAY :
			c.kind == PORTABLE_BITSET ? AUDIENCE_KIND_BITSET : AUDIENCE_KIND_RUN;
		st->containers[kind]++;
		st->ids[kind] += c.card;
		st->bytes[kind] += r.pos - start;
	}
	pfree(buf);
}

/*
 * The memory nparts subsets may take, each holding about fraction of the
 * ids of every container: with only the mean ids per container known, the
 * estimate at the mean (plus one id for rounding) bounds the sum, the cost
 * of a container being concave in its ids.
 */
double
audience_estimate_parts(const roaring_bitmap_t *bitmap, double fraction, uint32 nparts)
{
	double		containers = audience_bitmap_containers(bitmap);
	double		total = (double) nparts * (sizeof(roaring_bitmap_t) +
										   containers * AUDIENCE_CONTAINER_SLOT_BYTES);

	if (containers > 0)
		total += nparts * containers *
			audience_container_estimate((double) roaring_bitmap_get_cardinality(bitmap) /
										containers * fraction + 1);
	return total;
}
