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

#include "audience/audience_internal.h"
#include "audience/audience_bytes.h"
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

/* A new state under the aggregate context holding a copy of the datum's set. */
static AudienceBuilder *
audience_agg_state_copy(MemoryContext aggcontext, Datum d)
{
	AudienceBuilder *b = audience_agg_builder_new(aggcontext);

	AudienceExpanded *copy = audience_expand(d, CurrentMemoryContext);

	audience_builder_set_bitmap(b, audience_expanded_take_bitmap(copy));
	return b;
}

/*
 * The transition state in argument 0, ready to change in place: the builder
 * of our own read-write state under the aggregate context, or else of a
 * new copy there (a new empty audience when the state is still NULL).  New
 * states are made by audience_agg_builder_new(), which says where they live
 * and why.
 */
static AudienceBuilder *
audience_agg_state(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext = audience_agg_context(fcinfo);
	Datum		d;

	if (PG_ARGISNULL(0))
		return audience_agg_builder_new(aggcontext);
	d = PG_GETARG_DATUM(0);
	if (DatumIsReadWriteExpandedObject(d, false, -1))
	{
		AudienceExpanded *ea = audience_datum_expanded(d);

		if (ea->builder != NULL && ea->hdr.eoh_context->parent == aggcontext)
			return ea->builder;
	}
	return audience_agg_state_copy(aggcontext, d);
}

/* A NULL input leaves the state as it is (NULL before the first input). */
static Datum
audience_agg_unchanged(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

/* Return the state datum. */
#define PG_RETURN_AGG_STATE(b) PG_RETURN_DATUM(EOHPGetRWDatum(&(b)->value->hdr))

/* Queue a non-null id of audience_agg's argument; ids are added in batches. */
static Datum
audience_agg_add(FunctionCallInfo fcinfo, int64 id)
{
	AudienceBuilder *b = audience_agg_state(fcinfo);

	if (!PG_ARGISNULL(1))
		audience_builder_add_id(b, person_id_from_int64(id));
	PG_RETURN_AGG_STATE(b);
}

PG_FUNCTION_INFO_V1(audience_agg_trans);
/* audience_agg(bigint) */
Datum
audience_agg_trans(PG_FUNCTION_ARGS)
{
	return audience_agg_add(fcinfo, PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1));
}

PG_FUNCTION_INFO_V1(audience_agg_trans_int4);
/* audience_agg(int4) */
Datum
audience_agg_trans_int4(PG_FUNCTION_ARGS)
{
	return audience_agg_add(fcinfo, PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1));
}

PG_FUNCTION_INFO_V1(audience_union_trans);
/* audience_union_agg(audience): OR each input into the state */
Datum
audience_union_trans(PG_FUNCTION_ARGS)
{
	AudienceBuilder *b;

	if (PG_ARGISNULL(1))
		return audience_agg_unchanged(fcinfo);
	b = audience_agg_state(fcinfo);
	audience_builder_union(b, PG_GETARG_DATUM(1));
	PG_RETURN_AGG_STATE(b);
}

PG_FUNCTION_INFO_V1(audience_union_combine);
/* Combine two partial union states (also the combine of audience_agg). */
Datum
audience_union_combine(PG_FUNCTION_ARGS)
{
	return audience_union_trans(fcinfo);
}

/* The smallest and largest id of the state (not empty). */
static void
intersect_state_bounds(AudienceBuilder *b, uint32 *lo, uint32 *hi)
{
	if (b->held != NULL)
	{
		*lo = b->held->min_id;
		*hi = b->held->max_id;
		return;
	}
	*lo = roaring_bitmap_minimum(b->value->bitmap);
	*hi = roaring_bitmap_maximum(b->value->bitmap);
}

/*
 * AND an audience into the state.  Once the state is empty nothing can
 * come back, so the input is not read at all; an input whose header shows
 * it empty or outside the state's id range empties the state without its
 * payload being read.  The first input is held stored (undecoded), and a
 * stored second input is first intersected with it straight from the two
 * payloads: an empty intersection, the common case of a narrowing chain
 * of segments, decodes nothing.  Otherwise, of a stored input only the
 * containers whose keys the state still has are decoded.
 */
static void
audience_intersect_into(AudienceBuilder *b, Datum input)
{
	AudienceFlat header;
	const AudienceFlat *h;
	AudienceFlat *flat;
	roaring_bitmap_t *state;
	roaring_bitmap_t *part;
	uint32		lo;
	uint32		hi;
	uint64		common;

	if (b->held == NULL ? roaring_bitmap_is_empty(audience_builder_bitmap(b)) :
		b->held->cardinality == 0)
		return;
	audience_builder_changed(b);
	if (audience_datum_is_expanded(input))
	{
		const roaring_bitmap_t *in = audience_datum_bitmap(input);

		state = audience_builder_bitmap(b);
		/* A container grows by the input's at most, or to a bitset. */
		audience_builder_reserve(b, Min((double) audience_bitmap_memory(in),
										Min(audience_bitmap_containers(state),
											audience_bitmap_containers(in)) *
										(double) AUDIENCE_BITSET_COST),
								 "audience_intersect_agg");
		roaring_bitmap_and_inplace(state, in);
		return;
	}
	h = audience_datum_header(input, &header);
	intersect_state_bounds(b, &lo, &hi);
	if (h->cardinality == 0 || h->max_id < lo || h->min_id > hi)
	{
		audience_builder_clear(b);
		return;
	}
	flat = (AudienceFlat *) PG_DETOAST_DATUM(input);
	if (b->held != NULL)
	{
		PortableReader held_reader;
		PortableReader input_reader;

		audience_header_check(flat);
		audience_portable_open_stored(&held_reader, b->held->payload, AUDIENCE_PAYLOAD_SIZE(b->held));
		audience_portable_open_stored(&input_reader, flat->payload, AUDIENCE_PAYLOAD_SIZE(flat));
		if (!portable_intersection_card(&held_reader, &input_reader, false, &common))
			audience_stored_corrupted();
		if (common == 0)
		{
			audience_builder_clear(b);
			if ((Pointer) flat != DatumGetPointer(input))
				pfree(flat);
			return;
		}
	}
	state = audience_builder_bitmap(b);
	audience_builder_reserve(b, Min(audience_estimate_load(AUDIENCE_PAYLOAD_SIZE(flat)),
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
	AudienceBuilder *b;

	if (PG_ARGISNULL(1))
		return audience_agg_unchanged(fcinfo);
	if (PG_ARGISNULL(0))
	{
		/* The first input is the whole intersection so far: held stored. */
		Datum		first = PG_GETARG_DATUM(1);

		if (audience_datum_is_expanded(first))
			b = audience_agg_state_copy(audience_agg_context(fcinfo), first);
		else
		{
			b = audience_agg_builder_new(audience_agg_context(fcinfo));
			audience_builder_hold(b, first);
		}
		PG_RETURN_AGG_STATE(b);
	}
	b = audience_agg_state(fcinfo);
	audience_intersect_into(b, PG_GETARG_DATUM(1));
	PG_RETURN_AGG_STATE(b);
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
 * an odd number of the inputs.  Also the combine function.  A stored input
 * is XOR-ed in place straight from its bytes (audience_builder_xor): no
 * copy of the state per row, no decoding of the input.
 */
Datum
audience_xor_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = audience_agg_context(fcinfo);
	AudienceBuilder *b;

	if (PG_ARGISNULL(1))
		return audience_agg_unchanged(fcinfo);
	if (PG_ARGISNULL(0))
		b = audience_agg_state_copy(aggcontext, PG_GETARG_DATUM(1));
	else
	{
		b = audience_agg_state(fcinfo);
		audience_builder_xor(b, PG_GETARG_DATUM(1));
	}
	PG_RETURN_AGG_STATE(b);
}

PG_FUNCTION_INFO_V1(audience_union_count_final);
/*
 * Final function of audience_union_count_agg: the size of the union state,
 * 0 for no rows.  Read-only (repairing a lazy union does not change the set).
 */
Datum
audience_union_count_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(0);
	PG_RETURN_INT64((int64) audience_datum_cardinality(PG_GETARG_DATUM(0)));
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
	Datum		d;

	if (PG_ARGISNULL(0))
		PG_RETURN_AUDIENCE(audience_expanded_new(CurrentMemoryContext));
	d = PG_GETARG_DATUM(0);
	if (!audience_datum_is_expanded(d))
		PG_RETURN_DATUM(d);
	PG_RETURN_POINTER(audience_expanded_flat_copy(audience_datum_expanded(d)));
}
