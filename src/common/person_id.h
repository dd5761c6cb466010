/*
 * person_id.h
 *	  Person ids: integers in [0, 2^32-1], taken from SQL as bigint or int4.
 */
#ifndef QUANYU_PERSON_ID_H
#define QUANYU_PERSON_ID_H

#include "postgres.h"

#define PERSON_ID_MAX ((int64) UINT32_MAX)

/* Convert a SQL bigint to a person id, or raise an error naming the value. */
static inline uint32
person_id_from_int64(int64 value)
{
	if (value < 0 || value > PERSON_ID_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("person id %lld is out of range", (long long) value),
				 errdetail("Person ids are integers from 0 to 4294967295.")));
	return (uint32) value;
}

#endif							/* QUANYU_PERSON_ID_H */
