/*
 * quanyu.c
 *	  Library entry point: module magic and start-up of every module.
 */
#include "postgres.h"

#include "fmgr.h"

#include "audience/audience.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Called once when the library is loaded into a backend. */
void
_PG_init(void)
{
	audience_define_gucs();
}
