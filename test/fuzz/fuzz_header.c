/*
 * fuzz_header.c
 *	  libFuzzer target: the readers of a stored audience's header
 *	  (audience_header_check, audience_datum_header, audience_flat_load) and
 *	  the batched union that reads stored payloads in place
 *	  (audience_flat_containers, audience_merge_flats).
 *
 * Input: the value after its 4-byte length word (version, flags,
 * cardinality, min, max, payload).  Stored payloads were validated when
 * they came in, so a payload the validator rejects is only given to the
 * header-level readers; the header itself is arbitrary (a corrupted page,
 * a forged binary-coercible cast).
 */
#include "fuzz_pg.h"

#include "audience/audience_internal.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	AudienceFlat *flat;
	const char *detail;
	bool		payload_ok;

	fuzz_init();
	if (size > (1 << 20))
		return 0;
	flat = palloc(VARHDRSZ + size);
	SET_VARSIZE(flat, VARHDRSZ + size);
	memcpy((char *) flat + VARHDRSZ, data, size);
	payload_ok = VARSIZE(flat) >= AUDIENCE_HEADER_SIZE &&
		audience_portable_check(flat->payload, AUDIENCE_PAYLOAD_SIZE(flat), &detail);

	FUZZ_TRY(
		{
			AudienceFlat copy;
			const AudienceFlat *h = audience_datum_header(PointerGetDatum(flat), &copy);

			FUZZ_ASSERT(h->version == AUDIENCE_FORMAT_VERSION, "bad version accepted");
		});
	if (payload_ok)
	{
		FUZZ_TRY(
			{
				roaring_bitmap_t *b = audience_flat_load(flat);
				uint64		card = roaring_bitmap_get_cardinality(b);

				FUZZ_ASSERT(card == flat->cardinality, "loaded despite a wrong cardinality");
				roaring_bitmap_free(b);
			});
		FUZZ_TRY(
			{
				roaring_bitmap_t *acc = roaring_bitmap_of(3, 1, 70000, 4000000000u);
				roaring_bitmap_t *expect;
				roaring_bitmap_t *payload = roaring_bitmap_portable_deserialize_safe(flat->payload,
																					AUDIENCE_PAYLOAD_SIZE(flat));
				AudienceFlat *flats[2] = {flat, flat};

				FUZZ_ASSERT(payload != NULL, "validated payload does not load");
				expect = roaring_bitmap_or(acc, payload);
				PG_TRY();
				{
					audience_merge_flats(acc, flats, 2, NULL);
					roaring_bitmap_repair_after_lazy(acc);
					FUZZ_ASSERT(roaring_bitmap_equals(acc, expect), "batched union differs from CRoaring's");
				}
				PG_FINALLY();
				{
					roaring_bitmap_free(acc);
					roaring_bitmap_free(expect);
					roaring_bitmap_free(payload);
				}
				PG_END_TRY();
			});
	}
	fuzz_reset();
	return 0;
}
