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

static bool
reader_fail(PortableReader *r, const char *detail)
{
	r->detail = detail;
	return false;
}

/* Take n bytes from the cursor, or NULL when fewer are left. */
static const uint8 *
reader_take(PortableReader *r, Size n)
{
	const uint8 *p;

	if (n > r->len - r->pos)
		return NULL;
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

/*
 * Open a reader on buf[0..len): read the cookie, the container count and
 * the tables that follow, leaving the cursor on the first container.
 */
bool
portable_open(PortableReader *r, const char *buf, Size len, bool strict)
{
	const uint8 *p;
	uint32		cookie;

	memset(r, 0, sizeof(*r));
	r->buf = (const uint8 *) buf;
	r->len = len;
	r->strict = strict;
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

	if (r->hasrun && (r->runbits = reader_take(r, (r->size + 7) / 8)) == NULL)
		return reader_fail(r, "The run container bitmap is truncated.");
	if ((r->keycards = reader_take(r, (Size) r->size * 4)) == NULL)
		return reader_fail(r, "The container key table is truncated.");
	if ((!r->hasrun || r->size >= PORTABLE_NO_OFFSET_THRESHOLD) &&
		(r->offsets = reader_take(r, (Size) r->size * 4)) == NULL)
		return reader_fail(r, "The container offset table is truncated.");
	return true;
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
 * caller only compares values with them: the merge sets their bits, counts
 * read bitset words at their ends); strict, they are also sorted, apart and
 * add up to the stated cardinality.
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
		r->pos = (r->keycards - r->buf) + (Size) r->size * 4;
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

/* Index of the container with this key, or -1. */
int32
portable_find(const PortableReader *r, uint16 key)
{
	uint32		i = lower_bound_u16(r->keycards, 4, r->size, key);

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
