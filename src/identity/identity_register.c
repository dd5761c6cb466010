/*
 * identity_register.c
 *	  identity_register(type, value): the exact string to dense person id
 *	  dictionary for one identifier, get or create.  Every write goes
 *	  through SPI (the executor checks privileges, policies and triggers);
 *	  the statement text is schema-qualified, so it resolves nothing
 *	  through the caller's search_path without pinning it on every row.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "identity/identity.h"

/* The person of (type, value) when known, else 0. */
static int64
identity_register_lookup(Datum *args)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	bool		isnull;

	if (SPI_execute_with_args("SELECT i.person_id FROM quanyu.identity_identifier i "
							  "WHERE i.id_type OPERATOR(pg_catalog.=) $1 COLLATE pg_catalog.\"C\" "
							  "AND i.id_value OPERATOR(pg_catalog.=) $2 COLLATE pg_catalog.\"C\"",
							  2, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up identity_identifier");
	if (SPI_processed == 0)
		return 0;
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* Create the identifier as a new person, under the identity lock. */
static int64
identity_register_new(Datum *args)
{
	Oid			argtypes[3] = {TEXTOID, TEXTOID, INT8OID};
	Datum		insert_args[3] = {args[0], args[1], 0};
	int64		person = 1;
	bool		isnull;

	if (SPI_execute("SELECT s.next_person_id FROM quanyu.identity_state s", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read identity_state");
	if (SPI_processed > 0)
		person = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (person > PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("identity merge ran out of person ids"),
				 errdetail("Person ids are integers from 0 to 4294967295.")));
	insert_args[2] = Int64GetDatum(person);
	if (SPI_execute_with_args("INSERT INTO quanyu.identity_identifier "
							  "(id_type, id_value, person_id, first_seen, last_seen) "
							  "VALUES ($1, $2, $3, pg_catalog.now(), pg_catalog.now())",
							  3, argtypes, insert_args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into identity_identifier");
	insert_args[0] = Int64GetDatum(person + 1);
	if (SPI_execute_with_args("INSERT INTO quanyu.identity_state (next_person_id) VALUES ($1) "
							  "ON CONFLICT (singleton) DO UPDATE SET next_person_id = excluded.next_person_id",
							  1, &argtypes[2], insert_args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not update identity_state");
	return person;
}

PG_FUNCTION_INFO_V1(identity_register);
/* identity_register(type, value): person id of one identifier, created when new */
Datum
identity_register(PG_FUNCTION_ARGS)
{
	IdentityRules *rules = identity_rules_cached(fcinfo, false);
	text	   *type = PG_GETARG_TEXT_PP(0);
	text	   *value = PG_GETARG_TEXT_PP(1);
	int			rule = identity_rules_type(rules, VARDATA_ANY(type), VARSIZE_ANY_EXHDR(type));
	StringInfoData norm;
	Datum		args[2];
	int64		person;

	initStringInfo(&norm);
	if (!identity_normalize_value(rules, rule, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), &norm))
		PG_RETURN_NULL();
	args[0] = PointerGetDatum(type);
	args[1] = PointerGetDatum(cstring_to_text_with_len(norm.data, norm.len));
	SPI_connect();
	person = identity_register_lookup(args);
	if (person == 0)
	{
		/*
		 * Check again under the lock: a concurrent ingest may have added it.
		 * A policy hiding identity_state's row would hand out an id twice.
		 */
		identity_check_table(identity_table_oid("identity_state"), ACL_NO_RIGHTS);
		identity_lock();
		person = identity_register_lookup(args);
		if (person == 0)
			person = identity_register_new(args);
	}
	SPI_finish();
	PG_RETURN_INT64(person);
}
