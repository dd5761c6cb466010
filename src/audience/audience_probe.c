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

#include "audience/audience_internal.h"
#include "audience/audience_bytes.h"

/*
 * Is id in the portable payload buf[0..len)?  Returns false when the bytes
 * cannot be probed (the caller then decodes them); *found holds the answer.
 */
bool
audience_portable_probe(const char *buf, Size len, uint32 id, bool *found)
{
	PortableReader r;
	PortableContainer c;
	int32		idx;

	if (!portable_open(&r, buf, len, false))
		return false;
	/* A probe compares id with run bounds only: O(log n) per container. */
	r.compare_only = true;
	*found = false;
	idx = portable_find(&r, (uint16) (id >> 16));
	if (idx < 0)
		return true;
	if (!portable_seek(&r, idx) || !portable_read(&r, &c))
		return false;
	*found = portable_contains(&c, (uint16) id);
	return true;
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
