/*
 * segment_erase.c
 *	  Remove erased persons from one registered audience column.
 *
 * identity_forget may be run by a superuser on tables other roles own.  A
 * trigger or a column default of such a table is code its owner planted;
 * run as the caller, it would get the caller's privileges.  So, like VACUUM
 * and REFRESH MATERIALIZED VIEW, the update runs as the table's owner inside
 * a security-restricted operation, under a pinned search_path, after the
 * caller's own SELECT and UPDATE privileges on the column are checked.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(erasure_update_column);
/*
 * erasure_update_column(relation, column_name, ids): remove the ids from
 * every value of an audience column; returns the number of rows changed.
 */
Datum
erasure_update_column(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *column;
	Datum		ids;
	Oid			audience_type = get_fn_expr_argtype(fcinfo->flinfo, 2);
	HeapTuple	tup;
	Oid			owner;
	char		relkind;
	char	   *nspname;
	char	   *relname;
	AttrNumber	attnum;
	Oid			atttype;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	StringInfoData sql;
	Oid			argtypes[1];
	int			rc;
	uint64		changed;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	relid = PG_GETARG_OID(0);
	column = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ids = PG_GETARG_DATUM(2);
	if (!OidIsValid(audience_type))
		elog(ERROR, "erasure_update_column could not determine the audience type");

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	relkind = ((Form_pg_class) GETSTRUCT(tup))->relkind;
	ReleaseSysCache(tup);
	relname = get_rel_name(relid);
	nspname = get_namespace_name(get_rel_namespace(relid));
	if (relname == NULL || nspname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE && relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", relname)));
	attnum = get_attnum(relid, column);
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" does not exist", column),
				 errdetail("Relation %s has no column of that name.", quote_qualified_identifier(nspname, relname))));
	atttype = get_atttype(relid, attnum);
	if (getBaseType(atttype) != audience_type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" is of type %s, not audience", column, format_type_be(atttype))));

	/*
	 * The caller's own privileges first, as the executor would check them:
	 * SELECT and UPDATE, each on the table or on the column.  (One call
	 * with both bits would pass when either is held.)
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	if ((pg_class_aclcheck(relid, save_userid, ACL_SELECT) != ACLCHECK_OK &&
		 pg_attribute_aclcheck(relid, attnum, save_userid, ACL_SELECT) != ACLCHECK_OK) ||
		(pg_class_aclcheck(relid, save_userid, ACL_UPDATE) != ACLCHECK_OK &&
		 pg_attribute_aclcheck(relid, attnum, save_userid, ACL_UPDATE) != ACLCHECK_OK))
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(relkind), relname);

	initStringInfo(&sql);
	appendStringInfo(&sql, "UPDATE %s SET %s = %s OPERATOR(quanyu.-) $1 WHERE %s OPERATOR(quanyu.&&) $1",
					 quote_qualified_identifier(nspname, relname), quote_identifier(column),
					 quote_identifier(column), quote_identifier(column));
	argtypes[0] = audience_type;

	save_nestlevel = NewGUCNestLevel();
	SetUserIdAndSecContext(owner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	(void) set_config_option("search_path", "pg_catalog, quanyu, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "erasure_update_column could not connect to SPI");
	rc = SPI_execute_with_args(sql.data, 1, argtypes, &ids, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "erasure_update_column could not update %s: %s",
			 quote_qualified_identifier(nspname, relname), SPI_result_code_string(rc));
	changed = SPI_processed;
	SPI_finish();
	AtEOXact_GUC(true, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	PG_RETURN_INT64((int64) changed);
}
