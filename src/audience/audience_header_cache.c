/*
 * audience_header_cache.c
 *	  The headers of audiences stored out of line, remembered across
 *	  statements by each backend.
 *
 * cardinality(), audience_min/max/is_empty and the header checks of = need
 * only the 24-byte header of a stored audience.  For a value stored out of
 * line that still costs a TOAST index probe (about 2 us), twenty times what
 * reading the row costs.  A backend that reads the same stored audiences
 * again, such as a dashboard refreshing its tiles of tag and tier sizes,
 * finds their headers here instead.
 *
 * Why an entry is never stale.  The key is the TOAST pointer: TOAST
 * relation, value OID, raw and stored size.  A TOAST value is never changed
 * in place.  Its value OID is not handed out again while any chunk of it is
 * still in the TOAST table (GetNewOidWithIndex), and new OIDs come from the
 * cluster-wide OID counter, so the same key can name another value only
 * after that counter has gone round all 2^32 OIDs since the value was
 * stored.  The whole cache is dropped long before that: when the counter has
 * moved QY_OID_DISTANCE_MAX since the cache was started, and when
 * QY_IDLE_MAX_SEC passed since this backend last looked at the counter (so
 * the counter cannot have gone round unseen between two looks: it would
 * have to hand out more than 3 * 2^30 OIDs in that time, over 100 million a
 * second, each one under the same exclusive lock).
 */
#include "postgres.h"

#include <time.h>

#include "access/detoast.h"
#include "access/transam.h"
#include "audience/audience_internal.h"
#include "common/hashfn.h"

#define QY_HEADER_CACHE_MAX 65536
#define QY_OID_DISTANCE_MAX (UINT64CONST(1) << 30)
#define QY_IDLE_MAX_SEC 30

typedef struct HeaderCacheKey
{
	Oid			toastrelid;
	Oid			valueid;
	int32		rawsize;
	uint32		extinfo;
} HeaderCacheKey;

typedef struct HeaderCacheEntry
{
	HeaderCacheKey key;
	char		status;			/* used by simplehash */
	AudienceFlat header;		/* the first AUDIENCE_HEADER_SIZE bytes */
} HeaderCacheEntry;

static inline uint32
header_key_hash(const HeaderCacheKey *key)
{
	return hash_combine(murmurhash32(key->valueid), key->toastrelid);
}

static inline bool
header_key_equal(const HeaderCacheKey *a, const HeaderCacheKey *b)
{
	return a->valueid == b->valueid && a->toastrelid == b->toastrelid &&
		a->rawsize == b->rawsize && a->extinfo == b->extinfo;
}

#define SH_PREFIX headers
#define SH_ELEMENT_TYPE HeaderCacheEntry
#define SH_KEY_TYPE HeaderCacheKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) header_key_hash(&(k))
#define SH_EQUAL(tb, a, b) header_key_equal(&(a), &(b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static MemoryContext header_cache_cxt = NULL;
static headers_hash *header_cache = NULL;
static Oid	header_cache_epoch_oid;		/* the OID counter when it was started */
static int64 header_cache_last_look;	/* seconds, when the counter was last read */

static Oid
next_oid(void)
{
#if PG_VERSION_NUM >= 170000
	return TransamVariables->nextOid;
#else
	return ShmemVariableCache->nextOid;
#endif
}

/*
 * A monotonic clock in seconds.  The coarse Linux clock costs a few
 * nanoseconds (no time-stamp counter read), ample for a 30-second bound.
 */
static int64
clock_seconds(void)
{
	struct timespec ts;

#ifdef CLOCK_MONOTONIC_COARSE
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
	clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
	return (int64) ts.tv_sec;
}

/* Start an empty cache, forgetting every entry of the old one. */
static void
header_cache_reset(Oid now_oid, int64 now)
{
	if (header_cache_cxt == NULL)
		header_cache_cxt = AllocSetContextCreate(TopMemoryContext, "audience header cache",
												 ALLOCSET_DEFAULT_SIZES);
	header_cache = NULL;
	MemoryContextReset(header_cache_cxt);
	header_cache = headers_create(header_cache_cxt, 1024, NULL);
	header_cache_epoch_oid = now_oid;
	header_cache_last_look = now;
}

/*
 * The cache, ready to use: dropped first when the OID counter has moved too
 * far since it was started, or was not looked at for too long.  The counter
 * is read without its lock: a value a few nanoseconds old is as good here.
 */
static headers_hash *
header_cache_get(void)
{
	int64		now = clock_seconds();
	Oid			now_oid = next_oid();

	if (header_cache == NULL ||
		now - header_cache_last_look > QY_IDLE_MAX_SEC ||
		(uint32) (now_oid - header_cache_epoch_oid) >= QY_OID_DISTANCE_MAX ||
		header_cache->members >= QY_HEADER_CACHE_MAX)
		header_cache_reset(now_oid, now);
	header_cache_last_look = now;
	return header_cache;
}

/*
 * Copy the header of an on-disk TOAST value into *header: from the cache,
 * or from the first TOAST chunk (checked, then remembered).
 */
void
audience_toasted_header(const struct varlena *v, AudienceFlat *header)
{
	HeaderCacheKey key;
	HeaderCacheEntry *entry;
	struct varatt_external toast;
	const AudienceFlat *flat;
	bool		found;

	VARATT_EXTERNAL_GET_POINTER(toast, v);
	key.toastrelid = toast.va_toastrelid;
	key.valueid = toast.va_valueid;
	key.rawsize = toast.va_rawsize;
	key.extinfo = toast.va_extinfo;

	entry = headers_lookup(header_cache_get(), key);
	if (entry != NULL)
	{
		memcpy(header, &entry->header, AUDIENCE_HEADER_SIZE);
		return;
	}
	flat = (const AudienceFlat *) PG_DETOAST_DATUM_SLICE(PointerGetDatum(v), 0,
														AUDIENCE_HEADER_SIZE - VARHDRSZ);
	if (VARSIZE(flat) < AUDIENCE_HEADER_SIZE)
		audience_header_check(flat);
	memcpy(header, flat, AUDIENCE_HEADER_SIZE);
	SET_VARSIZE(header, AUDIENCE_HEADER_SIZE);
	audience_header_check(header);

	/* Only a checked header is remembered. */
	entry = headers_insert(header_cache, key, &found);
	memcpy(&entry->header, header, AUDIENCE_HEADER_SIZE);
}
