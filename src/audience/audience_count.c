/*
 * audience_count.c
 *	  Sizes of set-algebra results without building them, and similarity.
 *
 * Every count of two audiences follows from |a ∩ b| and the two
 * cardinalities.  Two stored (flat) audiences are counted straight from
 * their portable bytes, container by container, without decoding either
 * (audience_bytes.c).  A stored value in TOAST is read in place, chunk by
 * chunk (audience_toast_read.c), unless the call site meets it again on its
 * next call: then it is fetched once and kept.  When either argument is already decoded (an expanded value),
 * CRoaring counts on the decoded sets, the other decoded once per call
 * site (audience_cache.c).
 */
#include "postgres.h"

#include "audience/audience_internal.h"
#include "audience/audience_bytes.h"
#include "audience/audience_toast_read.h"

/* quanyu.audience_count_from_bytes: off only to measure the decoding path. */
bool		audience_count_from_bytes = true;

typedef uint64 (*BitmapCountOp) (const roaring_bitmap_t *, const roaring_bitmap_t *);

/* Which count of a and b from |a ∩ b|. */
typedef enum PairCount
{
	PAIR_AND,
	PAIR_OR,
	PAIR_ANDNOT,
	PAIR_XOR
} PairCount;

/*
 * One stored argument of a pair, read from its bytes: in place from its
 * TOAST chunks (audience_toast_read.c) when this call site will not meet it
 * again, else from one buffer (fetched once per call site: audience_cache.c).
 */
typedef struct PairSide
{
	AudienceToastStream stream;
	bool		streamed;
	union
	{
		uint64		align;
		char		bytes[AUDIENCE_HEADER_SIZE];
	}			header;			/* a streamed value's header (AudienceFlat) */
	const AudienceFlat *flat;	/* its header, or the whole value */
	PortableReader reader;
} PairSide;

/* The argument's header (checked), its reader not yet open. */
static void
pair_side_begin(FunctionCallInfo fcinfo, int argno, PairSide *side)
{
	const struct varlena *v = (const struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));

	side->streamed = audience_cache_read_in_place(fcinfo, argno) &&
		audience_toast_open(&side->stream, v, (AudienceFlat *) side->header.bytes);
	side->flat = side->streamed ? (const AudienceFlat *) side->header.bytes :
		audience_cache_flat(fcinfo, argno);
}

static void
pair_side_open_reader(PairSide *side)
{
	if (side->streamed)
	{
		if (!portable_open_source(&side->reader, &side->stream.source,
								  AUDIENCE_PAYLOAD_SIZE(side->flat), false))
			audience_stored_corrupted();
	}
	else
		audience_portable_open_stored(&side->reader, side->flat->payload,
									  AUDIENCE_PAYLOAD_SIZE(side->flat));
}

static void
pair_side_end(PairSide *side)
{
	if (side->streamed)
		audience_toast_close(&side->stream);
}

/*
 * |a ∩ b| (or, with subset_test, 1 when b ⊆ a and 0 otherwise) of the two
 * audience arguments (a is argument arg_a, 0 or 1, and b the other one)
 * read from their bytes, with their cardinalities;
 * false when either argument is expanded (the caller then uses CRoaring).
 */
bool
audience_pair_from_bytes(FunctionCallInfo fcinfo, int arg_a, bool subset_test, uint64 *result,
						 uint64 *card_a, uint64 *card_b)
{
	PairSide	a;
	PairSide	b;
	bool		decided = false;

	if (!audience_count_from_bytes ||
		audience_datum_is_expanded(PG_GETARG_DATUM(0)) ||
		audience_datum_is_expanded(PG_GETARG_DATUM(1)))
		return false;
	pair_side_begin(fcinfo, arg_a, &a);
	pair_side_begin(fcinfo, 1 - arg_a, &b);
	*card_a = a.flat->cardinality;
	*card_b = b.flat->cardinality;
	if (subset_test)
	{
		/* The headers often decide alone. */
		if (b.flat->cardinality == 0)
		{
			*result = 1;
			decided = true;
		}
		else if (b.flat->cardinality > a.flat->cardinality ||
				 b.flat->min_id < a.flat->min_id || b.flat->max_id > a.flat->max_id)
		{
			*result = 0;
			decided = true;
		}
	}
	if (!decided)
	{
		pair_side_open_reader(&a);
		pair_side_open_reader(&b);
		if (!portable_intersection_card(&a.reader, &b.reader, subset_test, result))
			audience_stored_corrupted();
	}
	pair_side_end(&a);
	pair_side_end(&b);
	return true;
}

/* A count of two audience arguments: from their bytes, or by CRoaring's op. */
static Datum
audience_count_op(FunctionCallInfo fcinfo, PairCount which, BitmapCountOp op)
{
	uint64		inter,
				ca,
				cb;

	if (!audience_pair_from_bytes(fcinfo, 0, false, &inter, &ca, &cb))
		PG_RETURN_INT64((int64) op(PG_GETARG_AUDIENCE_BITMAP(0), PG_GETARG_AUDIENCE_BITMAP(1)));
	switch (which)
	{
		case PAIR_AND:
			PG_RETURN_INT64((int64) inter);
		case PAIR_OR:
			PG_RETURN_INT64((int64) (ca + cb - inter));
		case PAIR_ANDNOT:
			PG_RETURN_INT64((int64) (ca - inter));
		default:
			PG_RETURN_INT64((int64) (ca + cb - 2 * inter));
	}
}

PG_FUNCTION_INFO_V1(audience_and_count);
/* cardinality(a & b) */
Datum
audience_and_count(PG_FUNCTION_ARGS)
{
	return audience_count_op(fcinfo, PAIR_AND, roaring_bitmap_and_cardinality);
}

PG_FUNCTION_INFO_V1(audience_or_count);
/* cardinality(a | b) */
Datum
audience_or_count(PG_FUNCTION_ARGS)
{
	return audience_count_op(fcinfo, PAIR_OR, roaring_bitmap_or_cardinality);
}

PG_FUNCTION_INFO_V1(audience_andnot_count);
/* cardinality(a - b) */
Datum
audience_andnot_count(PG_FUNCTION_ARGS)
{
	return audience_count_op(fcinfo, PAIR_ANDNOT, roaring_bitmap_andnot_cardinality);
}

PG_FUNCTION_INFO_V1(audience_xor_count);
/* cardinality(a # b) */
Datum
audience_xor_count(PG_FUNCTION_ARGS)
{
	return audience_count_op(fcinfo, PAIR_XOR, roaring_bitmap_xor_cardinality);
}

PG_FUNCTION_INFO_V1(audience_jaccard);
/*
 * Jaccard similarity |a & b| / |a | b|.  Two empty audiences are equal sets,
 * so their similarity is 1 (CRoaring would give 0/0).
 */
Datum
audience_jaccard(PG_FUNCTION_ARGS)
{
	uint64		inter,
				ca,
				cb,
				uni;

	if (!audience_pair_from_bytes(fcinfo, 0, false, &inter, &ca, &cb))
	{
		const roaring_bitmap_t *a = PG_GETARG_AUDIENCE_BITMAP(0);
		const roaring_bitmap_t *b = PG_GETARG_AUDIENCE_BITMAP(1);

		inter = roaring_bitmap_and_cardinality(a, b);
		ca = roaring_bitmap_get_cardinality(a);
		cb = roaring_bitmap_get_cardinality(b);
	}
	uni = ca + cb - inter;
	if (uni == 0)
		PG_RETURN_FLOAT8(1.0);
	PG_RETURN_FLOAT8((double) inter / (double) uni);
}
