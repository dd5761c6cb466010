/*
 * audience_bytes.c
 *	  The one reader of the CRoaring portable format, and what is computed
 *	  from portable bytes without decoding them (intersection counts).
 *
 * The reader trusts nothing: every table and container is checked to lie
 * inside the buffer, and run containers to end inside their 16 bits, so a
 * damaged stored value makes a caller fail cleanly instead of reading (or,
 * in the merge, writing) out of bounds.  In strict mode (the validator of
 * untrusted input, audience_format.c) it checks the contents as well.
 */
#include "postgres.h"

#include "audience/audience_bytes.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static bool
reader_fail(PortableReader *r, const char *detail)
{
	r->detail = detail;
	return false;
}

/*
 * Take n bytes from the cursor, or NULL when fewer are left.  From a source,
 * they stay valid until the next take, or with keep as long as the source.
 */
static pg_attribute_always_inline const uint8 *
reader_take_keep(PortableReader *r, Size n, bool keep)
{
	const uint8 *p;

	if (n > r->len - r->pos)
		return NULL;
	if (likely(r->source == NULL))
		p = r->buf + r->pos;
	else
	{
		PortableSource *src = r->source;
		Size		in = r->pos - src->win_pos;	/* wraps when before the window */

		if (!keep && in < src->win_len && n <= src->win_len - in)
			p = src->win + in;
		else
			p = src->map(src, r->pos, n, keep);
	}
	r->pos += n;
	return p;
}

static pg_attribute_always_inline const uint8 *
reader_take(PortableReader *r, Size n)
{
	return reader_take_keep(r, n, false);
}

/*
 * Read the cookie, the container count and the tables that follow (kept:
 * they are read to the end), leaving the cursor on the first container.
 */
static bool
reader_open_tables(PortableReader *r)
{
	const uint8 *p;
	uint32		cookie;

	if ((p = reader_take(r, 4)) == NULL)
		return reader_fail(r, "The data is shorter than the 4-byte header.");
	cookie = portable_u32(p);
	if ((cookie & 0xFFFF) == PORTABLE_COOKIE)
	{
		r->hasrun = true;
		r->size = (cookie >> 16) + 1;
	}
	else if (cookie != PORTABLE_COOKIE_NO_RUN)
		return reader_fail(r, "The header does not start with a roaring format cookie.");
	else if ((p = reader_take(r, 4)) == NULL)
		return reader_fail(r, "The container count is truncated.");
	else if ((r->size = portable_u32(p)) > PORTABLE_MAX_CONTAINERS)
		return reader_fail(r, "The container count is larger than 65536.");

	if (r->hasrun && (r->runbits = reader_take_keep(r, (r->size + 7) / 8, true)) == NULL)
		return reader_fail(r, "The run container bitmap is truncated.");
	if ((r->keycards = reader_take_keep(r, (Size) r->size * 4, true)) == NULL)
		return reader_fail(r, "The container key table is truncated.");
	if ((!r->hasrun || r->size >= PORTABLE_NO_OFFSET_THRESHOLD) &&
		(r->offsets = reader_take_keep(r, (Size) r->size * 4, true)) == NULL)
		return reader_fail(r, "The container offset table is truncated.");
	r->first = r->pos;
	return true;
}

/* Open a reader on buf[0..len). */
bool
portable_open(PortableReader *r, const char *buf, Size len, bool strict)
{
	memset(r, 0, sizeof(*r));
	r->buf = (const uint8 *) buf;
	r->len = len;
	r->strict = strict;
	return reader_open_tables(r);
}

/* Open a reader on len bytes that come piece by piece from source. */
bool
portable_open_source(PortableReader *r, PortableSource *source, Size len, bool strict)
{
	memset(r, 0, sizeof(*r));
	r->source = source;
	r->len = len;
	r->strict = strict;
	return reader_open_tables(r);
}

/* Strict: an array container's values are sorted and distinct. */
static bool
check_array(PortableReader *r, const PortableContainer *c)
{
	uint32		i;

	for (i = 1; i < c->count; i++)
		if (portable_u16(c->data + 2 * i) <= portable_u16(c->data + 2 * (i - 1)))
			return reader_fail(r, "An array container is not sorted or has duplicates.");
	return true;
}

/* Strict: a bitset container's population equals its stated cardinality. */
static bool
check_bitset(PortableReader *r, const PortableContainer *c)
{
	uint64		pop = 0;
	int			i;

	for (i = 0; i < PORTABLE_BITSET_WORDS; i++)
		pop += pg_popcount64(portable_u64(c->data + 8 * i));
	if (pop != c->card)
		return reader_fail(r, "A bitset container's cardinality does not match its bits.");
	return true;
}

/*
 * A run container's runs end inside the container (checked unless the
 * caller only compares values with them, as the probe and the counts do:
 * the merge sets their bits); strict, they are also sorted, apart and add
 * up to the stated cardinality.
 */
static bool
check_runs(PortableReader *r, const PortableContainer *c)
{
	uint32		i;
	uint64		total = 0;
	int64		prev_end = -1;

	for (i = 0; i < c->count; i++)
	{
		uint32		start = portable_u16(c->data + 4 * i);
		uint32		length = portable_u16(c->data + 4 * i + 2);

		if (r->strict && (int64) start <= prev_end)
			return reader_fail(r, "A run container's runs overlap or are not sorted.");
		if (start + length > 0xFFFF)
			return reader_fail(r, "A run container's run goes past the end of its container.");
		prev_end = start + length;
		total += length + 1;
	}
	if (r->strict && total != c->card)
		return reader_fail(r, "A run container's cardinality does not match its runs.");
	return true;
}

/* Read the container under the cursor into *c and move past it. */
bool
portable_read(PortableReader *r, PortableContainer *c)
{
	uint32		i = r->next;
	const uint8 *p;

	if (i >= r->size)
		return reader_fail(r, "There are fewer containers than the header states.");
	c->key = portable_key(r, i);
	c->card = (uint32) portable_u16(r->keycards + 4 * i + 2) + 1;
	if (r->strict)
	{
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (i > 0 && c->key <= portable_key(r, i - 1))
			return reader_fail(r, "The container keys are not in ascending order.");
		if (r->offsets != NULL && portable_u32(r->offsets + 4 * i) != r->pos)
			return reader_fail(r, "A container offset does not match the container's position.");
	}
	r->next++;
	if (r->hasrun && (r->runbits[i / 8] >> (i % 8)) & 1)
	{
		c->kind = PORTABLE_RUN;
		if ((p = reader_take(r, 2)) == NULL)
			return reader_fail(r, "A run container is truncated.");
		c->count = portable_u16(p);
		if ((c->data = reader_take(r, (Size) c->count * 4)) == NULL)
			return reader_fail(r, "A run container is truncated.");
		return r->compare_only || check_runs(r, c);
	}
	if (c->card > PORTABLE_ARRAY_MAX)
	{
		c->kind = PORTABLE_BITSET;
		c->count = PORTABLE_BITSET_WORDS;
		if ((c->data = reader_take(r, PORTABLE_BITSET_BYTES)) == NULL)
			return reader_fail(r, "A bitset container is truncated.");
		return !r->strict || check_bitset(r, c);
	}
	c->kind = PORTABLE_ARRAY;
	c->count = c->card;
	if ((c->data = reader_take(r, (Size) c->count * 2)) == NULL)
		return reader_fail(r, "An array container is truncated.");
	return !r->strict || check_array(r, c);
}

/*
 * Put the cursor on container i: through the offset table, or (formats
 * without one have fewer than 4 containers) by reading the ones before it.
 */
bool
portable_seek(PortableReader *r, uint32 i)
{
	PortableContainer skipped;

	if (i >= r->size)
		return reader_fail(r, "There are fewer containers than the header states.");
	if (r->offsets != NULL)
	{
		Size		offset = portable_u32(r->offsets + 4 * i);

		if (offset > r->len)
			return reader_fail(r, "A container offset points past the end of the data.");
		r->pos = offset;
		r->next = i;
		return true;
	}
	if (r->next > i)
	{
		/* Back to the first container, right after the key table. */
		r->pos = r->first;
		r->next = 0;
	}
	while (r->next < i)
		if (!portable_read(r, &skipped))
			return false;
	return true;
}

/*
 * The first of n little-endian uint16 values, stride bytes apart from p on,
 * that is at least v (n when none): they are sorted.
 */
static uint32
lower_bound_u16(const uint8 *p, Size stride, uint32 n, uint32 v)
{
	uint32		lo = 0,
				hi = n;

	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;

		if (portable_u16(p + stride * mid) < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the first container from index from on whose key is at least key. */
uint32
portable_lower_bound(const PortableReader *r, uint16 key, uint32 from)
{
	if (from >= r->size)
		return r->size;
	return from + lower_bound_u16(r->keycards + 4 * from, 4, r->size - from, key);
}

/* Index of the container with this key, or -1. */
int32
portable_find(const PortableReader *r, uint16 key)
{
	uint32		i = portable_lower_bound(r, key, 0);

	return i < r->size && portable_key(r, i) == key ? (int32) i : -1;
}

/* Is low (the low 16 bits of an id) in the container? */
bool
portable_contains(const PortableContainer *c, uint16 low)
{
	uint32		i;

	switch (c->kind)
	{
		case PORTABLE_BITSET:
			return (c->data[low / 8] >> (low % 8)) & 1;
		case PORTABLE_ARRAY:
			i = lower_bound_u16(c->data, 2, c->count, low);
			return i < c->count && portable_u16(c->data + 2 * i) == low;
		default:
			/* The last run starting at or before low is the only candidate. */
			i = lower_bound_u16(c->data, 4, c->count, (uint32) low + 1);
			return i > 0 &&
				low <= (uint32) portable_u16(c->data + 4 * (i - 1)) +
				portable_u16(c->data + 4 * (i - 1) + 2);
	}
}

/*
 * Intersection counts, container by container, straight from the bytes.
 *
 * Population counts use the CPU's popcnt instruction where it has one,
 * chosen at run time (the build has no -march flags: doc/development.md).
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define PORTABLE_HAVE_POPCNT_TARGET 1

__attribute__((target("popcnt")))
static uint64
words_and_popcount_popcnt(const uint8 *a, const uint8 *b, uint32 from, uint32 to)
{
	uint64		n = 0;
	uint32		i;

	for (i = from; i < to; i++)
		n += __builtin_popcountll(portable_u64(a + 8 * i) & portable_u64(b + 8 * i));
	return n;
}
#endif

static uint64
words_and_popcount_plain(const uint8 *a, const uint8 *b, uint32 from, uint32 to)
{
	uint64		n = 0;
	uint32		i;

	for (i = from; i < to; i++)
		n += pg_popcount64(portable_u64(a + 8 * i) & portable_u64(b + 8 * i));
	return n;
}

/* Bits set in both a and b among words [from, to); b NULL means all ones. */
static uint64
words_and_popcount(const uint8 *a, const uint8 *b, uint32 from, uint32 to)
{
#ifdef PORTABLE_HAVE_POPCNT_TARGET
	static int	have_popcnt = -1;

	if (have_popcnt < 0)
		have_popcnt = __builtin_cpu_supports("popcnt") ? 1 : 0;
	if (have_popcnt)
		return words_and_popcount_popcnt(a, b, from, to);
#endif
	return words_and_popcount_plain(a, b, from, to);
}

/* Is every bit of bitset b set in bitset a?  (No count needed: b & ~a.) */
static bool
bitset_subset(const uint8 *a, const uint8 *b)
{
#ifdef __SSE2__
	__m128i		acc = _mm_setzero_si128();
	uint32		i;

	for (i = 0; i < PORTABLE_BITSET_BYTES; i += 16)
		acc = _mm_or_si128(acc, _mm_andnot_si128(_mm_loadu_si128((const __m128i *) (a + i)),
												 _mm_loadu_si128((const __m128i *) (b + i))));
	return _mm_movemask_epi8(_mm_cmpeq_epi8(acc, _mm_setzero_si128())) == 0xFFFF;
#else
	uint64		acc = 0;
	uint32		i;

	for (i = 0; i < PORTABLE_BITSET_WORDS; i++)
		acc |= portable_u64(b + 8 * i) & ~portable_u64(a + 8 * i);
	return acc == 0;
#endif
}

/* Bits of a bitset's bytes set in [start, end] (inclusive, within 16 bits). */
static uint32
bitset_range_card(const uint8 *words, uint32 start, uint32 end)
{
	uint32		first = start / 64,
				last = end / 64;
	uint64		lo_mask = ~UINT64CONST(0) << (start % 64);
	uint64		hi_mask = ~UINT64CONST(0) >> (63 - end % 64);
	uint32		n;

	if (first == last)
		return pg_popcount64(portable_u64(words + 8 * first) & lo_mask & hi_mask);
	n = pg_popcount64(portable_u64(words + 8 * first) & lo_mask) +
		pg_popcount64(portable_u64(words + 8 * last) & hi_mask);
	if (last > first + 1)
		n += words_and_popcount(words, words, first + 1, last);
	return n;
}

#ifdef __SSE2__
/*
 * The block of 8 lanes of an array from index i on, k = min(8, values left)
 * of them real: a plain load when 8 are left; else, when the array has 8
 * values, its last 8 (the real ones in the top k lanes, earlier values
 * below: a load, no copy that would stall the load), else a copy padded
 * with the last value.  *real marks the real lanes.
 */
static inline __m128i
array_block(const PortableContainer *c, uint32 i, uint32 k, __m128i *real)
{
	const __m128i lanes = _mm_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7);
	uint16		v[8];
	uint32		l;

	if (k == 8)
	{
		*real = _mm_set1_epi16(-1);
		return _mm_loadu_si128((const __m128i *) (c->data + 2 * i));
	}
	if (c->count >= 8)
	{
		*real = _mm_cmpgt_epi16(lanes, _mm_set1_epi16((short) (7 - k)));
		return _mm_loadu_si128((const __m128i *) (c->data + 2 * (c->count - 8)));
	}
	*real = _mm_cmplt_epi16(lanes, _mm_set1_epi16((short) k));
	memcpy(v, c->data + 2 * i, 2 * k);
	for (l = k; l < 8; l++)
		v[l] = v[k - 1];
	return _mm_loadu_si128((const __m128i *) v);
}

/*
 * |array ∩ array| by blocks of 8 (SSE2, part of every x86-64): each lane of
 * a's block is compared with all 8 rotations of b's block, and the block
 * with the smaller last value moves on (both when equal).  Every common
 * value meets itself exactly once: the blocks that hold it are loaded
 * together before either moves past it.  Only a's real lanes count; b's
 * other lanes are set to b's last value, which a lane of a matches only
 * once.  A lane counts at most once a round, and arrays hold at most 4096
 * values, so no 16-bit lane sum overflows.
 */
static uint32
array_and_array_sse2(const PortableContainer *a, const PortableContainer *b)
{
	__m128i		sum = _mm_setzero_si128();
	uint32		i = 0,
				j = 0;
	uint16		lane_sums[8];
	uint32		n = 0,
				l;

	while (i < a->count && j < b->count)
	{
		uint32		ka = Min(a->count - i, 8);
		uint32		kb = Min(b->count - j, 8);
		uint16		amax = portable_u16(a->data + 2 * (i + ka - 1));
		uint16		bmax = portable_u16(b->data + 2 * (j + kb - 1));
		__m128i		areal,
					breal;
		__m128i		va = array_block(a, i, ka, &areal);
		__m128i		b0 = array_block(b, j, kb, &breal);
		__m128i		b1,
					m;

		if (kb < 8)
			b0 = _mm_or_si128(_mm_and_si128(breal, b0),
							  _mm_andnot_si128(breal, _mm_set1_epi16((short) bmax)));
		b1 = _mm_or_si128(_mm_srli_si128(b0, 2), _mm_slli_si128(b0, 14));
		m = _mm_or_si128(_mm_cmpeq_epi16(va, b0), _mm_cmpeq_epi16(va, b1));
		m = _mm_or_si128(m, _mm_cmpeq_epi16(va, _mm_shuffle_epi32(b0, _MM_SHUFFLE(0, 3, 2, 1))));
		m = _mm_or_si128(m, _mm_cmpeq_epi16(va, _mm_shuffle_epi32(b1, _MM_SHUFFLE(0, 3, 2, 1))));
		m = _mm_or_si128(m, _mm_cmpeq_epi16(va, _mm_shuffle_epi32(b0, _MM_SHUFFLE(1, 0, 3, 2))));
		m = _mm_or_si128(m, _mm_cmpeq_epi16(va, _mm_shuffle_epi32(b1, _MM_SHUFFLE(1, 0, 3, 2))));
		m = _mm_or_si128(m, _mm_cmpeq_epi16(va, _mm_shuffle_epi32(b0, _MM_SHUFFLE(2, 1, 0, 3))));
		m = _mm_or_si128(m, _mm_cmpeq_epi16(va, _mm_shuffle_epi32(b1, _MM_SHUFFLE(2, 1, 0, 3))));
		/* a matching real lane is all ones: subtracting it counts one */
		sum = _mm_sub_epi16(sum, _mm_and_si128(m, areal));
		if (amax <= bmax)
			i += ka;
		if (bmax <= amax)
			j += kb;
	}
	_mm_storeu_si128((__m128i *) lane_sums, sum);
	for (l = 0; l < 8; l++)
		n += lane_sums[l];
	return n;
}
#endif

/* |array ∩ array|: by blocks (or a merge), or galloping when one is much smaller. */
static uint32
array_and_array(const PortableContainer *a, const PortableContainer *b)
{
	uint32		i = 0,
				j = 0,
				n = 0;

	if (a->count > b->count)
	{
		const PortableContainer *t = a;

		a = b;
		b = t;
	}
	if ((uint64) a->count * 32 < b->count)
	{
		for (i = 0; i < a->count && j < b->count; i++)
		{
			uint16		v = portable_u16(a->data + 2 * i);

			j += lower_bound_u16(b->data + 2 * j, 2, b->count - j, v);
			if (j < b->count && portable_u16(b->data + 2 * j) == v)
				n++;
		}
		return n;
	}
#ifdef __SSE2__
	return array_and_array_sse2(a, b);
#else
	while (i < a->count && j < b->count)
	{
		uint16		va = portable_u16(a->data + 2 * i);
		uint16		vb = portable_u16(b->data + 2 * j);

		n += va == vb;
		i += va <= vb;
		j += vb <= va;
	}
	return n;
#endif
}

/* |array ∩ bitset| */
static uint32
array_and_bitset(const PortableContainer *a, const PortableContainer *b)
{
	uint32		i,
				n = 0;

	for (i = 0; i < a->count; i++)
	{
		uint16		v = portable_u16(a->data + 2 * i);

		n += (b->data[v / 8] >> (v % 8)) & 1;
	}
	return n;
}

/* |array ∩ runs| */
static uint32
array_and_run(const PortableContainer *a, const PortableContainer *r)
{
	uint32		i = 0,
				j = 0,
				n = 0;

	while (i < a->count && j < r->count)
	{
		uint32		v = portable_u16(a->data + 2 * i);
		uint32		start = portable_u16(r->data + 4 * j);
		uint32		end = start + portable_u16(r->data + 4 * j + 2);

		if (v < start)
			i++;
		else if (v > end)
			j++;
		else
		{
			n++;
			i++;
		}
	}
	return n;
}

/* |bitset ∩ runs| */
static uint32
bitset_and_run(const PortableContainer *b, const PortableContainer *r)
{
	uint32		j,
				n = 0;

	for (j = 0; j < r->count; j++)
	{
		uint32		start = portable_u16(r->data + 4 * j);
		uint32		end = start + portable_u16(r->data + 4 * j + 2);

		/* the reader does not check run ends for counts: a damaged one stops at the container's end */
		n += bitset_range_card(b->data, start, Min(end, 0xFFFF));
	}
	return n;
}

/* |runs ∩ runs|, by interval arithmetic. */
static uint32
run_and_run(const PortableContainer *a, const PortableContainer *b)
{
	const uint8 *ad = a->data;
	const uint8 *bd = b->data;
	const uint8 *aend = ad + 4 * (Size) a->count;
	const uint8 *bend = bd + 4 * (Size) b->count;
	uint32		n = 0;

	while (ad < aend && bd < bend)
	{
		uint32		sa = portable_u16(ad);
		uint32		ea = sa + portable_u16(ad + 2);
		uint32		sb = portable_u16(bd);
		uint32		eb = sb + portable_u16(bd + 2);

		if (Max(sa, sb) <= Min(ea, eb))
			n += Min(ea, eb) - Max(sa, sb) + 1;
		if (ea <= eb)
			ad += 4;
		else
			bd += 4;
	}
	return n;
}

/* Cardinality of the intersection of two containers of the same key. */
uint32
portable_and_card(const PortableContainer *a, const PortableContainer *b)
{
	if (a->kind > b->kind)
	{
		const PortableContainer *t = a;

		a = b;
		b = t;
	}
	/* Now a->kind <= b->kind: array < bitset < run. */
	switch (a->kind * 3 + b->kind)
	{
		case PORTABLE_ARRAY * 3 + PORTABLE_ARRAY:
			return array_and_array(a, b);
		case PORTABLE_ARRAY * 3 + PORTABLE_BITSET:
			return array_and_bitset(a, b);
		case PORTABLE_ARRAY * 3 + PORTABLE_RUN:
			return array_and_run(a, b);
		case PORTABLE_BITSET * 3 + PORTABLE_BITSET:
			return words_and_popcount(a->data, b->data, 0, PORTABLE_BITSET_WORDS);
		case PORTABLE_BITSET * 3 + PORTABLE_RUN:
			return bitset_and_run(a, b);
		default:
			return run_and_run(a, b);
	}
}

/*
 * Are two containers stored byte for byte the same?  Then they hold the same
 * set (an audience and one derived from it share most containers), which a
 * comparison that stops at the first differing byte finds cheaper than any
 * count.
 */
static bool
portable_same_container(const PortableContainer *a, const PortableContainer *b)
{
	Size		bytes;

	if (a->kind != b->kind || a->card != b->card || a->count != b->count)
		return false;
	bytes = (Size) a->count * (a->kind == PORTABLE_RUN ? 4 : a->kind == PORTABLE_BITSET ? 8 : 2);
	return memcmp(a->data, b->data, bytes) == 0;
}

/* Is container b (of the same key as a) a subset of a? */
static bool
portable_subset_container(const PortableContainer *a, const PortableContainer *b)
{
	if (b->card > a->card)
		return false;
	if (a->kind == PORTABLE_BITSET && b->kind == PORTABLE_BITSET)
		return bitset_subset(a->data, b->data);
	return portable_and_card(a, b) == b->card;
}

/*
 * |a ∩ b| of two portable payloads, through readers just opened on them,
 * into *result; with subset_test, stop at the first container of b not
 * wholly in a, and *result is 1 when b ⊆ a and 0 otherwise.  Returns false
 * when either payload cannot be read.  Containers are read in order, and
 * b's past the last key of a never (a reader from TOAST fetches no chunk
 * that holds only such containers).
 */
bool
portable_intersection_card(PortableReader *ra, PortableReader *rb,
						   bool subset_test, uint64 *result)
{
	PortableReader a = *ra,
				b = *rb;
	PortableContainer ca,
				cb;
	uint32		i = 0,
				j = 0;
	uint64		n = 0;

	/* Counts never index memory by a run's end (bitset_and_run clamps it). */
	a.compare_only = true;
	b.compare_only = true;
	*result = 0;
	while (i < a.size && j < b.size)
	{
		uint16		ka = portable_key(&a, i);
		uint16		kb = portable_key(&b, j);

		if (((i + j) & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (ka < kb)
		{
			i++;
			continue;
		}
		if (ka > kb)
		{
			if (subset_test)
				return true;
			j++;
			continue;
		}
		/* a reader that read the container before is already on this one */
		if ((a.next != i && !portable_seek(&a, i)) || !portable_read(&a, &ca) ||
			(b.next != j && !portable_seek(&b, j)) || !portable_read(&b, &cb))
			return false;
		if (portable_same_container(&ca, &cb))
			n += cb.card;
		else if (subset_test)
		{
			if (!portable_subset_container(&ca, &cb))
				return true;
		}
		else
			n += portable_and_card(&ca, &cb);
		i++;
		j++;
	}
	*result = subset_test ? (j == b.size) : n;
	return true;
}
