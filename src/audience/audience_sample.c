/*
 * audience_sample.c
 *	  Person ids from strings by hashing, deterministic samples, and A/B/n
 *	  splits.
 *
 * Both hashes are part of the stored-data contract and must never change:
 * stored audiences built from audience_hash() and holdout groups drawn with
 * audience_sample()/audience_split() would silently stop matching.
 *	 - audience_hash(text) = low 32 bits of XXH3_64bits(bytes of the text in
 *	   the database encoding), seed 0.
 *	 - a person's draw for a seed = XXH3_64bits_withSeed(the id as 4 bytes,
 *	   little-endian, seed as an unsigned 64-bit value (the int4 seed is
 *	   sign-extended)).  The person is in a sample of fraction f when
 *	   draw < f * 2^64, and in bucket floor(draw * n / 2^64) of an n-way split.
 * The draw depends on the id and the seed only, so the same person is in or
 * out (or in the same bucket) in every audience, every run, every machine.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "audience/audience_internal.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include <xxhash.h>

#define SAMPLE_CHUNK 4096
#define SPLIT_MAX_BUCKETS 1024

PG_FUNCTION_INFO_V1(audience_hash);
/* A person id in [0, 4294967295] for a string id: see the header comment. */
Datum
audience_hash(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	uint64		h = XXH3_64bits(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	PG_RETURN_INT64((int64) (h & UINT64CONST(0xFFFFFFFF)));
}

/* The stable per-person draw of sampling and splits. */
uint64
audience_id_hash(uint32 id, uint64 seed)
{
	uint8		le[4];

	/* Fixed little-endian encoding: the same draw on every machine. */
	le[0] = id & 0xFF;
	le[1] = (id >> 8) & 0xFF;
	le[2] = (id >> 16) & 0xFF;
	le[3] = (id >> 24) & 0xFF;
	return XXH3_64bits_withSeed(le, sizeof(le), seed);
}

/* The int4 seed as the hash seed (sign-extended, so -1 is 2^64 - 1). */
static uint64
audience_seed(int32 seed)
{
	return (uint64) (int64) seed;
}

/* The first bucket of an n-way split for a draw: floor(draw * n / 2^64). */
static inline uint32
audience_bucket(uint64 draw, uint32 n)
{
	return (uint32) (((unsigned __int128) draw * n) >> 64);
}

PG_FUNCTION_INFO_V1(audience_sample);
/* The persons of a whose draw for seed falls below fraction * 2^64. */
Datum
audience_sample(PG_FUNCTION_ARGS)
{
	double		fraction = PG_GETARG_FLOAT8(1);
	uint64		seed = audience_seed(PG_GETARG_INT32(2));
	const roaring_bitmap_t *a;
	AudienceBuilder *b;
	roaring_uint32_iterator_t it;
	uint64		threshold;
	uint32		buf[SAMPLE_CHUNK];
	uint32		keep[SAMPLE_CHUNK];

	if (isnan(fraction) || fraction < 0.0 || fraction > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample fraction %g is out of range", fraction),
				 errdetail("The fraction must be between 0 and 1.")));
	a = PG_GETARG_AUDIENCE_BITMAP(0);
	if (fraction == 0.0)
		PG_RETURN_AUDIENCE(audience_expanded_new(CurrentMemoryContext));
	if (fraction == 1.0)
		PG_RETURN_AUDIENCE(audience_expand(PG_GETARG_DATUM(0), CurrentMemoryContext));
	/* fraction < 1, so fraction * 2^64 < 2^64 except by rounding: clamp. */
	threshold = fraction * 18446744073709551616.0 >= 18446744073709551615.0 ?
		PG_UINT64_MAX : (uint64) (fraction * 18446744073709551616.0);
	/* A sample of a cheap run container is scattered ids: arrays or bitsets. */
	audience_memory_check(audience_estimate_parts(a, fraction, 1), "audience_sample");
	b = audience_builder_new(CurrentMemoryContext);

	roaring_init_iterator(a, &it);
	while (it.has_value)
	{
		uint32		n = roaring_read_uint32_iterator(&it, buf, SAMPLE_CHUNK);
		int			nkeep = 0;
		uint32		i;

		for (i = 0; i < n; i++)
			if (audience_id_hash(buf[i], seed) < threshold)
				keep[nkeep++] = buf[i];
		audience_builder_add_ids(b, keep, nkeep);
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_AUDIENCE(audience_builder_finish(b));
}

/* Deal the ids of a into n buckets by their draw for seed. */
static void
audience_split_fill(const roaring_bitmap_t *a, uint64 seed, AudienceBuilder **buckets, uint32 n)
{
	roaring_uint32_iterator_t it;
	uint32		buf[SAMPLE_CHUNK];

	roaring_init_iterator(a, &it);
	while (it.has_value)
	{
		uint32		count = roaring_read_uint32_iterator(&it, buf, SAMPLE_CHUNK);
		uint32		i;

		for (i = 0; i < count; i++)
			audience_builder_add_id(buckets[audience_bucket(audience_id_hash(buf[i], seed), n)],
									buf[i]);
		CHECK_FOR_INTERRUPTS();
	}
}

PG_FUNCTION_INFO_V1(audience_split);
/*
 * An n-way split of a: rows (bucket, members) for buckets 0 .. n-1, every
 * bucket listed even when empty.  Disjoint and covering by construction.
 */
Datum
audience_split(PG_FUNCTION_ARGS)
{
	int32		nbuckets = PG_GETARG_INT32(1);
	uint64		seed = audience_seed(PG_GETARG_INT32(2));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const roaring_bitmap_t *a;
	uint64		card;
	AudienceBuilder **buckets;
	int32		b;

	if (nbuckets < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of buckets %d is out of range", nbuckets),
				 errdetail("A split needs at least 1 bucket.")));
	if (nbuckets > SPLIT_MAX_BUCKETS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("number of buckets %d is too large", nbuckets),
				 errdetail("A split has at most %d buckets.", SPLIT_MAX_BUCKETS)));
	InitMaterializedSRF(fcinfo, 0);

	/* Read once: no use for the argument cache, and SRFs own fn_extra. */
	a = audience_datum_bitmap(PG_GETARG_DATUM(0));

	/*
	 * Every bucket gets a share of every container: a split of a cheap run
	 * container is scattered ids, arrays or bitsets in each bucket.  Each
	 * bucket also queues its ids (and groups them) before adding them.
	 */
	card = roaring_bitmap_get_cardinality(a);
	audience_memory_check(audience_estimate_parts(a, 1.0 / nbuckets, (uint32) nbuckets) +
						  2.0 * sizeof(uint32) * nbuckets *
						  Min((double) card / nbuckets + 1, (double) AUDIENCE_PENDING_MAX),
						  "audience_split");

	buckets = palloc(sizeof(AudienceBuilder *) * nbuckets);
	for (b = 0; b < nbuckets; b++)
		buckets[b] = audience_builder_new(CurrentMemoryContext);
	audience_split_fill(a, seed, buckets, (uint32) nbuckets);

	for (b = 0; b < nbuckets; b++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int32GetDatum(b);
		values[1] = audience_expanded_datum(audience_builder_finish(buckets[b]));
		/* The tuplestore stores the flat form of each bucket. */
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		DeleteExpandedObject(values[1]);
	}
	return (Datum) 0;
}
