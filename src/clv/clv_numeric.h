/*
 * clv_numeric.h
 *	  Exact 128-bit scaled-integer sums of numeric values (clv_numeric.c).
 */
#ifndef QUANYU_CLV_NUMERIC_H
#define QUANYU_CLV_NUMERIC_H

#include "postgres.h"

#include "utils/numeric.h"

#ifdef HAVE_INT128
extern bool clv_numeric_scaled(Datum d, int128 *value, int *scale);
extern bool clv_scaled_add(int128 *sum, int *sum_scale, int128 value, int scale);
extern Numeric clv_scaled_to_numeric(int128 value, int scale);
#endif

#endif							/* QUANYU_CLV_NUMERIC_H */
