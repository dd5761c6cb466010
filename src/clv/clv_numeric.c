/*
 * clv_numeric.c
 *	  Fast exact sums of numeric amounts for rfm_agg: each value is read
 *	  straight from its stored digits into a 128-bit integer at a common
 *	  decimal scale, so the per-row cost has no numeric arithmetic at all.
 *
 * The layout read here is numeric's on-disk format (src/backend/utils/adt/
 * numeric.c), which is frozen by pg_upgrade compatibility: a 16-bit header
 * (short form: sign, display scale, weight; long form: sign and display
 * scale, then a 16-bit weight) followed by base-10000 digits.  Anything the
 * fast path does not cover (NaN, infinities, huge or very precise values)
 * reports false and the caller falls back to numeric_add.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/numeric.h"

#include "clv_numeric.h"

#ifdef HAVE_INT128

#define NUMERIC_SIGN_MASK	0xC000
#define NUMERIC_NEG			0x4000
#define NUMERIC_SHORT		0x8000
#define NUMERIC_SPECIAL		0xC000
#define NUMERIC_SHORT_SIGN_MASK			0x2000
#define NUMERIC_SHORT_DSCALE_MASK		0x1F80
#define NUMERIC_SHORT_DSCALE_SHIFT		7
#define NUMERIC_SHORT_WEIGHT_SIGN_MASK	0x0040
#define NUMERIC_SHORT_WEIGHT_MASK		0x003F
#define NUMERIC_DSCALE_MASK				0x3FFF

/* Largest magnitude a scaled value or running sum may reach (10^36). */
static const int128 CLV_SUM_LIMIT = (int128) 1000000000000000000LL * 1000000000000000000LL;

/* 10^e for 0 <= e <= 36. */
static int128
pow10_128(int e)
{
	int128		v = 1;

	while (e-- > 0)
		v *= 10;
	return v;
}

/* 10^e for 0 <= e <= 18, for the per-row path (int64 is enough there). */
static const int64 pow10_64[19] = {
	INT64CONST(1), INT64CONST(10), INT64CONST(100), INT64CONST(1000),
	INT64CONST(10000), INT64CONST(100000), INT64CONST(1000000),
	INT64CONST(10000000), INT64CONST(100000000), INT64CONST(1000000000),
	INT64CONST(10000000000), INT64CONST(100000000000),
	INT64CONST(1000000000000), INT64CONST(10000000000000),
	INT64CONST(100000000000000), INT64CONST(1000000000000000),
	INT64CONST(10000000000000000), INT64CONST(100000000000000000),
	INT64CONST(1000000000000000000)
};

/*
 * Read a numeric datum as value * 10^scale; false when it is special or its
 * scaled magnitude could reach 10^18 (sums of up to 10^18 rows then fit).
 */
bool
clv_numeric_scaled(Datum d, int128 *value, int *scale)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);
	const char *p = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint16		header;
	int			weight,
				dscale,
				ndigits,
				i;
	bool		neg;
	int64		acc = 0;

	memcpy(&header, p, sizeof(uint16));
	if ((header & NUMERIC_SIGN_MASK) == NUMERIC_SPECIAL)
		return false;
	if ((header & NUMERIC_SIGN_MASK) == NUMERIC_SHORT)
	{
		neg = (header & NUMERIC_SHORT_SIGN_MASK) != 0;
		dscale = (header & NUMERIC_SHORT_DSCALE_MASK) >> NUMERIC_SHORT_DSCALE_SHIFT;
		weight = (header & NUMERIC_SHORT_WEIGHT_SIGN_MASK) ?
			(int) (header & NUMERIC_SHORT_WEIGHT_MASK) - 64 :
			(int) (header & NUMERIC_SHORT_WEIGHT_MASK);
		p += sizeof(uint16);
		len -= sizeof(uint16);
	}
	else
	{
		int16		w;

		neg = (header & NUMERIC_SIGN_MASK) == NUMERIC_NEG;
		dscale = header & NUMERIC_DSCALE_MASK;
		memcpy(&w, p + sizeof(uint16), sizeof(int16));
		weight = w;
		p += 2 * sizeof(uint16);
		len -= 2 * sizeof(uint16);
	}
	ndigits = len / (int) sizeof(int16);
	/* Digits above 10^18 or a scale past 18 leave the fast path. */
	if (dscale > 18 || (ndigits > 0 && 4 * (weight + 1) + dscale > 18))
		return false;

	for (i = 0; i < ndigits; i++)
	{
		int16		digit;
		int			e = 4 * (weight - i) + dscale;

		memcpy(&digit, p + i * sizeof(int16), sizeof(int16));
		if (e >= 0)
			acc += digit * pow10_64[e];
		else if (e > -4)
		{
			/* A base-10000 group straddling the display scale: its low digits are 0. */
			int			div = (int) pow10_64[-e];

			if (digit % div != 0)
				return false;
			acc += digit / div;
		}
		else if (digit != 0)
			return false;
	}
	*value = neg ? -acc : acc;
	*scale = dscale;
	return true;
}

/*
 * sum += value, both at their own scales; the sum is rescaled up when the
 * value is more precise.  False (sum untouched) when the result could
 * overflow.
 */
bool
clv_scaled_add(int128 *sum, int *sum_scale, int128 value, int scale)
{
	int128		s = *sum;

	if (scale > *sum_scale)
	{
		int128		f = pow10_128(scale - *sum_scale);

		if (s > CLV_SUM_LIMIT / f || s < -CLV_SUM_LIMIT / f)
			return false;
		s *= f;
		*sum_scale = scale;
	}
	else if (scale < *sum_scale)
		value *= pow10_128(*sum_scale - scale);
	s += value;
	if (s > CLV_SUM_LIMIT || s < -CLV_SUM_LIMIT)
		return false;
	*sum = s;
	return true;
}

/* value * 10^-scale as a numeric. */
Numeric
clv_scaled_to_numeric(int128 value, int scale)
{
	char		buf[64];
	char	   *end = buf + sizeof(buf) - 1;
	char	   *q = end;
	bool		neg = value < 0;
	int			k = 0;

	/* The common case, without formatting and parsing text. */
	if (value >= PG_INT64_MIN && value <= PG_INT64_MAX)
		return int64_div_fast_to_numeric((int64) value, scale);

	*q = '\0';
	if (neg)
		value = -value;
	do
	{
		*--q = '0' + (int) (value % 10);
		value /= 10;
		if (++k == scale)
			*--q = '.';
	} while (value != 0 || k < scale);
	if (*q == '.')
		*--q = '0';
	if (neg)
		*--q = '-';
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(q),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

#endif							/* HAVE_INT128 */
