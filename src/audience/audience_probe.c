/*
 * audience_probe.c
 *	  Membership tests read straight from the stored bytes.
 *
 * An in-memory flat audience (a constant, a parameter, a value already
 * detoasted) can answer "is id in it?" without being deserialised: binary
 * search the container key table of the CRoaring portable payload, jump to
 * the container through the offset table, and search inside the container.
 * That is O(log n) and allocates nothing, where deserialising is O(n).
 *
 * Stored values were validated on input; still, every read here is bounds
 * checked, and bytes that do not parse make the probe give up so the caller
 * falls back to the full decoder (which reports corruption properly).
 */
#include "postgres.h"

#include "audience/audience.h"
#include "audience/audience_fn.h"
#include "audience/audience_portable.h"

typedef struct ProbeBytes
{
	const uint8 *buf;
	Size		len;
} ProbeBytes;

/* Read a little-endian uint16 at pos, already known to be in bounds. */
static inline uint32
rd16(const ProbeBytes *b, Size pos)
{
	return (uint32) b->buf[pos] | ((uint32) b->buf[pos + 1] << 8);
}

/* Read a little-endian uint16 at pos, or fail when out of bounds. */
static bool
probe_u16(const ProbeBytes *b, Size pos, uint32 *out)
{
	if (pos + 2 > b->len)
		return false;
	*out = rd16(b, pos);
	return true;
}

/* Read a little-endian uint32 at pos, or fail when out of bounds. */
static bool
probe_u32(const ProbeBytes *b, Size pos, uint32 *out)
{
	uint32		lo,
				hi;

	if (!probe_u16(b, pos, &lo) || !probe_u16(b, pos + 2, &hi))
		return false;
	*out = lo | (hi << 16);
	return true;
}

/* Binary search a sorted uint16 array of n entries at pos for value. */
static bool
probe_array(const ProbeBytes *b, Size pos, uint32 n, uint32 value, bool *found)
{
	int64		lo = 0,
				hi = (int64) n - 1;

	if (pos + (Size) n * 2 > b->len)
		return false;
	while (lo <= hi)
	{
		int64		mid = (lo + hi) / 2;
		uint32		v;

		v = rd16(b, pos + mid * 2);
		if (v == value)
		{
			*found = true;
			return true;
		}
		if (v < value)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	*found = false;
	return true;
}

/* Find value among the runs (start, length-1) of a run container at pos. */
static bool
probe_runs(const ProbeBytes *b, Size pos, uint32 value, bool *found)
{
	uint32		nruns;
	int64		lo = 0,
				hi,
				best = -1;

	if (!probe_u16(b, pos, &nruns) || pos + 2 + (Size) nruns * 4 > b->len)
		return false;
	hi = (int64) nruns - 1;
	/* The last run starting at or before value is the only candidate. */
	while (lo <= hi)
	{
		int64		mid = (lo + hi) / 2;
		uint32		start;

		start = rd16(b, pos + 2 + mid * 4);
		if (start <= value)
		{
			best = mid;
			lo = mid + 1;
		}
		else
			hi = mid - 1;
	}
	*found = false;
	if (best >= 0)
	{
		uint32		start,
					length;

		start = rd16(b, pos + 2 + best * 4);
		length = rd16(b, pos + 2 + best * 4 + 2);
		*found = value <= start + length;
	}
	return true;
}

/* Bytes taken by container i, for walking payloads without an offset table. */
static bool
probe_container_size(const ProbeBytes *b, Size pos, bool isrun, uint32 card, Size *size)
{
	uint32		nruns;

	if (isrun)
	{
		if (!probe_u16(b, pos, &nruns))
			return false;
		*size = 2 + (Size) nruns * 4;
	}
	else
		*size = card > PORTABLE_ARRAY_MAX ? PORTABLE_BITSET_BYTES : (Size) card * 2;
	return true;
}

/*
 * Is id in the portable payload buf[0..len)?  Returns false when the bytes
 * cannot be probed (the caller then decodes them); *found holds the answer.
 */
bool
audience_portable_probe(const char *buf, Size len, uint32 id, bool *found)
{
	ProbeBytes	b = {(const uint8 *) buf, len};
	uint32		cookie,
				size,
				key = id >> 16,
				low = id & 0xFFFF;
	bool		hasrun;
	Size		runbits = 0,
				keycards,
				pos;
	int64		lo = 0,
				hi,
				idx = -1;
	uint32		card;
	bool		isrun;

	if (!probe_u32(&b, 0, &cookie))
		return false;
	hasrun = (cookie & 0xFFFF) == PORTABLE_COOKIE;
	if (hasrun)
	{
		size = (cookie >> 16) + 1;
		runbits = 4;
		keycards = runbits + (size + 7) / 8;
	}
	else if (cookie == PORTABLE_COOKIE_NO_RUN && probe_u32(&b, 4, &size))
		keycards = 8;
	else
		return false;
	if (keycards + (Size) size * 4 > len)
		return false;

	/* Binary search the container keys. */
	hi = (int64) size - 1;
	while (lo <= hi)
	{
		int64		mid = (lo + hi) / 2;
		uint32		k;

		k = rd16(&b, keycards + mid * 4);
		if (k == key)
		{
			idx = mid;
			break;
		}
		if (k < key)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	*found = false;
	if (idx < 0)
		return true;
	card = rd16(&b, keycards + idx * 4 + 2);
	card += 1;
	isrun = hasrun && (b.buf[runbits + idx / 8] >> (idx % 8)) & 1;

	/* Locate the container: by the offset table, or by walking (< 4 containers). */
	if (!hasrun || size >= PORTABLE_NO_OFFSET_THRESHOLD)
	{
		uint32		offset;

		if (!probe_u32(&b, keycards + (Size) size * 4 + idx * 4, &offset))
			return false;
		pos = offset;
	}
	else
	{
		int64		i;

		pos = keycards + (Size) size * 4;
		for (i = 0; i < idx; i++)
		{
			uint32		c;
			bool		r = (b.buf[runbits + i / 8] >> (i % 8)) & 1;
			Size		csize;

			c = rd16(&b, keycards + i * 4 + 2);
			if (!probe_container_size(&b, pos, r, c + 1, &csize))
				return false;
			pos += csize;
		}
	}

	if (isrun)
		return probe_runs(&b, pos, low, found);
	if (card > PORTABLE_ARRAY_MAX)
	{
		if (pos + PORTABLE_BITSET_BYTES > len)
			return false;
		*found = (b.buf[pos + low / 8] >> (low % 8)) & 1;
		return true;
	}
	return probe_array(&b, pos, card, low, found);
}

/*
 * Is id in the in-memory flat audience v (not toasted, possibly with a short
 * header)?  Returns false when the value cannot be probed.
 */
bool
audience_flat_probe(const struct varlena *v, uint32 id, bool *found)
{
	const char *data = VARDATA_ANY(v);
	Size		len = VARSIZE_ANY_EXHDR(v);
	const Size	header = AUDIENCE_HEADER_SIZE - VARHDRSZ;
	uint64		cardinality;
	uint32		min_id,
				max_id;

	if (len < header || (uint8) data[0] != AUDIENCE_FORMAT_VERSION)
		return false;
	memcpy(&cardinality, data + offsetof(AudienceFlat, cardinality) - VARHDRSZ, sizeof(cardinality));
	memcpy(&min_id, data + offsetof(AudienceFlat, min_id) - VARHDRSZ, sizeof(min_id));
	memcpy(&max_id, data + offsetof(AudienceFlat, max_id) - VARHDRSZ, sizeof(max_id));
	if (cardinality == 0 || id < min_id || id > max_id)
	{
		*found = false;
		return true;
	}
	return audience_portable_probe(data + header, len - header, id, found);
}
