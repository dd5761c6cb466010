/*
 * audience_format.c
 *	  The stored format: our header in front of the CRoaring portable bytes,
 *	  and a validator for portable bytes from untrusted input.
 *
 * Debian's CRoaring 0.2.66 trusts the container contents it deserialises
 * (it has no validator), so every byte that comes from a client passes
 * audience_portable_check() first.  See doc/storage.md.
 */
#include "postgres.h"

#include "audience/audience_internal.h"
#include "audience/audience_bytes.h"

/*
 * Check that buf[0..len) is a complete, self-consistent CRoaring portable
 * serialisation with nothing after it.  On failure *detail says why.
 */
bool
audience_portable_check(const char *buf, Size len, const char **detail)
{
	PortableReader r;
	PortableContainer c;
	bool		ok = portable_open(&r, buf, len, true);
	uint32		i;

	for (i = 0; ok && i < r.size; i++)
		ok = portable_read(&r, &c);
	if (ok && r.pos != r.len)
	{
		r.detail = "There are bytes after the last container.";
		ok = false;
	}
	*detail = r.detail;
	return ok;
}

/* Raise out-of-memory when CRoaring returned NULL. */
void
audience_check_alloc(const void *ptr)
{
	if (ptr == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("CRoaring could not allocate memory for an audience.")));
}

/*
 * The memory a bitmap deserialised from len portable bytes takes: about the
 * bytes themselves, plus each container's overhead (a container takes at
 * least 6 bytes, and there are at most 65536).
 */
double
audience_estimate_load(Size len)
{
	return (double) len + Min((double) len / 6 + 1, 65536.0) *
		(AUDIENCE_CONTAINER_OVERHEAD + AUDIENCE_CONTAINER_SLOT_BYTES);
}

/*
 * Validate untrusted portable bytes and deserialise them.  The caller owns
 * the malloc'd result and must hand it to an expanded object at once.
 */
roaring_bitmap_t *
audience_portable_load(const char *buf, Size len, int sqlerrcode)
{
	const char *detail;
	roaring_bitmap_t *bitmap;

	if (!audience_portable_check(buf, len, &detail))
		ereport(ERROR,
				(errcode(sqlerrcode),
				 errmsg("invalid audience data"),
				 errdetail("%s", detail),
				 errhint("Audience bytes must be in the CRoaring portable serialization format.")));
	audience_memory_check(audience_estimate_load(len), "decoding an audience");
	bitmap = roaring_bitmap_portable_deserialize_safe(buf, len);
	audience_check_alloc(bitmap);
	return bitmap;
}

/* Bytes needed to store the bitmap with our header. */
Size
audience_flat_size(const roaring_bitmap_t *bitmap)
{
	Size		size = AUDIENCE_HEADER_SIZE + roaring_bitmap_portable_size_in_bytes(bitmap);

	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("audience is too large to store"),
				 errdetail("It needs %zu bytes; the limit is %zu.", size, (Size) MaxAllocSize)));
	return size;
}

/* Write the header and payload into flat, which has room for size bytes. */
void
audience_flat_write(const roaring_bitmap_t *bitmap, AudienceFlat *flat, Size size)
{
	Size		written;

	memset(flat, 0, AUDIENCE_HEADER_SIZE);
	SET_VARSIZE(flat, size);
	flat->version = AUDIENCE_FORMAT_VERSION;
	flat->cardinality = roaring_bitmap_get_cardinality(bitmap);
	if (flat->cardinality > 0)
	{
		flat->min_id = roaring_bitmap_minimum(bitmap);
		flat->max_id = roaring_bitmap_maximum(bitmap);
	}
	written = roaring_bitmap_portable_serialize(bitmap, flat->payload);
	if (AUDIENCE_HEADER_SIZE + written != size)
		elog(ERROR, "audience serialised to %zu bytes, expected %zu",
			 AUDIENCE_HEADER_SIZE + written, size);
}

/* A new palloc'd flat value holding the bitmap. */
struct varlena *
audience_flatten(const roaring_bitmap_t *bitmap)
{
	Size		size = audience_flat_size(bitmap);
	AudienceFlat *flat = palloc(size);

	audience_flat_write(bitmap, flat, size);
	return (struct varlena *) flat;
}

/* Check the header of a stored value before reading its payload. */
void
audience_header_check(const AudienceFlat *flat)
{
	if (VARSIZE(flat) < AUDIENCE_HEADER_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored audience is corrupted"),
				 errdetail("The value is %u bytes, shorter than the %zu-byte header.",
						   (unsigned) VARSIZE(flat), AUDIENCE_HEADER_SIZE)));
	if (flat->version != AUDIENCE_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored audience has unknown format version %d", flat->version),
				 errdetail("This version of quanyu reads format version %d.",
						   AUDIENCE_FORMAT_VERSION)));
}

/*
 * Deserialise a stored value.  Stored values were validated when they came
 * in, so only the header and the cardinality are cross-checked here.
 */
roaring_bitmap_t *
audience_flat_load(const AudienceFlat *flat)
{
	roaring_bitmap_t *bitmap;

	audience_header_check(flat);
	audience_memory_check(audience_estimate_load(AUDIENCE_PAYLOAD_SIZE(flat)), "decoding an audience");
	bitmap = roaring_bitmap_portable_deserialize_safe(flat->payload,
													  AUDIENCE_PAYLOAD_SIZE(flat));
	if (bitmap == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored audience is corrupted"),
				 errdetail("Its payload cannot be decoded.")));
	if (roaring_bitmap_get_cardinality(bitmap) != flat->cardinality)
	{
		roaring_bitmap_free(bitmap);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored audience is corrupted"),
				 errdetail("Its header and payload disagree on the cardinality.")));
	}
	return bitmap;
}

/* A stored value whose payload cannot be read. */
void
audience_stored_corrupted(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("stored audience is corrupted"),
			 errdetail("Its payload cannot be decoded.")));
}

/* A reader on a stored payload; a damaged one is reported as corrupted. */
void
audience_portable_open_stored(PortableReader *r, const char *buf, Size len)
{
	if (!portable_open(r, buf, len, false))
		audience_stored_corrupted();
}

/* Number of containers of a stored value (its header checked). */
uint32
audience_flat_containers(const AudienceFlat *flat)
{
	PortableReader r;

	audience_header_check(flat);
	audience_portable_open_stored(&r, flat->payload, AUDIENCE_PAYLOAD_SIZE(flat));
	return r.size;
}
