/*
 * audience_slice.c
 *	  Parts of an audience: ids in a range, pages by position, a streamed
 *	  set of ids, and audiences made from a range.
 *
 * Ranges are half-open, [lo, hi), so hi may be 4294967296 to reach the last
 * id and consecutive ranges tile the id space without overlap.
 */
#include "postgres.h"

#include "audience/audience_internal.h"
#include "common/person_id.h"
#include "funcapi.h"
#include "miscadmin.h"

#define SLICE_CHUNK 4096
#define RANGE_END_MAX (PERSON_ID_MAX + 1)

/* Check a half-open range [lo, hi) of ids. */
static void
audience_check_range(int64 lo, int64 hi)
{
	if (lo < 0 || lo > PERSON_ID_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("range start %lld is out of range", (long long) lo),
				 errdetail("A range starts at a person id, from 0 to 4294967295.")));
	if (hi < 0 || hi > RANGE_END_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("range end %lld is out of range", (long long) hi),
				 errdetail("A range end is exclusive, from 0 to 4294967296.")));
	if (lo > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("range start %lld is greater than range end %lld",
						(long long) lo, (long long) hi),
				 errdetail("Ranges are [start, end); an empty range has start = end.")));
}

/*
 * A new CRoaring bitmap of [lo, hi), or an empty one.  The caller hands it
 * to an expanded object (or frees it) before anything can raise an error.
 */
static roaring_bitmap_t *
audience_range_bitmap(int64 lo, int64 hi)
{
	if (lo >= hi)
		return roaring_bitmap_create();
	return roaring_bitmap_from_range((uint64) lo, (uint64) hi, 1);
}

/* The memory of the bitmap of [lo, hi): one run container per key. */
static double
audience_range_memory(int64 lo, int64 hi)
{
	if (lo >= hi)
		return sizeof(roaring_bitmap_t);
	return sizeof(roaring_bitmap_t) + (double) (((hi - 1) >> 16) - (lo >> 16) + 1) *
		(AUDIENCE_CONTAINER_OVERHEAD + 8 + 2 * AUDIENCE_CONTAINER_SLOT_BYTES);
}

PG_FUNCTION_INFO_V1(audience_from_range);
/* The audience of every id in [lo, hi). */
Datum
audience_from_range(PG_FUNCTION_ARGS)
{
	int64		lo = PG_GETARG_INT64(0);
	int64		hi = PG_GETARG_INT64(1);
	AudienceExpanded *ea;

	audience_check_range(lo, hi);
	audience_memory_check(audience_range_memory(lo, hi), "audience_from_range");
	ea = audience_expanded_new(CurrentMemoryContext);
	audience_expanded_set_bitmap(ea, audience_range_bitmap(lo, hi));
	PG_RETURN_AUDIENCE(ea);
}

PG_FUNCTION_INFO_V1(audience_range);
/* The ids of a in [lo, hi). */
Datum
audience_range(PG_FUNCTION_ARGS)
{
	int64		lo = PG_GETARG_INT64(1);
	int64		hi = PG_GETARG_INT64(2);
	const roaring_bitmap_t *a;
	AudienceExpanded *ea;
	roaring_bitmap_t *range;
	roaring_bitmap_t *result;

	audience_check_range(lo, hi);
	a = PG_GETARG_AUDIENCE_BITMAP(0);
	/* The result is within a, each container at most the range's or a's. */
	audience_memory_check(2.0 * audience_range_memory(lo, hi) + audience_bitmap_memory(a),
						  "audience_range");
	ea = audience_expanded_new(CurrentMemoryContext);
	/* No palloc or ereport between creating range and freeing it. */
	range = audience_range_bitmap(lo, hi);
	if (range == NULL)
		result = NULL;
	else
	{
		result = roaring_bitmap_and(a, range);
		roaring_bitmap_free(range);
	}
	audience_expanded_set_bitmap(ea, result);
	PG_RETURN_AUDIENCE(ea);
}

/* Check that a bigint argument is not negative. */
static void
audience_check_nonnegative(int64 value, const char *what)
{
	if (value < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %lld must not be negative", what, (long long) value),
				 errdetail("Offsets and limits count ids in sorted order, from 0.")));
}

PG_FUNCTION_INFO_V1(audience_page);
/*
 * The ids at sorted positions [offset, offset + limit), positions counted
 * from 0 like SQL's OFFSET: page k of size n is audience_page(a, k * n, n).
 */
Datum
audience_page(PG_FUNCTION_ARGS)
{
	int64		offset = PG_GETARG_INT64(1);
	int64		limit = PG_GETARG_INT64(2);
	const roaring_bitmap_t *a;
	AudienceBuilder *b;
	roaring_uint32_iterator_t it;
	uint64		card;
	uint64		left;
	uint32		first;
	uint32		buf[SLICE_CHUNK];

	audience_check_nonnegative(offset, "offset");
	audience_check_nonnegative(limit, "limit");
	card = audience_datum_cardinality(PG_GETARG_DATUM(0));
	if ((uint64) offset >= card || limit == 0)
		PG_RETURN_AUDIENCE(audience_expanded_new(CurrentMemoryContext));
	left = Min((uint64) limit, card - (uint64) offset);
	a = PG_GETARG_AUDIENCE_BITMAP(0);
	if (!roaring_bitmap_select(a, (uint32) offset, &first))
		PG_RETURN_AUDIENCE(audience_expanded_new(CurrentMemoryContext));
	b = audience_builder_new(CurrentMemoryContext);
	roaring_init_iterator(a, &it);
	roaring_move_uint32_iterator_equalorlarger(&it, first);
	while (left > 0 && it.has_value)
	{
		uint32		n = roaring_read_uint32_iterator(&it, buf, (uint32) Min(left, SLICE_CHUNK));

		audience_builder_add_ids(b, buf, (int) n);
		left -= n;
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_AUDIENCE(audience_builder_finish(b));
}

/* State of audience_ids between calls, in multi_call_memory_ctx. */
typedef struct AudienceIdsState
{
	AudienceExpanded *ea;		/* private copy: its context frees the bitmap */
	roaring_uint32_iterator_t it;
	uint32		buf[SLICE_CHUNK];
	uint32		nbuf;
	uint32		next;
} AudienceIdsState;

PG_FUNCTION_INFO_V1(audience_ids);
/*
 * The ids in ascending order as a set of bigint, one per call: a value-per-
 * call SRF reading the bitmap with an iterator, SLICE_CHUNK ids at a time,
 * so no array of all ids is ever built.  The bitmap is a private copy in
 * multi_call_memory_ctx, freed when the scan ends or is abandoned.
 */
Datum
audience_ids(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	AudienceIdsState *state;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		state = palloc0(sizeof(AudienceIdsState));
		/* Not the argument cache: a set-returning function owns fn_extra. */
		state->ea = audience_expand(PG_GETARG_DATUM(0), funcctx->multi_call_memory_ctx);
		roaring_init_iterator(audience_expanded_bitmap(state->ea), &state->it);
		funcctx->user_fctx = state;
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	state = (AudienceIdsState *) funcctx->user_fctx;
	if (state->next == state->nbuf && state->it.has_value)
	{
		CHECK_FOR_INTERRUPTS();
		state->nbuf = roaring_read_uint32_iterator(&state->it, state->buf, SLICE_CHUNK);
		state->next = 0;
	}
	if (state->next < state->nbuf)
		SRF_RETURN_NEXT(funcctx, Int64GetDatum((int64) state->buf[state->next++]));
	SRF_RETURN_DONE(funcctx);
}
