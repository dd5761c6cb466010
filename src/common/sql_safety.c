/*
 * sql_safety.c
 *	  Guards every SQL-callable entry point shares (see doc/security.md).
 */
#include "postgres.h"

#include "common/sql_safety.h"
#include "utils/guc.h"

/*
 * The aggregate memory context of an aggregate support function, or an error
 * when it is called as a plain function: its state argument could then be
 * any bytes a caller forged.
 */
MemoryContext
qy_aggregate_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s can only be called by an aggregate", fname),
				 errdetail("It is a support function of a quanyu aggregate, not a function to call directly.")));
	return aggcontext;
}

/*
 * Run what follows under QY_SAFE_SEARCH_PATH until qy_unpin_search_path:
 * SPI text then resolves no name through schemas the caller controls.  An
 * error unwinds the setting with the (sub)transaction, as for a function's
 * own SET clause.
 */
int
qy_pin_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", QY_SAFE_SEARCH_PATH,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/* Restore the caller's search_path after qy_pin_search_path. */
void
qy_unpin_search_path(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}
