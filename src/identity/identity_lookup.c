/*
 * identity_lookup.c
 *	  The existing side of an identity_link batch: which identifiers are
 *	  already known and to which persons, and the per-type identifier counts
 *	  of the persons whose limits the batch may test.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"

#include "identity/identity.h"

#define IDENTITY_LOOKUP_CHUNK 20000

/*
 * Find which nodes are already known, and their persons: one probe of the
 * primary key per node, straight through the index AM (an SPI join costs
 * several times more per identifier).  The snapshot is taken after the
 * identity lock, so ingests committed while we waited are seen.
 */
void
identity_lookup_existing(IdentityLink *link)
{
	IdentityGraph *g = link->g;
	Oid			relid = identity_table_oid("identity_identifier");
	Relation	rel;
	Relation	idx;
	Oid			pk;
	Snapshot	snap;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	ScanKeyData keys[2];

	if (SPI_execute("SELECT 1 FROM quanyu.identity_identifier i LIMIT 1", false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read identity_identifier");
	if (SPI_processed == 0)
	{
		link->table_was_empty = true;
		return;					/* first load: nothing to look up */
	}
	rel = table_open(relid, AccessShareLock);
	pk = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(pk))
		elog(ERROR, "identity_identifier has no primary key");
	idx = index_open(pk, AccessShareLock);
	snap = RegisterSnapshot(GetLatestSnapshot());
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx, snap, 2, 0);
	for (uint32 i = 0; i < g->nnodes; i++)
	{
		IdentityRule *r = &link->rules->rules[g->type[i]];
		text	   *t;
		text	   *v;

		if (g->flags[i] & IDENTITY_NODE_BLOCKED)
			continue;
		t = cstring_to_text_with_len(r->id_type, r->id_type_len);
		v = cstring_to_text_with_len(IDENTITY_NODE_VALUE(g, i), g->len[i]);
		ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
							   C_COLLATION_OID, F_TEXTEQ, PointerGetDatum(t));
		ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
							   C_COLLATION_OID, F_TEXTEQ, PointerGetDatum(v));
		index_rescan(scan, keys, 2, NULL, 0);
		if (index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			bool		isnull;

			g->person[i] = DatumGetInt64(slot_getattr(slot, 3, &isnull));
			g->flags[i] |= IDENTITY_NODE_EXISTING;
			link->any_existing = true;
		}
		pfree(t);
		pfree(v);
		if ((i & 0xFFF) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			identity_progress(link, false, "looked up %u of %u identifiers", i, g->nnodes);
		}
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snap);
	index_close(idx, NoLock);
	table_close(rel, NoLock);
}

/* Comparisons since the last interrupt check (qsort here is pg_qsort: no allocation to leak). */
static uint32 identity_cmp_calls = 0;

/* qsort order of (person, node) pairs. */
static int
identity_cmp_person(const void *a, const void *b)
{
	const int64 *x = a;
	const int64 *y = b;

	if (++identity_cmp_calls >= (1 << 20))
	{
		identity_cmp_calls = 0;
		CHECK_FOR_INTERRUPTS();
	}
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Load the per-type identifier counts of the existing persons at roots[]. */
static void
identity_load_counts(IdentityLink *link, const int64 *pairs, uint32 npairs)
{
	IdentityGraph *g = link->g;
	Oid			argtypes[1] = {INT8ARRAYOID};
	SPIPlanPtr	plan;

	plan = SPI_prepare_cursor("SELECT p.id, i.id_type, pg_catalog.count(*) "
							  "FROM pg_catalog.unnest($1) AS p(id) JOIN quanyu.identity_identifier i "
							  "ON i.person_id OPERATOR(pg_catalog.=) p.id "
							  "GROUP BY 1, 2",
							  1, argtypes, CURSOR_OPT_GENERIC_PLAN);
	for (uint32 start = 0; start < npairs;)
	{
		Datum	   *ids = palloc(sizeof(Datum) * IDENTITY_LOOKUP_CHUNK);
		Datum		arg;
		int			n = 0;

		for (; start < npairs && n < IDENTITY_LOOKUP_CHUNK; start++)
			if (start == 0 || pairs[2 * start] != pairs[2 * (start - 1)])
				ids[n++] = Int64GetDatum(pairs[2 * start]);
		arg = PointerGetDatum(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		if (SPI_execute_plan(plan, &arg, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not count identifiers");
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			int64		key[2] = {DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)), -1};
			text	   *t = DatumGetTextPP(SPI_getbinval(tup, desc, 2, &isnull));
			int			rule = identity_rules_type(link->rules, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			int			slot = link->rules->rules[rule].limit_slot;
			int64	   *hit;
			uint32		lo = 0,
						hi = npairs;

			if (slot < 0 || slot >= g->nslots)
				continue;
			/* First pair of this person (pairs are sorted by person, node). */
			while (lo < hi)
			{
				uint32		mid = (lo + hi) / 2;

				if (identity_cmp_person(&pairs[2 * mid], key) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			hit = (int64 *) &pairs[2 * lo];
			g->counts[(Size) identity_graph_find(g, (uint32) hit[1]) * g->nslots + slot] =
				(int32) DatumGetInt64(SPI_getbinval(tup, desc, 3, &isnull));
		}
		SPI_freetuptable(SPI_tuptable);
		pfree(ids);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_freeplan(plan);
}

/* Root in a scratch union-find (no limits, no path compression needed). */
static uint32
identity_scratch_find(uint32 *parent, uint32 x)
{
	while (parent[x] != x)
	{
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

/*
 * Keep only the (person, node) pairs whose counts a limit check may need:
 * persons that the batch may join with another person or with a new
 * identifier of a limited type.  A person that only gains identifiers of
 * unlimited types cannot break a limit, and most incremental batches are
 * such.  Found with a scratch union of every pair, ignoring limits (a
 * superset of what the real union joins).  Returns the new count; pairs
 * stay sorted.
 */
static uint32
identity_persons_needing_counts(IdentityLink *link, int64 *pairs, uint32 n)
{
	IdentityGraph *g = link->g;
	uint32	   *parent = MemoryContextAllocHuge(link->cxt, sizeof(uint32) * (Size) Max(g->nnodes, 1));
	int64	   *person = MemoryContextAllocHuge(link->cxt, sizeof(int64) * (Size) Max(g->nnodes, 1));
	uint8	   *need = MemoryContextAllocHuge(link->cxt, Max(g->nnodes, 1));
	uint32		kept = 0;

	for (uint32 i = 0; i < g->nnodes; i++)
	{
		parent[i] = identity_graph_find(g, i);
		person[i] = 0;
		need[i] = 0;
	}
	for (uint32 i = 0; i < g->nnodes; i++)
		if (g->flags[i] & IDENTITY_NODE_EXISTING)
			person[parent[i]] = g->person[i];
	for (uint64 e = 0; e < link->nedges; e++)
	{
		uint32		ra = identity_scratch_find(parent, link->edge_a[e]);
		uint32		rb = identity_scratch_find(parent, link->edge_b[e]);

		if ((e & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();

		if (ra == rb)
			continue;
		parent[rb] = ra;
		if (person[ra] != 0 && person[rb] != 0 && person[ra] != person[rb])
			need[ra] = 1;
		if (person[ra] == 0)
			person[ra] = person[rb];
		need[ra] |= need[rb];
	}
	/* New identifiers of limited types mark their component. */
	for (uint32 i = 0; i < g->nnodes; i++)
		if (!(g->flags[i] & (IDENTITY_NODE_EXISTING | IDENTITY_NODE_BLOCKED)) &&
			link->rules->rules[g->type[i]].limit_slot >= 0)
			need[identity_scratch_find(parent, i)] = 1;
	for (uint32 k = 0; k < n; k++)
		if (need[identity_scratch_find(parent, (uint32) pairs[2 * k + 1])])
		{
			pairs[2 * kept] = pairs[2 * k];
			pairs[2 * kept + 1] = pairs[2 * k + 1];
			kept++;
		}
	pfree(parent);
	pfree(person);
	pfree(need);
	return kept;
}

/*
 * Join the nodes of each existing person into one component (they are one
 * person already) and load that person's counts per limited type.
 */
void
identity_prepare_existing(IdentityLink *link)
{
	IdentityGraph *g = link->g;
	int64	   *pairs;
	uint32		n = 0;

	if (!link->any_existing)
		return;
	pairs = MemoryContextAllocHuge(link->cxt, sizeof(int64) * 2 * (Size) g->nnodes);
	for (uint32 i = 0; i < g->nnodes; i++)
		if (g->flags[i] & IDENTITY_NODE_EXISTING)
		{
			pairs[2 * n] = g->person[i];
			pairs[2 * n + 1] = i;
			n++;
		}
	qsort(pairs, n, sizeof(int64) * 2, identity_cmp_person);
	for (uint32 k = 1; k < n; k++)
		if (pairs[2 * k] == pairs[2 * (k - 1)])
			g->parent[pairs[2 * k + 1]] = (uint32) pairs[1 + 2 * (k - 1)];
	/* Roots are the first node of each person; its person is already set. */
	for (uint32 k = 1; k < n; k++)
		if (pairs[2 * k] == pairs[2 * (k - 1)])
			g->parent[pairs[2 * k + 1]] = identity_graph_find(g, (uint32) pairs[2 * k + 1]);
	if (g->nslots > 0)
		identity_load_counts(link, pairs, identity_persons_needing_counts(link, pairs, n));
	pfree(pairs);
}
