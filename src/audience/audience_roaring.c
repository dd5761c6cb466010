/*
 * audience_roaring.c
 *	  Everything that reaches into CRoaring 0.2's private structs, fenced in
 *	  this one file: batched changes to a bitmap one container at a time
 *	  (adding many ids, OR-ing and XOR-ing stored audiences straight from
 *	  their portable bytes, decoding only some keys of a stored value), and
 *	  container-level reads (where two sets first differ, memory, statistics).
 *
 * The build refuses a libroaring other than the 0.2 series this was written
 * against (the static assertions below); `make QY_ROARING_PUBLIC_API=1`
 * builds audience_roaring_public.c instead, the same functions on CRoaring's
 * public API only: slower, but correct on any version.
 *
 * CRoaring's own calls work one input at a time.  roaring_bitmap_add_many
 * inserts each id into a sorted array container (a memmove per id), and a
 * union of N stored audiences deserialises each of them (a malloc and a copy
 * per container) and then walks the whole state N times.  When the state is
 * larger than the CPU caches (a union over 100M ids is 12 MB of bitsets),
 * that walk is bound by memory bandwidth and parallel workers only compete
 * for it.  Here a batch is grouped by container key first, so each
 * container of the state is loaded once per batch and takes all of the
 * batch's values while it is in cache; stored inputs are read in place.
 *
 * It reaches into CRoaring's containers (the roaring_array_t and the array,
 * bitset and run containers of the 0.2 series, whose headers Debian ships).
 * Bitsets the unions touch are left with
 * unknown cardinality: callers mark the bitmap lazy, and
 * roaring_bitmap_repair_after_lazy() counts them (and turns small ones back
 * into arrays) before anyone reads the bitmap.
 *
 * Every allocation that can fail is checked before the bitmap is changed:
 * on an error the bitmap still holds a valid set (with some of the batch
 * applied), so its owner can free it.
 */
#include "postgres.h"

#include <math.h>
#include <roaring/roaring_version.h>
#include <roaring/roaring_array.h>
#include <roaring/containers/containers.h>

#include "audience/audience_internal.h"
#include "audience/audience_bytes.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"

/*
 * The private layout this file was written against: CRoaring 0.2.66 (Debian
 * 12).  Another version may lay its structs out differently; it must be
 * built with QY_ROARING_PUBLIC_API=1 (doc/development.md) rather than have
 * this file write into memory it does not understand.
 */
StaticAssertDecl(ROARING_VERSION_MAJOR == 0 && ROARING_VERSION_MINOR == 2 &&
				 ROARING_VERSION_REVISION == 66,
				 "audience_roaring.c reads CRoaring 0.2.66's private structs; build with QY_ROARING_PUBLIC_API=1");
StaticAssertDecl(BITSET_CONTAINER_TYPE_CODE == 1 && ARRAY_CONTAINER_TYPE_CODE == 2 &&
				 RUN_CONTAINER_TYPE_CODE == 3 && SHARED_CONTAINER_TYPE_CODE == 4,
				 "CRoaring container type codes changed");
StaticAssertDecl(DEFAULT_MAX_SIZE == PORTABLE_ARRAY_MAX &&
				 BITSET_CONTAINER_SIZE_IN_WORDS == PORTABLE_BITSET_WORDS &&
				 BITSET_UNKNOWN_CARDINALITY == -1,
				 "CRoaring container sizes changed");
StaticAssertDecl(sizeof(rle16_t) == 4 && offsetof(rle16_t, length) == 2,
				 "CRoaring run layout changed");

#define CONTAINER_VALUES 65536
#define BITSET_WORDS 1024
#define FULL_RUN_CARD CONTAINER_VALUES

/* The kinds of a portable container (audience_bytes.h), and queued ids. */
#define REF_ARRAY PORTABLE_ARRAY
#define REF_BITSET PORTABLE_BITSET
#define REF_RUN PORTABLE_RUN
#define REF_IDS (PORTABLE_RUN + 1)	/* count uint32 ids sharing the key */

/*
 * The values of one container, wherever they live: a container of the
 * bitmap, a container inside a stored value's portable bytes (which may be
 * unaligned, so data is read with memcpy), or a run of queued ids.
 */
typedef struct ContainerRef
{
	uint16		key;			/* the high 16 bits of its ids */
	uint8		kind;			/* REF_* */
	uint32		count;			/* elements in data */
	uint32		card;			/* an upper bound of its cardinality */
	const uint8 *data;
} ContainerRef;

/* The ref of a container read from portable bytes. */
static ContainerRef
ref_of_portable(const PortableContainer *c)
{
	ContainerRef ref;

	ref.key = c->key;
	ref.kind = c->kind;
	ref.card = c->card;
	ref.count = c->count;
	ref.data = c->data;
	return ref;
}

/* A container built for a key the bitmap does not have yet. */
typedef struct FreshContainer
{
	uint16		key;
	uint8		typecode;
	void	   *container;
} FreshContainer;

/*
 * Set (flip false) or flip the bits of count 16-bit values (a stored array
 * container) in a bitset's words.  This loop is most of the time of a
 * union or XOR aggregate over array containers: four values per turn, the
 * values read once.
 */
static pg_attribute_always_inline void
words_apply_array(uint64 *pg_restrict words, const uint8 *pg_restrict data, uint32 count,
				  bool flip)
{
	uint32		i = 0;

	for (; i + 4 <= count; i += 4)
	{
		uint16		v0 = portable_u16(data + 2 * i);
		uint16		v1 = portable_u16(data + 2 * i + 2);
		uint16		v2 = portable_u16(data + 2 * i + 4);
		uint16		v3 = portable_u16(data + 2 * i + 6);

		if (flip)
		{
			words[v0 >> 6] ^= UINT64CONST(1) << (v0 & 63);
			words[v1 >> 6] ^= UINT64CONST(1) << (v1 & 63);
			words[v2 >> 6] ^= UINT64CONST(1) << (v2 & 63);
			words[v3 >> 6] ^= UINT64CONST(1) << (v3 & 63);
		}
		else
		{
			words[v0 >> 6] |= UINT64CONST(1) << (v0 & 63);
			words[v1 >> 6] |= UINT64CONST(1) << (v1 & 63);
			words[v2 >> 6] |= UINT64CONST(1) << (v2 & 63);
			words[v3 >> 6] |= UINT64CONST(1) << (v3 & 63);
		}
	}
	for (; i < count; i++)
	{
		uint16		v = portable_u16(data + 2 * i);

		if (flip)
			words[v >> 6] ^= UINT64CONST(1) << (v & 63);
		else
			words[v >> 6] |= UINT64CONST(1) << (v & 63);
	}
}

/* OR the values of ref into a bitset's words. */
static pg_attribute_always_inline void
words_or_ref(uint64 *words, const ContainerRef *ref)
{
	uint32		i;

	switch (ref->kind)
	{
		case REF_ARRAY:
			words_apply_array(words, ref->data, ref->count, false);
			break;
		case REF_BITSET:
			for (i = 0; i < BITSET_WORDS; i++)
				words[i] |= portable_u64(ref->data + 8 * i);
			break;
		case REF_RUN:
			for (i = 0; i < ref->count; i++)
				bitset_set_lenrange(words, portable_u16(ref->data + 4 * i),
									portable_u16(ref->data + 4 * i + 2));
			break;
		case REF_IDS:
			{
				const uint32 *ids = (const uint32 *) ref->data;

				for (i = 0; i < ref->count; i++)
					words[(ids[i] & 0xFFFF) >> 6] |= UINT64CONST(1) << (ids[i] & 63);
			}
			break;
	}
}

/* The ref of a container of the bitmap. */
static ContainerRef
ref_of_container(uint16 key, const void *container, uint8 typecode)
{
	ContainerRef ref = {key, 0, 0, 0, NULL};

	switch (typecode)
	{
		case ARRAY_CONTAINER_TYPE_CODE:
			{
				const array_container_t *a = container;

				ref.kind = REF_ARRAY;
				ref.count = ref.card = a->cardinality;
				ref.data = (const uint8 *) a->array;
			}
			break;
		case BITSET_CONTAINER_TYPE_CODE:
			{
				const bitset_container_t *b = container;

				ref.kind = REF_BITSET;
				ref.card = b->cardinality < 0 ? CONTAINER_VALUES : b->cardinality;
				ref.data = (const uint8 *) b->array;
			}
			break;
		case RUN_CONTAINER_TYPE_CODE:
			{
				const run_container_t *r = container;
				int32		i;

				ref.kind = REF_RUN;
				ref.count = r->n_runs;
				for (i = 0; i < r->n_runs; i++)
					ref.card += r->runs[i].length + 1;
				ref.data = (const uint8 *) r->runs;
			}
			break;
		default:
			elog(ERROR, "unexpected roaring container type %d", typecode);
	}
	return ref;
}

/*
 * x86-64 instructions the XOR merge uses when the CPU has them, chosen at
 * run time (the build targets any x86-64): POPCNT to count bitsets (CRoaring
 * 0.2 as Debian builds it counts with a portable bit-twiddling popcount, and
 * PostgreSQL's pg_popcount64 is a call through a pointer per word), and
 * BMI2's shifts, which take one instruction less per flipped value (the
 * loop that flips array values is bound by instructions, not memory:
 * 16% faster measured).
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define ROARING_X86_DISPATCH
static int	cpu_has_popcnt = -1;
static bool cpu_has_bmi2;

static void
cpu_probe(void)
{
	__builtin_cpu_init();
	cpu_has_bmi2 = __builtin_cpu_supports("bmi2");
	cpu_has_popcnt = __builtin_cpu_supports("popcnt") ? 1 : 0;
}
#endif

/* The number of bits set in a bitset's words. */
static pg_attribute_always_inline int32
words_card_body(const uint64 *words)
{
	uint64		c0 = 0,
				c1 = 0,
				c2 = 0,
				c3 = 0;
	int			i;

	for (i = 0; i < BITSET_WORDS; i += 4)
	{
#ifdef __GNUC__
		c0 += __builtin_popcountll(words[i]);
		c1 += __builtin_popcountll(words[i + 1]);
		c2 += __builtin_popcountll(words[i + 2]);
		c3 += __builtin_popcountll(words[i + 3]);
#else
		c0 += pg_popcount64(words[i]);
		c1 += pg_popcount64(words[i + 1]);
		c2 += pg_popcount64(words[i + 2]);
		c3 += pg_popcount64(words[i + 3]);
#endif
	}
	return (int32) (c0 + c1 + c2 + c3);
}

#ifdef ROARING_X86_DISPATCH
__attribute__((target("popcnt")))
static int32
words_card_popcnt(const uint64 *words)
{
	return words_card_body(words);
}
#endif

static int32
words_card(const uint64 *words)
{
#ifdef ROARING_X86_DISPATCH
	int32		card = 0;
	int			i;

	if (unlikely(cpu_has_popcnt < 0))
		cpu_probe();
	if (cpu_has_popcnt)
		return words_card_popcnt(words);
	for (i = 0; i < BITSET_WORDS; i++)
		card += pg_popcount64(words[i]);
	return card;
#else
	return words_card_body(words);
#endif
}

/* XOR the values of ref into a bitset's words. */
static pg_attribute_always_inline void
words_xor_ref(uint64 *words, const ContainerRef *ref)
{
	const uint8 *data = ref->data;
	uint32		count = ref->count;
	uint32		i;

	switch (ref->kind)
	{
		case REF_ARRAY:
			words_apply_array(words, data, count, true);
			break;
		case REF_BITSET:
			for (i = 0; i < BITSET_WORDS; i++)
				words[i] ^= portable_u64(data + 8 * i);
			break;
		default:
			for (i = 0; i < count; i++)
			{
				uint32		start = portable_u16(data + 4 * i);

				bitset_flip_range(words, start, start + portable_u16(data + 4 * i + 2) + 1);
			}
			break;
	}
}

/*
 * How much of the next input container to prefetch while flipping the
 * current one: the inputs of a key are scattered over the batch's arena,
 * too many streams for the hardware prefetcher to follow.
 */
#define PREFETCH_BYTES 2048

/* OR (flip false) or XOR the values of n refs into a bitset's words. */
static pg_attribute_always_inline void
words_refs_body(uint64 *words, const ContainerRef *refs, int n, bool flip)
{
	int			i;

	for (i = 0; i < n; i++)
	{
#ifdef __GNUC__
		if (i + 1 < n && refs[i + 1].kind != REF_BITSET)
		{
			const ContainerRef *next = &refs[i + 1];
			uint32		bytes = Min(next->count * (next->kind == REF_ARRAY ? 2 : 4),
									PREFETCH_BYTES);
			uint32		off;

			for (off = 0; off < bytes; off += 64)
				__builtin_prefetch(next->data + off);
		}
#endif
		if (flip)
			words_xor_ref(words, &refs[i]);
		else
			words_or_ref(words, &refs[i]);
	}
}

#ifdef ROARING_X86_DISPATCH
__attribute__((target("bmi2")))
static void
words_or_refs_bmi2(uint64 *words, const ContainerRef *refs, int n)
{
	words_refs_body(words, refs, n, false);
}

__attribute__((target("bmi2")))
static void
words_xor_refs_bmi2(uint64 *words, const ContainerRef *refs, int n)
{
	words_refs_body(words, refs, n, true);
}
#endif

/* OR (flip false) or XOR the values of n refs into a bitset's words. */
static void
words_apply_refs(uint64 *words, const ContainerRef *refs, int n, bool flip)
{
#ifdef ROARING_X86_DISPATCH
	if (unlikely(cpu_has_popcnt < 0))
		cpu_probe();
	if (cpu_has_bmi2)
	{
		if (flip)
			words_xor_refs_bmi2(words, refs, n);
		else
			words_or_refs_bmi2(words, refs, n);
		return;
	}
#endif
	if (flip)
		words_refs_body(words, refs, n, true);
	else
		words_refs_body(words, refs, n, false);
}

/*
 * An array container of the bits in scratch, which is cleared on the way
 * (a bitset container when there are more than an array may hold).
 */
static void *
container_from_scratch(uint64 *scratch, uint8 *typecode)
{
	int			card = words_card(scratch);
	int			i;
	array_container_t *a;

	if (card > DEFAULT_MAX_SIZE)
	{
		bitset_container_t *b = bitset_container_create();

		if (b != NULL)
		{
			memcpy(b->array, scratch, BITSET_WORDS * sizeof(uint64));
			b->cardinality = card;
		}
		memset(scratch, 0, BITSET_WORDS * sizeof(uint64));
		*typecode = BITSET_CONTAINER_TYPE_CODE;
		return b;
	}
	a = array_container_create_given_capacity(Max(card, 1));
	for (i = 0; i < BITSET_WORDS; i++)
	{
		uint64		w = scratch[i];

		while (w != 0 && a != NULL)
		{
			a->array[a->cardinality++] = (uint16) (i * 64 + pg_rightmost_one_pos64(w));
			w &= w - 1;
		}
		scratch[i] = 0;
	}
	*typecode = ARRAY_CONTAINER_TYPE_CODE;
	return a;
}

/* Order runs by their start. */
static int
run_start_cmp(const void *a, const void *b)
{
	return (int) ((const rle16_t *) a)->value - (int) ((const rle16_t *) b)->value;
}

/* The union of run-only refs as a run container (runs stay compact). */
static void *
runs_union(const ContainerRef *refs, int n, uint8 *typecode)
{
	uint32		total = 0;
	uint32		i,
				k = 0;
	int			j;
	rle16_t    *runs;
	run_container_t *result;

	for (j = 0; j < n; j++)
		total += refs[j].count;
	runs = palloc(Max(total, 1) * sizeof(rle16_t));
	for (j = 0; j < n; j++)
		for (i = 0; i < refs[j].count; i++)
		{
			runs[k].value = portable_u16(refs[j].data + 4 * i);
			runs[k].length = portable_u16(refs[j].data + 4 * i + 2);
			k++;
		}
	qsort(runs, total, sizeof(rle16_t), run_start_cmp);

	/* Coalesce overlapping and adjacent runs in place. */
	k = 0;
	for (i = 1; i < total; i++)
	{
		uint32		end = (uint32) runs[k].value + runs[k].length;

		if ((uint32) runs[i].value <= end + 1)
		{
			uint32		new_end = Max(end, (uint32) runs[i].value + runs[i].length);

			runs[k].length = (uint16) (new_end - runs[k].value);
		}
		else
			runs[++k] = runs[i];
	}
	result = run_container_create_given_capacity(k + 1);
	if (result != NULL)
	{
		memcpy(result->runs, runs, (k + 1) * sizeof(rle16_t));
		result->n_runs = k + 1;
	}
	pfree(runs);
	*typecode = RUN_CONTAINER_TYPE_CODE;
	return result;
}

/* A container holding a copy of one ref of a stored value. */
static void *
container_copy_ref(const ContainerRef *ref, uint8 *typecode)
{
	switch (ref->kind)
	{
		case REF_ARRAY:
			{
				array_container_t *a = array_container_create_given_capacity(ref->count);

				if (a != NULL)
				{
					memcpy(a->array, ref->data, ref->count * sizeof(uint16));
					a->cardinality = ref->count;
				}
				*typecode = ARRAY_CONTAINER_TYPE_CODE;
				return a;
			}
		case REF_BITSET:
			{
				bitset_container_t *b = bitset_container_create();

				if (b != NULL)
				{
					memcpy(b->array, ref->data, BITSET_WORDS * sizeof(uint64));
					b->cardinality = BITSET_UNKNOWN_CARDINALITY;
				}
				*typecode = BITSET_CONTAINER_TYPE_CODE;
				return b;
			}
		default:
			return runs_union(ref, 1, typecode);
	}
}

/*
 * A growing array container becomes a bitset once it would pass
 * BITSET_MIN_IDS ids (not DEFAULT_MAX_SIZE): later batches then set bits in
 * place instead of rebuilding a sorted array each time.  Lazy repair turns
 * bitsets of at most DEFAULT_MAX_SIZE ids back into arrays, so the stored
 * form is the same; the state meanwhile takes at most 16 bytes per id
 * (512 measured 5% faster than 1,024 for 10M ids spread over 100M).
 */
#define BITSET_MIN_IDS 512

/*
 * A new container holding the union of the refs (all of one key); NULL when
 * out of memory.  Small unions become arrays, unions of runs stay runs, the
 * rest are bitsets of unknown cardinality.
 */
static void *
container_union(const ContainerRef *refs, int n, uint64 *scratch, uint8 *typecode)
{
	uint64		upper = 0;
	bool		all_runs = true;
	bitset_container_t *b;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (refs[i].kind == REF_RUN && refs[i].card == FULL_RUN_CARD)
			return runs_union(&refs[i], 1, typecode);
		upper += refs[i].card;
		all_runs &= refs[i].kind == REF_RUN;
	}
	if (n == 1 && refs[0].kind != REF_IDS)
		return container_copy_ref(&refs[0], typecode);
	if (all_runs)
		return runs_union(refs, n, typecode);
	if (upper <= BITSET_MIN_IDS)
	{
		words_apply_refs(scratch, refs, n, false);
		return container_from_scratch(scratch, typecode);
	}
	b = bitset_container_create();
	if (b != NULL)
	{
		words_apply_refs(b->array, refs, n, false);
		b->cardinality = BITSET_UNKNOWN_CARDINALITY;
	}
	*typecode = BITSET_CONTAINER_TYPE_CODE;
	return b;
}

/*
 * Containers built for keys the bitmap does not have yet, in key order.
 * They belong to this list until insert_fresh() hands them to the bitmap;
 * on an error before that, merge_sorted_refs() frees them.
 */
typedef struct FreshList
{
	FreshContainer *items;
	int			n;
} FreshList;

#define IDS_SORT_MAX 128

/* Sort a few 16-bit values (insertion sort). */
static void
sort_lows(uint16 *v, int n)
{
	int			i,
				j;

	for (i = 1; i < n; i++)
	{
		uint16		x = v[i];

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* A new array of the sorted union of an array container and sorted lows. */
static void *
array_merge_lows(const array_container_t *a, const uint16 *lows, int m, uint8 *typecode)
{
	int			c = a == NULL ? 0 : a->cardinality;
	array_container_t *result = array_container_create_given_capacity(c + m);
	int			i = 0,
				j = 0,
				k = 0;

	*typecode = ARRAY_CONTAINER_TYPE_CODE;
	if (result == NULL)
		return NULL;
	while (i < c || j < m)
	{
		uint16		v;

		if (j == m || (i < c && a->array[i] <= lows[j]))
			v = a->array[i++];
		else
			v = lows[j++];
		if (k == 0 || result->array[k - 1] != v)
			result->array[k++] = v;
	}
	result->cardinality = k;
	return result;
}

/*
 * A new container with an array container's ids (NULL: none) and a group
 * of queued ids; NULL when out of memory.
 */
static void *
array_add_ids(const array_container_t *a, const ContainerRef *ids, uint64 *scratch,
			  uint8 *typecode)
{
	ContainerRef both[2];
	int			n = 0;

	if (a != NULL)
		both[n++] = ref_of_container(ids->key, a, ARRAY_CONTAINER_TYPE_CODE);
	both[n++] = *ids;
	if (ids->count <= IDS_SORT_MAX && (a == NULL ? 0 : a->cardinality) + ids->count <= BITSET_MIN_IDS)
	{
		uint16		lows[IDS_SORT_MAX];
		uint32		i;

		for (i = 0; i < ids->count; i++)
			lows[i] = (uint16) ((const uint32 *) ids->data)[i];
		sort_lows(lows, ids->count);
		return array_merge_lows(a, lows, ids->count, typecode);
	}
	if (both[0].card + (n == 2 ? both[1].card : 0) <= BITSET_MIN_IDS)
		return container_union(both, n, scratch, typecode);
	{
		bitset_container_t *b = bitset_container_create();

		if (b != NULL)
		{
			words_apply_refs(b->array, both, n, false);
			b->cardinality = BITSET_UNKNOWN_CARDINALITY;
		}
		*typecode = BITSET_CONTAINER_TYPE_CODE;
		return b;
	}
}

static void
merge_out_of_memory(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("out of memory"),
			 errdetail("CRoaring could not allocate memory for an audience.")));
}

/* Move the fresh containers into the bitmap, keeping its keys in order. */
static void
insert_fresh(roaring_array_t *ra, FreshList *fresh)
{
	int32		i,
				j,
				k;

	if (fresh->n == 0)
		return;
	if (!extend_array(ra, fresh->n))
		merge_out_of_memory();
	/* Merge from the back, so nothing is overwritten before it moves. */
	i = ra->size - 1;
	j = fresh->n - 1;
	for (k = ra->size + fresh->n - 1; j >= 0; k--)
	{
		const FreshContainer *f = &fresh->items[j];

		if (i >= 0 && ra->keys[i] > f->key)
		{
			ra->keys[k] = ra->keys[i];
			ra->containers[k] = ra->containers[i];
			ra->typecodes[k] = ra->typecodes[i];
			i--;
		}
		else
		{
			ra->keys[k] = f->key;
			ra->containers[k] = f->container;
			ra->typecodes[k] = f->typecode;
			j--;
		}
	}
	ra->size += fresh->n;
	fresh->n = 0;
}

/*
 * Merge one key's refs into the container at pos: in place for a bitset,
 * else through a new container that replaces the old one.
 */
static void
merge_into_existing(roaring_array_t *ra, int32 pos, const ContainerRef *refs, int n,
					ContainerRef *group, uint64 *scratch)
{
	void	   *old = ra->containers[pos];
	uint8		typecode;
	void	   *merged;

	if (ra->typecodes[pos] == BITSET_CONTAINER_TYPE_CODE)
	{
		bitset_container_t *b = old;

		words_apply_refs(b->array, refs, n, false);
		b->cardinality = BITSET_UNKNOWN_CARDINALITY;
		return;
	}
	if (n == 1 && refs[0].kind == REF_IDS && ra->typecodes[pos] == ARRAY_CONTAINER_TYPE_CODE)
		merged = array_add_ids(old, &refs[0], scratch, &typecode);
	else
	{
		group[0] = ref_of_container(ra->keys[pos], old, ra->typecodes[pos]);
		memcpy(&group[1], refs, n * sizeof(ContainerRef));
		merged = container_union(group, n + 1, scratch, &typecode);
	}
	if (merged == NULL)
		merge_out_of_memory();
	container_free(old, ra->typecodes[pos]);
	ra->containers[pos] = merged;
	ra->typecodes[pos] = typecode;
}

/* Index of the first ref after refs[start] with another key. */
static int
group_end(const ContainerRef *refs, int nrefs, int start)
{
	int			end = start + 1;

	while (end < nrefs && refs[end].key == refs[start].key)
		end++;
	return end;
}

/*
 * OR refs, sorted by key, into the bitmap: each container of the bitmap is
 * visited once, with all the refs of its key.
 */
static void
merge_sorted_refs(roaring_bitmap_t *bitmap, const ContainerRef *refs, int nrefs)
{
	roaring_array_t *ra = &bitmap->high_low_container;
	int			max_group = 1;
	int			nkeys = 0;
	int			g,
				end;
	ContainerRef *group;
	FreshList  *fresh;
	uint64	   *scratch;

	for (g = 0; g < nrefs; g = end)
	{
		end = group_end(refs, nrefs, g);
		max_group = Max(max_group, end - g);
		nkeys++;
	}
	group = palloc((max_group + 1) * sizeof(ContainerRef));
	scratch = palloc0(BITSET_WORDS * sizeof(uint64));
	fresh = palloc(sizeof(FreshList));
	fresh->items = palloc(nkeys * sizeof(FreshContainer));
	fresh->n = 0;

	PG_TRY();
	{
		int32		pos = 0;
		int			next_check = 0;

		for (g = 0; g < nrefs; g = end)
		{
			uint16		key = refs[g].key;

			/* Every 1024 refs (g moves a whole key's group at a time). */
			if (g >= next_check)
			{
				CHECK_FOR_INTERRUPTS();
				next_check = g + 1024;
			}
			end = group_end(refs, nrefs, g);
			while (pos < ra->size && ra->keys[pos] < key)
				pos++;
			if (pos < ra->size && ra->keys[pos] == key)
				merge_into_existing(ra, pos, &refs[g], end - g, group, scratch);
			else
			{
				FreshContainer *f = &fresh->items[fresh->n];

				f->key = key;
				if (end - g == 1 && refs[g].kind == REF_IDS)
					f->container = array_add_ids(NULL, &refs[g], scratch, &f->typecode);
				else
					f->container = container_union(&refs[g], end - g, scratch, &f->typecode);
				if (f->container == NULL)
					merge_out_of_memory();
				fresh->n++;
			}
		}
		insert_fresh(ra, fresh);
	}
	PG_CATCH();
	{
		int			i;

		for (i = 0; i < fresh->n; i++)
			container_free(fresh->items[i].container, fresh->items[i].typecode);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pfree(fresh->items);
	pfree(fresh);
	pfree(scratch);
	pfree(group);
}

/*
 * Add n ids (any order, repeats allowed) to the bitmap.  The ids are grouped
 * by container key into scratch (room for n ids) with one counting sort.
 * The caller must mark the bitmap lazy.
 */
void
audience_merge_ids(roaring_bitmap_t *bitmap, const uint32 *ids, uint32 *scratch, int n)
{
	uint32	   *next;
	ContainerRef *refs;
	int			nrefs = 0;
	uint32		lo = CONTAINER_VALUES - 1,
				hi = 0,
				pos = 0,
				key;
	int			i;

	if (n == 0)
		return;
	/* Count the ids of each key, over the range of keys the batch has. */
	for (i = 0; i < n; i++)
	{
		key = ids[i] >> 16;
		lo = Min(lo, key);
		hi = Max(hi, key);
	}
	next = palloc0((hi - lo + 1) * sizeof(uint32));
	for (i = 0; i < n; i++)
		next[(ids[i] >> 16) - lo]++;
	refs = palloc(Min((uint32) n, hi - lo + 1) * sizeof(ContainerRef));
	for (key = lo; key <= hi; key++)
	{
		uint32		count = next[key - lo];

		if (count == 0)
			continue;
		refs[nrefs].key = (uint16) key;
		refs[nrefs].kind = REF_IDS;
		refs[nrefs].count = refs[nrefs].card = count;
		refs[nrefs].data = (const uint8 *) &scratch[pos];
		nrefs++;
		next[key - lo] = pos;
		pos += count;
	}
	for (i = 0; i < n; i++)
		scratch[next[(ids[i] >> 16) - lo]++] = ids[i];
	pfree(next);
	merge_sorted_refs(bitmap, refs, nrefs);
	pfree(refs);
}

/*
 * Append the containers of a portable payload to refs; returns how many.
 * The reader bounds-checks every container and run, so a damaged stored
 * value raises an error instead of reading or writing out of bounds.
 * (Values were fully validated when they entered the database.)
 */
static uint32
portable_refs(const uint8 *buf, Size len, ContainerRef *refs)
{
	PortableReader r;
	PortableContainer c;
	uint32		i;

	audience_portable_open_stored(&r, (const char *) buf, len);
	for (i = 0; i < r.size; i++)
	{
		if (!portable_read(&r, &c))
			audience_stored_corrupted();
		refs[i] = ref_of_portable(&c);
	}
	return r.size;
}

/* One stable 8-bit counting pass of refs by key, from src into dst. */
static void
refs_radix_pass(const ContainerRef *src, ContainerRef *dst, int n, int shift)
{
	int			count[257] = {0};
	int			i;

	for (i = 0; i < n; i++)
		count[((src[i].key >> shift) & 0xFF) + 1]++;
	for (i = 0; i < 256; i++)
		count[i + 1] += count[i];
	for (i = 0; i < n; i++)
		dst[count[(src[i].key >> shift) & 0xFF]++] = src[i];
}

/* Sort refs by key in place, using tmp (room for n refs). */
static void
sort_refs_by_key(ContainerRef *refs, ContainerRef *tmp, int n)
{
	refs_radix_pass(refs, tmp, n, 0);
	refs_radix_pass(tmp, refs, n, 8);
}

/*
 * The containers of n stored values, as references into their payloads,
 * sorted by key; *total is their number (0: none, and NULL is returned).
 * The table comes from scratch, grown as needed and kept for the next call,
 * or with scratch NULL from the current context (the caller pfrees it).
 */
static ContainerRef *
flats_sorted_refs(AudienceFlat *const *flats, int n, AudienceMergeScratch *scratch,
				  uint32 *total)
{
	uint32		k = 0;
	Size		bytes;
	ContainerRef *refs;
	int			i;

	*total = 0;
	for (i = 0; i < n; i++)
		*total += audience_flat_containers(flats[i]);
	if (*total == 0)
		return NULL;
	bytes = 2 * (Size) *total * sizeof(ContainerRef);
	if (scratch == NULL)
		refs = palloc(bytes);
	else
	{
		if (scratch->size < bytes)
		{
			if (scratch->buf != NULL)
				pfree(scratch->buf);
			scratch->buf = MemoryContextAlloc(scratch->cxt, bytes);
			scratch->size = bytes;
		}
		refs = (ContainerRef *) scratch->buf;
	}
	for (i = 0; i < n; i++)
		k += portable_refs((const uint8 *) flats[i]->payload,
						   AUDIENCE_PAYLOAD_SIZE(flats[i]), &refs[k]);
	sort_refs_by_key(refs, &refs[*total], *total);
	return refs;
}

/*
 * OR n stored values into the bitmap, reading their portable payloads in
 * place.  The caller must mark the bitmap lazy.  scratch as for
 * flats_sorted_refs().
 */
void
audience_merge_flats(roaring_bitmap_t *bitmap, AudienceFlat *const *flats, int n,
					 AudienceMergeScratch *scratch)
{
	uint32		total;
	ContainerRef *refs = flats_sorted_refs(flats, n, scratch, &total);

	if (total == 0)
		return;
	merge_sorted_refs(bitmap, refs, total);
	if (scratch == NULL)
		pfree(refs);
}

/*
 * A copy of a stored container with an exact cardinality (CRoaring's ops
 * need it).  A bitset's is counted, not taken from the stored header: a
 * stored value is read without re-validation, and CRoaring sizes the array
 * it turns a bitset into by that count.
 */
static void *
container_copy_ref_exact(const ContainerRef *ref, uint8 *typecode)
{
	void	   *container = container_copy_ref(ref, typecode);

	if (container == NULL)
		merge_out_of_memory();
	if (*typecode == BITSET_CONTAINER_TYPE_CODE)
		((bitset_container_t *) container)->cardinality =
			words_card(((bitset_container_t *) container)->array);
	return container;
}

/* The same, from a container read from portable bytes. */
static void *
container_copy_exact(const PortableContainer *c, uint8 *typecode)
{
	ContainerRef ref = ref_of_portable(c);

	return container_copy_ref_exact(&ref, typecode);
}

/* Drop the containers set to NULL (emptied), keeping the order. */
static void
compact_emptied(roaring_array_t *ra)
{
	int32		i,
				k = 0;

	for (i = 0; i < ra->size; i++)
		if (ra->containers[i] != NULL)
		{
			ra->keys[k] = ra->keys[i];
			ra->containers[k] = ra->containers[i];
			ra->typecodes[k] = ra->typecodes[i];
			k++;
		}
	ra->size = k;
}

static void container_to_words(const void *container, uint8 typecode, uint64 *words);

/*
 * Count the bitset container *container after changes to its words and
 * give it the form CRoaring's operations would: freed (NULL) when empty, an
 * array when small.  Its count is stored first, so on an error the
 * container is valid.
 */
static void
bitset_settle(void **container, uint8 *typecode)
{
	bitset_container_t *b = *container;

	b->cardinality = words_card(b->array);
	if (b->cardinality == 0)
	{
		bitset_container_free(b);
		*container = NULL;
	}
	else if (b->cardinality <= DEFAULT_MAX_SIZE)
	{
		array_container_t *a = array_container_from_bitset(b);

		if (a == NULL)
			merge_out_of_memory();
		bitset_container_free(b);
		*container = a;
		*typecode = ARRAY_CONTAINER_TYPE_CODE;
	}
}

/*
 * XOR the n refs of one key into *container (NULL: the bitmap has no
 * container of that key yet); *container is NULL (freed) when the result is
 * empty.  Results are the containers the one-input-at-a-time path gives
 * (CRoaring's container XOR):
 *	 - a bitset is XOR-ed in place by every ref, then counted and settled
 *	   once (an array when small);
 *	 - arrays and bitsets only, more than one: XOR-ed in words, then made an
 *	   array or a bitset by cardinality, as CRoaring's container XOR does;
 *	   the words are a new bitset container when the result may be one,
 *	   else scratch;
 *	 - with runs, or one ref: one CRoaring container XOR per ref (it keeps
 *	   runs).
 */
static void
xor_group(void **container, uint8 *typecode, const ContainerRef *refs, int n,
		  uint64 *scratch)
{
	bool		runs = (*container != NULL && *typecode == RUN_CONTAINER_TYPE_CODE);
	int			i;

	if (*container != NULL && *typecode == BITSET_CONTAINER_TYPE_CODE)
	{
		words_apply_refs(((bitset_container_t *) *container)->array, refs, n, true);
		bitset_settle(container, typecode);
		return;
	}
	for (i = 0; i < n && !runs; i++)
		runs = (refs[i].kind == REF_RUN);
	if (!runs && n > 1)
	{
		uint64		upper = 0;
		void	   *result;
		uint8		result_type;

		if (*container != NULL)
			upper = container_get_cardinality(*container, *typecode);
		for (i = 0; i < n; i++)
			upper += refs[i].card;
		if (upper > DEFAULT_MAX_SIZE)
		{
			bitset_container_t *b = bitset_container_create();

			if (b == NULL)
				merge_out_of_memory();
			if (*container != NULL)
			{
				container_to_words(*container, *typecode, b->array);
				container_free(*container, *typecode);
			}
			/* From here the bitmap owns b; settled before anything can fail. */
			*container = b;
			*typecode = BITSET_CONTAINER_TYPE_CODE;
			words_apply_refs(b->array, refs, n, true);
			bitset_settle(container, typecode);
			return;
		}
		if (*container != NULL)
			container_to_words(*container, *typecode, scratch);
		words_apply_refs(scratch, refs, n, true);
		result = container_from_scratch(scratch, &result_type);
		if (result == NULL)
			merge_out_of_memory();
		if (*container != NULL)
			container_free(*container, *typecode);
		*container = result;
		*typecode = result_type;
	}
	else
	{
		for (i = 0; i < n; i++)
		{
			uint8		in_type,
						result_type;
			void	   *in = container_copy_ref_exact(&refs[i], &in_type);
			void	   *result;

			if (*container == NULL)
			{
				*container = in;
				*typecode = in_type;
				continue;
			}
			result = container_xor(*container, *typecode, in, in_type, &result_type);
			container_free(in, in_type);
			if (result == NULL)
				merge_out_of_memory();
			container_free(*container, *typecode);
			*container = result;
			*typecode = result_type;
		}
	}
	if (container_get_cardinality(*container, *typecode) == 0)
	{
		container_free(*container, *typecode);
		*container = NULL;
	}
}

/* The loop of xor_refs_into(): XOR refs, sorted by key, into ra. */
static void
xor_sorted_refs(roaring_array_t *ra, const ContainerRef *refs, int nrefs,
				FreshList *fresh, uint64 *words)
{
	int32		pos = 0;
	int			checked = 0;
	int			g,
				end;

	for (g = 0; g < nrefs; g = end)
	{
		uint16		key = refs[g].key;

		/* Every 1024 refs (g itself skips most multiples of 1024). */
		if (g >= checked)
		{
			CHECK_FOR_INTERRUPTS();
			checked = g + 1024;
		}
		end = group_end(refs, nrefs, g);
		/* Galloping: one small input may meet a bitmap of many keys. */
		pos = ra_advance_until(ra, key, pos - 1);
		if (pos < ra->size && ra->keys[pos] == key)
			xor_group(&ra->containers[pos], &ra->typecodes[pos], &refs[g], end - g, words);
		else
		{
			FreshContainer *f = &fresh->items[fresh->n];

			f->key = key;
			f->container = NULL;
			fresh->n++;		/* freed on error when it got a container */
			xor_group(&f->container, &f->typecode, &refs[g], end - g, words);
			if (f->container == NULL)
				fresh->n--;
		}
	}
}

/*
 * XOR refs, sorted by key, into ra; on error the bitmap stays valid (with
 * some of the refs applied), and the containers made for new keys are freed.
 */
static void
xor_refs_into(roaring_array_t *ra, const ContainerRef *refs, int nrefs)
{
	FreshList	fresh;
	uint64	   *words;
	int			nkeys = 0;
	int			i;

	for (i = 0; i < nrefs; i = group_end(refs, nrefs, i))
		nkeys++;
	words = palloc0(BITSET_WORDS * sizeof(uint64));
	fresh.items = palloc(Max(nkeys, 1) * sizeof(FreshContainer));
	fresh.n = 0;
	PG_TRY();
	{
		xor_sorted_refs(ra, refs, nrefs, &fresh, words);
		compact_emptied(ra);
		insert_fresh(ra, &fresh);
	}
	PG_CATCH();
	{
		compact_emptied(ra);
		for (i = 0; i < fresh.n; i++)
			if (fresh.items[i].container != NULL)
				container_free(fresh.items[i].container, fresh.items[i].typecode);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pfree(fresh.items);
	pfree(words);
}

/*
 * XOR a stored value into the bitmap, in place, reading its portable bytes
 * container by container: containers of keys the bitmap lacks are copied
 * in, the others are XOR-ed with the bitmap's (bitsets in place).  The
 * bitmap's cardinalities stay exact; it is not left lazy.
 */
void
audience_xor_flat(roaring_bitmap_t *bitmap, const AudienceFlat *flat)
{
	ContainerRef *refs;
	uint32		n;

	audience_header_check(flat);
	refs = palloc(Max(audience_flat_containers(flat), 1) * sizeof(ContainerRef));
	n = portable_refs((const uint8 *) flat->payload, AUDIENCE_PAYLOAD_SIZE(flat), refs);
	if (n > 0)
		xor_refs_into(&bitmap->high_low_container, refs, (int) n);
	pfree(refs);
}

/*
 * XOR n stored values into the bitmap, reading their portable payloads in
 * place, a container key at a time: each container of the bitmap is read
 * and written once per batch, not once per value.  The bitmap's
 * cardinalities stay exact.  scratch as for flats_sorted_refs(), not NULL.
 */
void
audience_xor_flats(roaring_bitmap_t *bitmap, AudienceFlat *const *flats, int n,
				   AudienceMergeScratch *scratch)
{
	uint32		total;
	ContainerRef *refs;

	Assert(scratch != NULL);
	refs = flats_sorted_refs(flats, n, scratch, &total);
	if (total == 0)
		return;
	xor_refs_into(&bitmap->high_low_container, refs, (int) total);
}

/*
 * The containers of a stored value whose keys the bitmap has, as a new
 * bitmap; the rest of the value is not decoded.  It is all an intersection
 * with the bitmap needs of the value.
 */
roaring_bitmap_t *
audience_flat_load_keys(const AudienceFlat *flat, const roaring_bitmap_t *keys)
{
	const roaring_array_t *ka = &keys->high_low_container;
	PortableReader r;
	roaring_bitmap_t *result;

	audience_header_check(flat);
	audience_portable_open_stored(&r, flat->payload, AUDIENCE_PAYLOAD_SIZE(flat));
	/* With room for every container, ra_append never reallocates. */
	result = roaring_bitmap_create_with_capacity(Max(Min((uint32) ka->size, r.size), 1));
	if (result == NULL)
		merge_out_of_memory();
	PG_TRY();
	{
		uint32		j = 0;
		int32		i;

		for (i = 0; i < ka->size && j < r.size; i++)
		{
			PortableContainer c;
			uint8		typecode;
			void	   *container;

			if ((i & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			j = portable_lower_bound(&r, ka->keys[i], j);
			if (j >= r.size || portable_key(&r, j) != ka->keys[i])
				continue;
			if (!portable_seek(&r, j) || !portable_read(&r, &c))
				audience_stored_corrupted();
			container = container_copy_exact(&c, &typecode);
			ra_append(&result->high_low_container, c.key, container, typecode);
			j++;
		}
	}
	PG_CATCH();
	{
		roaring_bitmap_free(result);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return result;
}

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
		total += nparts * audience_container_estimate(card * fraction);
	}
	return total;
}
