/*
 * sql_safety.h
 *	  Guards every SQL-callable entry point shares (see doc/security.md).
 */
#ifndef QUANYU_SQL_SAFETY_H
#define QUANYU_SQL_SAFETY_H

#include "postgres.h"

#include "fmgr.h"

/* The search_path quanyu's own SPI text runs under: nothing a caller planted. */
#define QY_SAFE_SEARCH_PATH "pg_catalog, quanyu, pg_temp"

extern MemoryContext qy_aggregate_context(FunctionCallInfo fcinfo, const char *fname);
extern int	qy_pin_search_path(void);
extern void qy_unpin_search_path(int nestlevel);

#endif							/* QUANYU_SQL_SAFETY_H */
