/*
 * retention.c
 *	  Cohort retention over period audiences, and the event-level
 *	  retention aggregate of Doris and ClickHouse.
 */
#include "postgres.h"

#include "audience/audience.h"
#include "catalog/pg_type.h"
#include "common/sql_safety.h"
#include "metrics/metrics_util.h"
#include "miscadmin.h"
#include "utils/array.h"

/* Periods in one call: a bound that keeps the arrays small. */
#define RETENTION_MAX_PERIODS 100000
/* Conditions of retention_agg: one bit each in a 64-bit mask. */
#define RETENTION_MAX_CONDITIONS 64

/*
 * Persons of the cohort present in each period (continuous: present in
 * every period up to and including it), as int64 counts.
 */
static int64 *
retention_counts(FunctionCallInfo fcinfo, int *nperiods)
{
	const roaring_bitmap_t *cohort = PG_GETARG_AUDIENCE_BITMAP(0);
	MetricsAudienceArray periods = metrics_audience_array(PG_GETARG_ARRAYTYPE_P(1), "periods",
														  RETENTION_MAX_PERIODS);
	bool		continuous = PG_GETARG_BOOL(2);
	int64	   *counts = palloc(sizeof(int64) * Max(periods.n, 1));
	roaring_bitmap_t *running = NULL;

	if (continuous)
		running = metrics_own(roaring_bitmap_copy(cohort));
	for (int i = 0; i < periods.n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (continuous)
		{
			roaring_bitmap_and_inplace(running, periods.bitmaps[i]);
			counts[i] = (int64) roaring_bitmap_get_cardinality(running);
		}
		else
			counts[i] = (int64) roaring_bitmap_and_cardinality(cohort, periods.bitmaps[i]);
	}
	*nperiods = periods.n;
	return counts;
}

PG_FUNCTION_INFO_V1(audience_retention);
/* audience_retention(cohort, periods, continuous): retained count per period */
Datum
audience_retention(PG_FUNCTION_ARGS)
{
	int			n;
	int64	   *counts = retention_counts(fcinfo, &n);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(counts[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(audience_retention_rate);
/* audience_retention_rate(...): retained share of the cohort per period */
Datum
audience_retention_rate(PG_FUNCTION_ARGS)
{
	int			n;
	int64	   *counts = retention_counts(fcinfo, &n);
	uint64		size = audience_datum_cardinality(PG_GETARG_DATUM(0));
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = (size == 0);
		elems[i] = Float8GetDatum(size == 0 ? 0.0 : (double) counts[i] / (double) size);
	}
	if (n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(FLOAT8OID));
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls, 1, dims, lbs, FLOAT8OID, 8,
											 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * The state of retention_agg: which conditions some row has met.  The type
 * is plain bytea, so the support functions are callable with any bytes and
 * usable in a user's CREATE AGGREGATE with any INITCOND: every use checks
 * the length, tag, version and fields before trusting it.  Fields are read
 * and written with memcpy at fixed offsets, so a state needs neither
 * alignment nor a 4-byte header.
 *
 * After the varlena header:
 *	 offset  size  field
 *	 0       4     number of conditions, 1 to 64
 *	 4       8     mask of the conditions met (bit i: condition i + 1)
 *	 12      2     tag RETENTION_STATE_MAGIC
 *	 14      1     format version RETENTION_STATE_VERSION
 *	 15      1     reserved, 0
 *
 * The first 12 bytes are the whole state of 0.1.0, at the same offsets: a
 * backend that loaded the 0.1.0 library before the file was replaced still
 * reads its parallel workers' (new) states right, and this version refuses
 * a 0.1.0 state by its length.
 */
#define RETENTION_STATE_MAGIC	0x5251	/* "QR" */
#define RETENTION_STATE_VERSION 1
#define RETENTION_OFF_NCONDS	0
#define RETENTION_OFF_SEEN		4
#define RETENTION_OFF_MAGIC		12
#define RETENTION_OFF_VERSION	14
#define RETENTION_OFF_RESERVED	15
#define RETENTION_STATE_BYTES	16
#define RETENTION_STATE_SIZE	(VARHDRSZ + RETENTION_STATE_BYTES)

/* The fields of a state, read and checked. */
typedef struct RetentionValue
{
	int			nconds;
	uint64		seen;
} RetentionValue;

/* Raise the error for a state that retention_agg did not build. */
static void
retention_bad_state(const char *fname, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid retention_agg state in %s", fname),
			 errdetail("%s", detail)));
}

/* The bits a mask of n conditions may have. */
static inline uint64
retention_conds_mask(int n)
{
	return n >= RETENTION_MAX_CONDITIONS ? ~((uint64) 0) : (((uint64) 1) << n) - 1;
}

/*
 * Read and validate the state argument argno (not NULL).  *inplace is set
 * when the datum is a plain 4-byte-header value of exactly our size, which
 * the transition function may then update where it lies.
 */
static RetentionValue
retention_state_read(FunctionCallInfo fcinfo, int argno, const char *fname, bool *inplace)
{
	struct varlena *raw = (struct varlena *) PG_GETARG_POINTER(argno);
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(argno));
	const char *data = VARDATA_ANY(v);
	Size		len = VARSIZE_ANY_EXHDR(v);
	int32		nconds;
	uint64		seen;
	uint16		magic;
	uint8		version;
	uint8		reserved;
	RetentionValue result;

	if (len != RETENTION_STATE_BYTES)
		retention_bad_state(fname, psprintf("The state has %zu bytes; a retention_agg state has %d.",
											len, RETENTION_STATE_BYTES));
	memcpy(&nconds, data + RETENTION_OFF_NCONDS, sizeof(nconds));
	memcpy(&seen, data + RETENTION_OFF_SEEN, sizeof(seen));
	memcpy(&magic, data + RETENTION_OFF_MAGIC, sizeof(magic));
	memcpy(&version, data + RETENTION_OFF_VERSION, sizeof(version));
	memcpy(&reserved, data + RETENTION_OFF_RESERVED, sizeof(reserved));
	if (magic != RETENTION_STATE_MAGIC)
		retention_bad_state(fname, psprintf("The state has tag %04x, not %04x.",
											magic, RETENTION_STATE_MAGIC));
	if (version != RETENTION_STATE_VERSION || reserved != 0)
		retention_bad_state(fname, psprintf("The state has format version %d (reserved byte %d); this build reads version %d.",
											version, reserved, RETENTION_STATE_VERSION));
	if (nconds < 1 || nconds > RETENTION_MAX_CONDITIONS ||
		(seen & ~retention_conds_mask(nconds)) != 0)
		retention_bad_state(fname, psprintf("The state has %d conditions and mask %016llx.",
											nconds, (unsigned long long) seen));
	if (inplace != NULL)
		*inplace = (v == raw && VARATT_IS_4B_U(raw));
	result.nconds = nconds;
	result.seen = seen;
	return result;
}

/* Number of conditions in the array, checked against the limits. */
static int
retention_nconds(ArrayType *conds)
{
	int			n = ArrayGetNItems(ARR_NDIM(conds), ARR_DIMS(conds));

	if (n < 1 || n > RETENTION_MAX_CONDITIONS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("retention_agg takes 1 to %d conditions, not %d",
						RETENTION_MAX_CONDITIONS, n),
				 errdetail("Each condition is one bit of a 64-bit mask.")));
	return n;
}

/* Write a whole state, header included, at dest (which need not be aligned). */
static void
retention_state_set(void *dest, int n, uint64 seen)
{
	union
	{
		char		bytes[RETENTION_STATE_SIZE];
		int32		align;		/* for the varlena header */
	}			buf;
	char	   *data = buf.bytes + VARHDRSZ;
	int32		nconds = n;
	uint16		magic = RETENTION_STATE_MAGIC;
	uint8		version = RETENTION_STATE_VERSION;

	SET_VARSIZE(buf.bytes, RETENTION_STATE_SIZE);
	memcpy(data + RETENTION_OFF_NCONDS, &nconds, sizeof(nconds));
	memcpy(data + RETENTION_OFF_SEEN, &seen, sizeof(seen));
	memcpy(data + RETENTION_OFF_MAGIC, &magic, sizeof(magic));
	memcpy(data + RETENTION_OFF_VERSION, &version, sizeof(version));
	data[RETENTION_OFF_RESERVED] = 0;
	memcpy(dest, buf.bytes, RETENTION_STATE_SIZE);
}

/* A new state for n conditions in the aggregate context. */
static void *
retention_state_new(MemoryContext cxt, int n, uint64 seen)
{
	void	   *state = MemoryContextAlloc(cxt, RETENTION_STATE_SIZE);

	retention_state_set(state, n, seen);
	return state;
}

/* Raise an error when two rows or states disagree on the number of conditions. */
static void
retention_check_same(int expected, int got)
{
	if (expected != got)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_agg got %d conditions after %d", got, expected),
				 errdetail("Every row of a group must pass the same number of conditions.")));
}

PG_FUNCTION_INFO_V1(retention_agg_trans);
/* retention_agg transition: OR the row's true conditions into the state */
Datum
retention_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "retention_agg_trans");
	RetentionValue old = {0, 0};
	bool		inplace = false;
	ArrayType  *conds;
	int			n;
	uint64		seen;

	if (!PG_ARGISNULL(0))
		old = retention_state_read(fcinfo, 0, "retention_agg_trans", &inplace);
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	conds = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(conds) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("retention_agg conditions must be a one-dimensional array")));
	n = retention_nconds(conds);
	if (!PG_ARGISNULL(0))
		retention_check_same(old.nconds, n);
	seen = old.seen | metrics_bool_mask(conds, n);
	if (inplace)
	{
		/* A value of the aggregate's own, checked above: change it in place. */
		retention_state_set(PG_GETARG_POINTER(0), n, seen);
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	PG_RETURN_POINTER(retention_state_new(aggcxt, n, seen));
}

PG_FUNCTION_INFO_V1(retention_agg_combine);
/* retention_agg combine: OR two partial states */
Datum
retention_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = qy_aggregate_context(fcinfo, "retention_agg_combine");
	RetentionValue a = {0, 0};
	RetentionValue b;

	if (!PG_ARGISNULL(0))
		a = retention_state_read(fcinfo, 0, "retention_agg_combine", NULL);
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(retention_state_new(aggcxt, a.nconds, a.seen));
	}
	b = retention_state_read(fcinfo, 1, "retention_agg_combine", NULL);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(retention_state_new(aggcxt, b.nconds, b.seen));
	retention_check_same(a.nconds, b.nconds);
	PG_RETURN_POINTER(retention_state_new(aggcxt, a.nconds, a.seen | b.seen));
}

PG_FUNCTION_INFO_V1(retention_agg_final);
/*
 * retention_agg final: element 1 is whether condition 1 was met, element i
 * whether conditions 1 and i were both met (by any rows of the group).
 */
Datum
retention_agg_final(PG_FUNCTION_ARGS)
{
	RetentionValue state;
	Datum		elems[RETENTION_MAX_CONDITIONS];
	bool		anchor;

	(void) qy_aggregate_context(fcinfo, "retention_agg_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = retention_state_read(fcinfo, 0, "retention_agg_final", NULL);
	anchor = (state.seen & 1) != 0;
	for (int i = 0; i < state.nconds; i++)
		elems[i] = Int32GetDatum(anchor && (state.seen & (((uint64) 1) << i)) ? 1 : 0);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, state.nconds, INT4OID, 4, true, TYPALIGN_INT));
}
