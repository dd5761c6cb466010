/*
 * segment_query.c
 *	  Run the SQL of a query segment as the segment's owner.
 *
 * The SQL was written by its owner and may be refreshed by another role (a
 * superuser's pg_cron job, say).  Like REFRESH MATERIALIZED VIEW, it runs
 * with the owner as the current user inside a security-restricted
 * operation, so it can neither reach the caller's privileges (SET ROLE and
 * RESET ROLE are refused there) nor leave state behind (temp tables,
 * prepared statements), and with the search_path it was defined under.
 * The user id and GUC nest level are restored on the way out; an error
 * aborts the (sub)transaction, which restores both.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(segment_query_run);
/*
 * segment_query_run(query, owner, search_path, as_of, check_only): the
 * audience of the person ids in the first column of query, run as owner
 * with $1 = as_of; with check_only the query is planned and run on no rows.
 */
Datum
segment_query_run(PG_FUNCTION_ARGS)
{
	Oid			audience_type = get_func_rettype(fcinfo->flinfo->fn_oid);
	char	   *query;
	char	   *owner;
	char	   *path;
	bool		check_only;
	Oid			owner_id;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	StringInfoData sql;
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	Datum		args[1];
	char		nulls[1];
	Datum		result;
	bool		isnull;
	int			rc;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("segment_query_run: query, owner, search_path and check_only must not be null")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	owner = text_to_cstring(PG_GETARG_TEXT_PP(1));
	path = text_to_cstring(PG_GETARG_TEXT_PP(2));
	args[0] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[0] = PG_ARGISNULL(3) ? 'n' : ' ';
	check_only = PG_GETARG_BOOL(4);

	owner_id = get_role_oid(owner, true);
	if (!OidIsValid(owner_id))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" does not exist", owner),
				 errdetail("The SQL of a query segment runs as its owner.")));
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	if (!is_member_of_role(save_userid, owner_id))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to run a query as role \"%s\"", owner),
				 errdetail("The SQL of a query segment runs as its owner, and the current role is not a member of it.")));

	/* The newline ends a trailing "--" comment of the query. */
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT COALESCE(quanyu.audience_agg(q.person_id), '{}'::quanyu.audience) "
					 "FROM (%s\n) AS q (person_id)%s",
					 query, check_only ? " WHERE false" : "");

	save_nestlevel = NewGUCNestLevel();
	SetUserIdAndSecContext(owner_id,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	(void) set_config_option("search_path", path, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "segment_query_run could not connect to SPI");
	/* With a parameter, SPI refuses more than one statement. */
	rc = SPI_execute_with_args(sql.data, 1, argtypes, args, nulls, false, 2);
	if (rc != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("the SQL of a query segment must be a query"),
				 errdetail("It ran as %s.", SPI_result_code_string(rc))));
	if (SPI_processed != 1 || SPI_tuptable->tupdesc->natts != 1 ||
		SPI_gettypeid(SPI_tuptable->tupdesc, 1) != audience_type)
		elog(ERROR, "segment_query_run read an unexpected result");
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "segment_query_run read a null audience");
	result = SPI_datumTransfer(result, false, -1);
	SPI_finish();

	AtEOXact_GUC(true, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	PG_RETURN_DATUM(result);
}
