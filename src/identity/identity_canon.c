/*
 * identity_canon.c
 *	  audience_canonicalize(a): rewrite an audience stored before identity
 *	  merges so every person appears once, under their surviving id.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"

#include "audience/audience.h"
#include "common/sql_safety.h"
#include "identity/identity.h"

/* Below this many ids we look the merge log up by id; above, we scan it. */
#define IDENTITY_CANON_PROBE_MAX 100000

/* Read the redirects (loser, current survivor) that concern the audience. */
static void
identity_canon_read_redirects(const roaring_bitmap_t *a)
{
	uint64		card = roaring_bitmap_get_cardinality(a);
	int			rc;

	if (card <= IDENTITY_CANON_PROBE_MAX)
	{
		uint32	   *ids = palloc(sizeof(uint32) * Max(card, 1));
		Datum	   *elems = palloc(sizeof(Datum) * Max(card, 1));
		Oid			argtypes[1] = {INT8ARRAYOID};
		Datum		arg;

		roaring_bitmap_to_uint32_array(a, ids);
		for (uint64 i = 0; i < card; i++)
			elems[i] = Int64GetDatum((int64) ids[i]);
		arg = PointerGetDatum(construct_array(elems, (int) card, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		rc = SPI_execute_with_args("SELECT m.loser, m.current_survivor FROM pg_catalog.unnest($1) AS u(id) "
								   "JOIN quanyu.identity_merge m ON m.loser OPERATOR(pg_catalog.=) u.id",
								   1, argtypes, &arg, NULL, true, 0);
	}
	else
		rc = SPI_execute("SELECT m.loser, m.current_survivor FROM quanyu.identity_merge m", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read identity_merge");
}

PG_FUNCTION_INFO_V1(audience_canonicalize);
/* audience_canonicalize(a): merged-away ids replaced by their survivors */
Datum
audience_canonicalize(PG_FUNCTION_ARGS)
{
	const roaring_bitmap_t *a = PG_GETARG_AUDIENCE_BITMAP(0);
	AudienceExpanded *result = audience_expanded_new(CurrentMemoryContext);
	roaring_bitmap_t *out;
	int			nestlevel;

	/* The copy belongs to the expanded object at once: freed on any error. */
	audience_expanded_set_bitmap(result, roaring_bitmap_copy(a));
	out = audience_expanded_bitmap(result);
	SPI_connect();
	/* Qualified text, and a pinned path for anything a caller could plant. */
	nestlevel = qy_pin_search_path();
	identity_canon_read_redirects(a);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		loser = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		int64		survivor = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (loser < 0 || loser > PG_UINT32_MAX || survivor < 0 || survivor > PG_UINT32_MAX)
			continue;			/* the table's checks keep ids in range */
		if (!roaring_bitmap_contains(a, (uint32) loser))
			continue;
		roaring_bitmap_remove(out, (uint32) loser);
		roaring_bitmap_add(out, (uint32) survivor);
	}
	qy_unpin_search_path(nestlevel);
	SPI_finish();
	audience_expanded_changed(result);
	PG_RETURN_AUDIENCE(result);
}
