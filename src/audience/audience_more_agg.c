/*
 * audience_more_agg.c
 *	  More audience aggregates: symmetric difference of many audiences, and
 *	  the size of a union without returning it.
 *
 * Same state discipline as audience_agg.c: the state is an audience kept as
 * a read-write expanded object directly under the aggregate context, changed
 * in place, so the aggregates are parallel safe and Citus can push them down.
 * audience_union_count_agg reuses the union transition and combine functions
 * of audience_union_agg and only has its own final function.
 */
#include "postgres.h"

#include "audience/audience.h"

PG_FUNCTION_INFO_V1(audience_xor_trans);
/*
 * audience_xor_agg(audience): XOR each input into the state; the persons in
 * an odd number of the inputs.  Also the combine function.
 */
Datum
audience_xor_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = audience_agg_context(fcinfo);
	AudienceExpanded *ea;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		ea = audience_agg_state_new(aggcontext);
		audience_expanded_copy_from(ea, PG_GETARG_DATUM(1));
	}
	else
	{
		Datum		input = PG_GETARG_DATUM(1);
		roaring_bitmap_t *state;

		ea = audience_agg_state(fcinfo);
		state = audience_expanded_bitmap(ea);
		audience_expanded_changed(ea);
		if (!audience_datum_is_expanded(input))
		{
			/*
			 * A stored input is XOR-ed in place straight from its bytes: no
			 * copy of the state per row, no decoding of the input.
			 */
			AudienceFlat *flat = (AudienceFlat *) PG_DETOAST_DATUM(input);

			/* A container grows by the input's at most twice, or to a bitset. */
			audience_expanded_reserve(ea, Min(2.0 * audience_estimate_load(AUDIENCE_PAYLOAD_SIZE(flat)),
											  (double) audience_flat_containers(flat) *
											  AUDIENCE_BITSET_COST),
									  "audience_xor_agg");
			audience_xor_flat(state, flat);
			if ((Pointer) flat != DatumGetPointer(input))
				pfree(flat);
		}
		else
		{
			const roaring_bitmap_t *in = audience_datum_bitmap(input);

			/*
			 * A new bitmap rather than roaring_bitmap_xor_inplace: CRoaring
			 * 0.2's in-place xor of run containers goes through bitsets, 10x
			 * slower (0.5 s a row for full-range inputs, deaf to a cancel).
			 * The result lives beside the state until it replaces it.
			 */
			audience_expanded_reserve(ea, audience_estimate_binary(state, in, false), "audience_xor_agg");
			audience_expanded_set_bitmap(ea, roaring_bitmap_xor(state, in));
		}
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&ea->hdr));
}

PG_FUNCTION_INFO_V1(audience_union_count_final);
/*
 * Final function of audience_union_count_agg: the size of the union state,
 * 0 for no rows.  Read-only (repairing a lazy union does not change the set).
 */
Datum
audience_union_count_final(PG_FUNCTION_ARGS)
{
	Datum		d;

	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(0);
	d = PG_GETARG_DATUM(0);
	if (audience_datum_is_expanded(d))
		PG_RETURN_INT64((int64) roaring_bitmap_get_cardinality(
									audience_expanded_bitmap(audience_datum_expanded(d))));
	PG_RETURN_INT64((int64) audience_datum_cardinality(d));
}
