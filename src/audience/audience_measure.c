/*
 * audience_measure.c
 *	  How much memory an operation may take (quanyu.max_audience_memory),
 *	  and the checks against it.  The walks over a bitmap's containers that
 *	  measure it are in audience_roaring.c (audience_bitmap_memory(),
 *	  audience_estimate_parts()), and audience_estimate_binary() is inline in
 *	  audience_internal.h; this file calls nothing of ours.
 *
 * Memory figures are those of glibc malloc on 64-bit Linux: a bitset
 * container is 8 kB of bits plus its struct; an array container 2 bytes per
 * slot of its capacity, which grows by doubling (so up to 4 bytes per id);
 * a run container 4 bytes per run.  Every container also costs its struct,
 * two malloc headers and its slot in the key, pointer and type tables
 * (AUDIENCE_CONTAINER_OVERHEAD).  A run container covering a whole key (65536 ids)
 * thus costs about 90 bytes, the same ids as a bitset about 8.3 kB: the
 * full id range as runs is 6 MB, as bitsets 540 MB.
 */
#include "postgres.h"

#include <math.h>

#include "audience/audience_internal.h"
#include "miscadmin.h"

int			audience_max_memory_kb = AUDIENCE_MAX_MEMORY_DEFAULT_KB;

/*
 * The memory n ids added to a bitmap may take at most: 4 bytes each (in an
 * array that doubles as it grows), and a container for each key they have.
 */
double
audience_estimate_ids(const uint32 *ids, int n)
{
	uint64		seen[65536 / 64];
	int			keys = 0;
	int			i;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++)
	{
		uint32		key = ids[i] >> 16;
		uint64		bit = UINT64CONST(1) << (key & 63);

		if ((seen[key >> 6] & bit) == 0)
		{
			seen[key >> 6] |= bit;
			keys++;
		}
	}
	return 4.0 * n + (double) keys * (AUDIENCE_CONTAINER_OVERHEAD + AUDIENCE_CONTAINER_SLOT_BYTES);
}

/*
 * Check an operation's estimated memory against quanyu.max_audience_memory
 * before it asks CRoaring for it, and that the process can get that much:
 * CRoaring 0.2 does not check all of its own mallocs, so it must not run
 * out of memory halfway (a large malloc reserves address space only, and
 * is freed at once).
 */
void
audience_memory_check(double estimate, const char *what)
{
	double		limit = (double) audience_max_memory_kb * 1024.0;

	if (estimate > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s would need too much memory", what),
				 errdetail("It would need up to %.0f kB; quanyu.max_audience_memory is %d kB.",
						   ceil(estimate / 1024.0), audience_max_memory_kb),
				 errhint("Raise quanyu.max_audience_memory, or work on smaller audiences (audience_range() cuts one by id range).")));
	if (estimate >= AUDIENCE_PROBE_BYTES)
		audience_memory_probe(estimate, what);
}

/*
 * Check that the process can allocate bytes now: one malloc, freed at once
 * (a large malloc only reserves address space).
 */
void
audience_memory_probe(double bytes, const char *what)
{
	void	   *probe = malloc((size_t) bytes);

	if (probe == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("%s would need up to %.0f kB, and the server process cannot allocate that much.",
						   what, ceil(bytes / 1024.0))));
	free(probe);
}
