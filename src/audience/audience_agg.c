/*
 * audience_agg.c
 *	  Aggregates building and combining audiences.
 *
 * The transition state is an audience, kept as a read-write expanded object
 * in a context directly under the aggregate context: transition and combine
 * functions change it in place, and it is flattened only when PostgreSQL
 * (a parallel worker, Citus, hash aggregation spilling to disk) must copy it.
 * A state type other than internal is what lets Citus push these aggregates
 * down to its workers.  An empty input gives an empty audience, not NULL.
 *
 * audience_agg, audience_union_agg, audience_intersect_agg, audience_xor_agg
 * and audience_union_count_agg (which reuses the union transition and
 * combine functions and only has its own final function).
 */
#include "postgres.h"

#include "audience/audience.h"
#include "common/person_id.h"

/* The aggregate's memory context; an error outside an aggregate. */
MemoryContext
audience_agg_context(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("audience aggregate transition function called outside an aggregate")));
	return aggcontext;
}

/*
 * The transition state in argument 0, ready to change in place: our own
 * read-write object under the aggregate context, or else a new copy there
 * (a new empty audience when the state is still NULL).  New states are made
 * by audience_agg_state_new(), which says where they live and why.
 */
AudienceExpanded *
audience_agg_state(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext = audience_agg_context(fcinfo);
	AudienceExpanded *ea;
	Datum		d;

	if (PG_ARGISNULL(0))
		return audience_agg_state_new(aggcontext);
	d = PG_GETARG_DATUM(0);
	if (DatumIsReadWriteExpandedObject(d, false, -1))
	{
		ea = audience_datum_expanded(d);
		if (ea->hdr.eoh_context->parent == aggcontext)
			return ea;
	}
	ea = audience_agg_state_new(aggcontext);
	audience_expanded_copy_from(ea, d);
	return ea;
}

/* Return the state datum. */
#define PG_RETURN_AGG_STATE(ea) PG_RETURN_DATUM(EOHPGetRWDatum(&(ea)->hdr))

PG_FUNCTION_INFO_V1(audience_agg_trans);
/* audience_agg(bigint): queue the id; ids are added in batches */
Datum
audience_agg_trans(PG_FUNCTION_ARGS)
{
	AudienceExpanded *ea = audience_agg_state(fcinfo);

	if (!PG_ARGISNULL(1))
		audience_expanded_add_id(ea, person_id_from_int64(PG_GETARG_INT64(1)));
	PG_RETURN_AGG_STATE(ea);
}

PG_FUNCTION_INFO_V1(audience_agg_trans_int4);
/* audience_agg(int4) */
Datum
audience_agg_trans_int4(PG_FUNCTION_ARGS)
{
	AudienceExpanded *ea = audience_agg_state(fcinfo);

	if (!PG_ARGISNULL(1))
		audience_expanded_add_id(ea, person_id_from_int64(PG_GETARG_INT32(1)));
	PG_RETURN_AGG_STATE(ea);
}

PG_FUNCTION_INFO_V1(audience_union_trans);
/* audience_union_agg(audience): OR each input into the state */
Datum
audience_union_trans(PG_FUNCTION_ARGS)
{
	AudienceExpanded *ea;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	ea = audience_agg_state(fcinfo);
	audience_expanded_union(ea, PG_GETARG_DATUM(1));
	PG_RETURN_AGG_STATE(ea);
}

PG_FUNCTION_INFO_V1(audience_union_combine);
/* Combine two partial union states (also the combine of audience_agg). */
Datum
audience_union_combine(PG_FUNCTION_ARGS)
{
	return audience_union_trans(fcinfo);
}

/*
 * AND an audience into the state.  Once the state is empty nothing can
 * come back, so the input is not read at all; an input whose header shows
 * it empty or outside the state's id range empties the state without its
 * payload being read; and of a stored input only the containers whose keys
 * the state still has are decoded.
 */
static void
audience_intersect_into(AudienceExpanded *ea, Datum input)
{
	roaring_bitmap_t *state = audience_expanded_bitmap(ea);
	AudienceFlat header;
	const AudienceFlat *h;
	AudienceFlat *flat;
	roaring_bitmap_t *part;

	if (roaring_bitmap_is_empty(state))
		return;
	audience_expanded_changed(ea);
	if (audience_datum_is_expanded(input))
	{
		const roaring_bitmap_t *in = audience_datum_bitmap(input);

		/* A container grows by the input's at most, or to a bitset. */
		audience_expanded_reserve(ea, Min((double) audience_bitmap_memory(in),
										  Min(audience_bitmap_containers(state),
											  audience_bitmap_containers(in)) *
										  (double) AUDIENCE_BITSET_COST),
								  "audience_intersect_agg");
		roaring_bitmap_and_inplace(state, in);
		return;
	}
	h = audience_datum_header(input, &header);
	if (h->cardinality == 0 || h->max_id < roaring_bitmap_minimum(state) ||
		h->min_id > roaring_bitmap_maximum(state))
	{
		roaring_bitmap_clear(state);
		return;
	}
	flat = (AudienceFlat *) PG_DETOAST_DATUM(input);
	audience_expanded_reserve(ea, Min(audience_estimate_load(AUDIENCE_PAYLOAD_SIZE(flat)),
									  audience_bitmap_containers(state) *
									  (double) AUDIENCE_BITSET_COST),
							  "audience_intersect_agg");
	part = audience_flat_load_keys(flat, state);
	roaring_bitmap_and_inplace(state, part);
	roaring_bitmap_free(part);
	if ((Pointer) flat != DatumGetPointer(input))
		pfree(flat);
}

PG_FUNCTION_INFO_V1(audience_intersect_trans);
/* audience_intersect_agg(audience): AND each input into the state */
Datum
audience_intersect_trans(PG_FUNCTION_ARGS)
{
	AudienceExpanded *ea;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		/* The first input is the whole intersection so far. */
		ea = audience_agg_state_new(audience_agg_context(fcinfo));
		audience_expanded_copy_from(ea, PG_GETARG_DATUM(1));
		PG_RETURN_AGG_STATE(ea);
	}
	ea = audience_agg_state(fcinfo);
	audience_intersect_into(ea, PG_GETARG_DATUM(1));
	PG_RETURN_AGG_STATE(ea);
}

PG_FUNCTION_INFO_V1(audience_intersect_combine);
/* Combine two partial intersection states; NULL means "no rows yet". */
Datum
audience_intersect_combine(PG_FUNCTION_ARGS)
{
	return audience_intersect_trans(fcinfo);
}

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

		ea = audience_agg_state(fcinfo);
		audience_expanded_changed(ea);
		if (!audience_datum_is_expanded(input))
		{
			/*
			 * A stored input is XOR-ed in place straight from its bytes: no
			 * copy of the state per row, no decoding of the input; mid-sized
			 * ones in batches, a container key at a time (audience_union.c).
			 */
			audience_expanded_xor_stored(ea, input);
		}
		else
		{
			const roaring_bitmap_t *in = audience_datum_bitmap(input);
			roaring_bitmap_t *state = audience_expanded_bitmap(ea);

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
	PG_RETURN_AGG_STATE(ea);
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

PG_FUNCTION_INFO_V1(audience_agg_final);
/*
 * Final function of the audience aggregates: the state, flattened with runs
 * optimised; an empty audience for no input.  It does not change the set,
 * so it is safe to call more than once (window aggregates do).
 */
Datum
audience_agg_final(PG_FUNCTION_ARGS)
{
	roaring_bitmap_t *bitmap;
	AudienceExpanded *ea;

	if (PG_ARGISNULL(0))
		PG_RETURN_AUDIENCE(audience_expanded_new(CurrentMemoryContext));
	if (!audience_datum_is_expanded(PG_GETARG_DATUM(0)))
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	ea = audience_datum_expanded(PG_GETARG_DATUM(0));
	bitmap = audience_expanded_bitmap(ea);
	roaring_bitmap_run_optimize(bitmap);
	PG_RETURN_POINTER(audience_flatten(bitmap));
}
