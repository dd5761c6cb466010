/*
 * identity_graph.c
 *	  The identifiers of one batch: a hash table keyed by (type, normalised
 *	  value) and a union-find over them that keeps per-type counts so rule
 *	  limits can be checked before two persons are joined.
 */
#include "postgres.h"

#include <xxhash.h>

#include "utils/memutils.h"

#include "identity/identity.h"

#define IDENTITY_GRAPH_INITIAL 1024

/* Grow a huge array (one that may pass 1 GB) to n elements of size sz. */
static void *
identity_grow(MemoryContext cxt, void *p, Size n, Size sz)
{
	if (p == NULL)
		return MemoryContextAllocHuge(cxt, n * sz);
	return repalloc_huge(p, n * sz);
}

/* An empty graph in its own memory context under parent. */
IdentityGraph *
identity_graph_create(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "identity graph", ALLOCSET_DEFAULT_SIZES);
	IdentityGraph *g = MemoryContextAllocZero(cxt, sizeof(IdentityGraph));

	g->cxt = cxt;
	g->table_mask = IDENTITY_GRAPH_INITIAL * 2 - 1;
	g->table = MemoryContextAllocZero(cxt, (g->table_mask + 1) * sizeof(uint32));
	return g;
}

/* Make room for one more node (arrays double). */
static void
identity_graph_grow_nodes(IdentityGraph *g)
{
	uint32		cap = g->cap == 0 ? IDENTITY_GRAPH_INITIAL : g->cap * 2;

	if (g->cap >= PG_UINT32_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("identity batch has too many distinct identifiers"),
				 errdetail("One identity_link call handles at most %u identifiers.", g->cap)));
	g->hash = identity_grow(g->cxt, g->hash, cap, sizeof(uint32));
	g->type = identity_grow(g->cxt, g->type, cap, sizeof(int32));
	g->off = identity_grow(g->cxt, g->off, cap, sizeof(uint64));
	g->len = identity_grow(g->cxt, g->len, cap, sizeof(uint32));
	g->flags = identity_grow(g->cxt, g->flags, cap, sizeof(uint8));
	g->first_seen = identity_grow(g->cxt, g->first_seen, cap, sizeof(TimestampTz));
	g->last_seen = identity_grow(g->cxt, g->last_seen, cap, sizeof(TimestampTz));
	g->person = identity_grow(g->cxt, g->person, cap, sizeof(int64));
	g->cap = cap;
}

/* Double the hash table and reinsert every node. */
static void
identity_graph_rehash(IdentityGraph *g)
{
	uint64		mask = g->table_mask * 2 + 1;
	uint32	   *table = MemoryContextAllocHuge(g->cxt, (mask + 1) * sizeof(uint32));

	memset(table, 0, (mask + 1) * sizeof(uint32));
	for (uint32 i = 0; i < g->nnodes; i++)
	{
		uint64		pos = g->hash[i] & mask;

		while (table[pos] != 0)
			pos = (pos + 1) & mask;
		table[pos] = i + 1;
	}
	pfree(g->table);
	g->table = table;
	g->table_mask = mask;
}

/* Copy a value into the arena and return its offset. */
static uint64
identity_graph_store(IdentityGraph *g, const char *value, int len)
{
	uint64		off = g->arena_len;

	if (g->arena_len + len > g->arena_cap)
	{
		uint64		cap = Max(g->arena_cap * 2, 65536);

		while (cap < g->arena_len + len)
			cap *= 2;
		g->arena = identity_grow(g->cxt, g->arena, cap, 1);
		g->arena_cap = cap;
	}
	memcpy(g->arena + off, value, len);
	g->arena_len += len;
	return off;
}

/*
 * The node of (type, value), added when new (*is_new tells which).  Nodes
 * are numbered in order of first appearance.
 */
uint32
identity_graph_intern(IdentityGraph *g, int32 type, const char *value, int len, bool *is_new)
{
	uint32		h = (uint32) XXH3_64bits_withSeed(value, len, (uint64) type);
	uint64		pos = h & g->table_mask;
	uint32		slot;
	uint32		i;

	while ((slot = g->table[pos]) != 0)
	{
		i = slot - 1;
		if (g->hash[i] == h && g->type[i] == type && g->len[i] == (uint32) len &&
			memcmp(g->arena + g->off[i], value, len) == 0)
		{
			*is_new = false;
			return i;
		}
		pos = (pos + 1) & g->table_mask;
	}
	if (g->nnodes == g->cap)
		identity_graph_grow_nodes(g);
	i = g->nnodes++;
	g->hash[i] = h;
	g->type[i] = type;
	g->len[i] = len;
	g->off[i] = identity_graph_store(g, value, len);
	g->flags[i] = 0;
	g->first_seen[i] = DT_NOEND;
	g->last_seen[i] = DT_NOBEGIN;
	g->person[i] = 0;
	g->table[pos] = i + 1;
	/* Keep the load factor under one half. */
	if ((uint64) g->nnodes * 2 > g->table_mask)
		identity_graph_rehash(g);
	*is_new = true;
	return i;
}

/* Widen a node's first/last seen times to include seen. */
void
identity_graph_seen(IdentityGraph *g, uint32 node, TimestampTz seen)
{
	if (seen < g->first_seen[node])
		g->first_seen[node] = seen;
	if (seen > g->last_seen[node])
		g->last_seen[node] = seen;
}

/*
 * Prepare the union-find: every node its own component.  A new node counts
 * one identifier of its type; existing persons get their counts later.
 */
void
identity_graph_init_union(IdentityGraph *g, IdentityRules *rules)
{
	uint32		n = Max(g->nnodes, 1);

	g->nslots = rules->nlimited;
	g->parent = MemoryContextAllocHuge(g->cxt, n * sizeof(uint32));
	for (uint32 i = 0; i < g->nnodes; i++)
		g->parent[i] = i;
	if (g->nslots == 0)
		return;
	g->counts = MemoryContextAllocHuge(g->cxt, (Size) n * g->nslots * sizeof(int32));
	memset(g->counts, 0, (Size) n * g->nslots * sizeof(int32));
	for (uint32 i = 0; i < g->nnodes; i++)
	{
		int			slot = rules->rules[g->type[i]].limit_slot;

		if (slot >= 0 && !(g->flags[i] & (IDENTITY_NODE_EXISTING | IDENTITY_NODE_BLOCKED)))
			g->counts[(Size) i * g->nslots + slot] = 1;
	}
}

/* Root of a node's component, halving the path on the way. */
uint32
identity_graph_find(IdentityGraph *g, uint32 node)
{
	while (g->parent[node] != node)
	{
		g->parent[node] = g->parent[g->parent[node]];
		node = g->parent[node];
	}
	return node;
}

/*
 * The limit slot a join of two roots would break, or -1.  Counts are of
 * distinct identifiers, so the sum is exact.
 */
int
identity_graph_limit_broken(IdentityGraph *g, IdentityRules *rules, uint32 ra, uint32 rb)
{
	for (int k = 0; k < rules->nrules; k++)
	{
		int			slot = rules->rules[k].limit_slot;

		if (slot < 0 || slot >= g->nslots)
			continue;
		if (g->counts[(Size) ra * g->nslots + slot] + g->counts[(Size) rb * g->nslots + slot] >
			rules->rules[k].max_per_person)
			return k;
	}
	return -1;
}

/*
 * Join two roots; the root holding the smaller (older) person id becomes
 * the root, so a component's person is always its root's.  Returns the new
 * root.
 */
uint32
identity_graph_join(IdentityGraph *g, uint32 ra, uint32 rb)
{
	int64		pa = g->person[ra];
	int64		pb = g->person[rb];
	uint32		root = ra;
	uint32		child = rb;

	if (pb != 0 && (pa == 0 || pb < pa))
	{
		root = rb;
		child = ra;
	}
	else if (pa == 0 && pb == 0 && rb < ra)
	{
		/* No person yet: keep the earlier node as root (stable, cheap). */
		root = rb;
		child = ra;
	}
	g->parent[child] = root;
	for (int s = 0; s < g->nslots; s++)
		g->counts[(Size) root * g->nslots + s] += g->counts[(Size) child * g->nslots + s];
	return root;
}
