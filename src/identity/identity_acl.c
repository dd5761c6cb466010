/*
 * identity_acl.c
 *	  The caller's privileges on the identity tables.  identity_link reads
 *	  and writes identity_identifier through the index and heap AMs (for
 *	  speed), which check nothing: the checks the executor would make are
 *	  made here first, with the executor's own error.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class_d.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"

#include "identity/identity.h"

/* The OID of one of quanyu's identity tables. */
Oid
identity_table_oid(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("quanyu", false));

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"quanyu.%s\" does not exist", name),
				 errhint("Reinstall the quanyu extension.")));
	return relid;
}

/*
 * Check that the current user holds every privilege of mode on the table
 * (on the table, or on each of its columns, as the executor accepts; mode 0
 * checks no privilege), and
 * that no row-level security policy applies to them there: the merge must
 * see and write every identifier, and a policy that hid rows would make it
 * hand out person ids twice.  Raises the executor's "permission denied for
 * table ..." otherwise.
 */
void
identity_check_table(Oid relid, AclMode mode)
{
	Oid			user = GetUserId();

	if (mode != ACL_NO_RIGHTS)
	{
		AclResult	aclresult = pg_class_aclcheck(relid, user, mode);

		if (aclresult != ACLCHECK_OK)
			aclresult = pg_attribute_aclcheck_all(relid, user, mode, ACLMASK_ALL);
		if (aclresult != ACLCHECK_OK)
			aclcheck_error(aclresult, get_relkind_objtype(get_rel_relkind(relid)), get_rel_name(relid));
	}
	if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("identity merge does not support row-level security on table %s",
						get_rel_name(relid)),
				 errdetail("Row-level security applies to role \"%s\" on that table; identity merge must see every row to hand out each person id once.",
						   GetUserNameFromId(user, false)),
				 errhint("Disable row-level security on the table, or run as a role that bypasses it.")));
}

/* Is the current user the owner of the table (or a superuser)? */
bool
identity_owns_table(Oid relid)
{
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(RelationRelationId, relid, GetUserId());
#else
	return pg_class_ownercheck(relid, GetUserId());
#endif
}
