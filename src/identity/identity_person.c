/*
 * identity_person.c
 *	  identity_person(type, value): the current person id of one identifier.
 *
 * Analysts call it once per row of an order table, so it is C: the rules
 * come from the backend cache (identity_rules_current) and the identifier
 * is found by one probe of identity_identifier's primary key.  Reading the
 * index directly checks no privilege, so the executor's checks are made
 * first (identity_check_table: SELECT on the table or its columns, and no
 * row-level security policy that would hide rows).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_type_d.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "identity/identity.h"

/* OIDs looked up once per query (fn_extra). */
typedef struct IdentityPersonCache
{
	Oid			heap;
	Oid			index;
} IdentityPersonCache;

/* Check that a column of identity_identifier has the type this file reads. */
static void
identity_personheck_column(Relation rel, int attno, Oid type)
{
	TupleDesc	desc = RelationGetDescr(rel);

	if (desc->natts < attno || TupleDescAttr(desc, attno - 1)->attisdropped ||
		TupleDescAttr(desc, attno - 1)->atttypid != type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("table quanyu.identity_identifier does not have the expected columns"),
				 errdetail("Column %d should be of type %s.", attno, format_type_be(type)),
				 errhint("Reinstall the quanyu extension.")));
}

PG_FUNCTION_INFO_V1(identity_person);
/* identity_person(type, value): person id, or NULL when unknown or blocked */
Datum
identity_person(PG_FUNCTION_ARGS)
{
	text	   *type = PG_GETARG_TEXT_PP(0);
	text	   *value = PG_GETARG_TEXT_PP(1);
	IdentityPersonCache *cache = (IdentityPersonCache *) fcinfo->flinfo->fn_extra;
	IdentityRules *rules;
	StringInfoData norm;
	int			rule;
	Relation	heap;
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	ScanKeyData key[2];
	bool		found = false;
	int64		person = 0;

	if (cache == NULL)
	{
		Relation	rel;

		cache = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(IdentityPersonCache));
		cache->heap = identity_table_oid("identity_identifier");
		/* the primary key (id_type, id_value) */
		rel = table_open(cache->heap, AccessShareLock);
		identity_personheck_column(rel, 1, TEXTOID);
		identity_personheck_column(rel, 2, TEXTOID);
		identity_personheck_column(rel, 3, INT8OID);
		cache->index = RelationGetPrimaryKeyIndex(rel);
		table_close(rel, AccessShareLock);
		if (!OidIsValid(cache->index))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("table quanyu.identity_identifier has no primary key"),
					 errhint("Reinstall the quanyu extension.")));
		fcinfo->flinfo->fn_extra = cache;
	}
	/*
	 * The executor's checks, before the index is read without them: SELECT
	 * on the table or on the three columns read, and no row-level security.
	 */
	if (pg_class_aclcheck(cache->heap, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
	{
		for (AttrNumber att = 1; att <= 3; att++)
		{
			AclResult	aclresult = pg_attribute_aclcheck(cache->heap, att, GetUserId(), ACL_SELECT);

			if (aclresult != ACLCHECK_OK)
				aclcheck_error(aclresult, OBJECT_TABLE, "identity_identifier");
		}
	}
	identity_check_table(cache->heap, ACL_NO_RIGHTS);

	rules = identity_rules_current();
	rule = identity_rules_type(rules, VARDATA_ANY(type), VARSIZE_ANY_EXHDR(type));
	initStringInfo(&norm);
	if (!identity_normalize_value(rules, rule, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), &norm))
		PG_RETURN_NULL();

	heap = table_open(cache->heap, AccessShareLock);
	index = index_open(cache->index, AccessShareLock);
	ScanKeyInit(&key[0], 1, BTEqualStrategyNumber, F_TEXTEQ, PointerGetDatum(type));
	key[0].sk_collation = C_COLLATION_OID;
	ScanKeyInit(&key[1], 2, BTEqualStrategyNumber, F_TEXTEQ,
				PointerGetDatum(cstring_to_text_with_len(norm.data, norm.len)));
	key[1].sk_collation = C_COLLATION_OID;
	scan = index_beginscan(heap, index, GetActiveSnapshot(), 2, 0);
	index_rescan(scan, key, 2, NULL, 0);
	slot = table_slot_create(heap, NULL);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		d = slot_getattr(slot, 3, &isnull);

		if (!isnull)
		{
			person = DatumGetInt64(d);
			found = true;
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	index_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);
	if (!found)
		PG_RETURN_NULL();
	PG_RETURN_INT64(person);
}
