/*
 * referral.c
 *	  Referral (裂变) graphs: referral_edges() says what became of every
 *	  (referrer, referee, time) edge, referral_tree() returns the forest the
 *	  accepted edges make, with each person's root, generation and downline.
 *
 * The rule (doc/measurement-cohort.md): edges are taken in time order (ties
 * by referrer, then referee).  A self-referral is refused.  A referee's first
 * edge in time is its only candidate: every later edge to the same referee is
 * refused (as a duplicate when it repeats the candidate's referrer, else as a
 * second referrer), even when the candidate itself was refused.  The
 * candidate is refused when it would close a cycle, i.e. when the referrer is
 * already in the referee's tree; otherwise it is accepted.
 *
 * A union-find over the accepted edges answers "is the referrer in the
 * referee's tree" in near-constant time: a candidate's referee has no parent
 * yet, so it is the root of its tree, and the referrer is in that tree
 * exactly when both are in the same component.  Generations and downlines
 * are computed afterwards, without recursion, so a chain of millions of
 * generations costs no stack.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/person_id.h"
#include "funcapi.h"
#include "metrics/metrics_util.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

/* What became of an edge. */
typedef enum ReferralStatus
{
	REF_ACCEPTED,
	REF_SELF,
	REF_DUPLICATE,
	REF_SECOND_REFERRER,
	REF_CYCLE,
	REF_NULL
} ReferralStatus;

static const char *const referral_status_names[] = {
	"accepted", "self", "duplicate", "second_referrer", "cycle", "null"
};

typedef struct ReferralEdge
{
	TimestampTz ts;
	uint32		referrer;
	uint32		referee;
	int32		pos;			/* position in the input arrays */
	int32		from;			/* node of the referrer */
	int32		to;				/* node of the referee */
	bool		isnull;			/* some element is NULL */
	uint8		nullmask;		/* 1 referrer, 2 referee, 4 time */
} ReferralEdge;

typedef struct ReferralNodeKey
{
	uint32		id;
	int32		node;
} ReferralNodeKey;

/* The graph after the edges were taken: nodes and the accepted parents. */
typedef struct ReferralGraph
{
	int			nedges;
	ReferralEdge *edges;		/* in time order */
	uint8	   *status;			/* by input position */
	int32		nnodes;
	uint32	   *id;				/* person id of each node */
	int32	   *parent;			/* accepted parent node, -1 for none */
	TimestampTz *joined;		/* time of the accepted edge to the node */
	TimestampTz *first;			/* time of the node's first accepted edge */
	int32	   *candidate;		/* referrer node of the first edge, -1 for none */
	bool	   *in_tree;		/* an endpoint of an accepted edge */
} ReferralGraph;

/*
 * An array of n elements for the call: past 1 GB when the graph is that
 * large (the edges arrive in arrays of up to 1 GB each; the working arrays
 * take about 100 bytes per edge in all).
 */
static void *
referral_alloc(Size n, Size elem, bool zero)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, Max(n, 1) * elem,
									  MCXT_ALLOC_HUGE | (zero ? MCXT_ALLOC_ZERO : 0));
}

/* Comparisons since the last check for a cancel during the sort. */
static uint32 referral_cmp_calls = 0;

/*
 * Time order, ties by referrer, then referee, then input position.  Sorting
 * tens of millions of edges takes seconds, so every 65536th comparison
 * checks for a cancel (leaving the sort by an error is safe: it holds only
 * palloc'd memory).
 */
static int
referral_edge_cmp(const void *a, const void *b)
{
	const ReferralEdge *x = (const ReferralEdge *) a;
	const ReferralEdge *y = (const ReferralEdge *) b;

	if ((++referral_cmp_calls & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->referrer != y->referrer)
		return x->referrer < y->referrer ? -1 : 1;
	if (x->referee != y->referee)
		return x->referee < y->referee ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Union-find root with path halving. */
static int32
referral_find(int32 *uf, int32 x)
{
	while (uf[x] != x)
	{
		uf[x] = uf[uf[x]];
		x = uf[x];
	}
	return x;
}

/* The elements of a one-dimensional array argument, checked. */
static void
referral_array(ArrayType *arr, Oid elemtype, const char *what, Datum **values, bool **nulls, int *n)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what),
				 errdetail("The array has %d dimensions.", ARR_NDIM(arr))));
	if (ARR_ELEMTYPE(arr) != elemtype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s has elements of type %s, not %s", what,
						format_type_be(ARR_ELEMTYPE(arr)), format_type_be(elemtype))));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, values, nulls, n);
}

/* The node of a person id, created on first sight. */
static int32
referral_node(HTAB *map, ReferralGraph *g, uint32 id)
{
	ReferralNodeKey *e;
	bool		found;

	e = (ReferralNodeKey *) hash_search(map, &id, HASH_ENTER, &found);
	if (!found)
	{
		e->node = g->nnodes;
		g->id[g->nnodes++] = id;
	}
	return e->node;
}

/* Read the three arrays and take the edges in order. */
static void
referral_build(FunctionCallInfo fcinfo, ReferralGraph *g)
{
	ArrayType  *from_arr = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *to_arr = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *ts_arr = PG_GETARG_ARRAYTYPE_P(2);
	Datum	   *fromv,
			   *tov,
			   *tsv;
	bool	   *fromn,
			   *ton,
			   *tsn;
	int			n,
				n2,
				n3;
	HASHCTL		ctl;
	HTAB	   *map;
	int32	   *uf;
	int			maxnodes;

	referral_array(from_arr, INT8OID, "referrers", &fromv, &fromn, &n);
	referral_array(to_arr, INT8OID, "referees", &tov, &ton, &n2);
	referral_array(ts_arr, TIMESTAMPTZOID, "times", &tsv, &tsn, &n3);
	if (n != n2 || n != n3)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("referrers, referees and times must have the same length"),
				 errdetail("They have %d, %d and %d elements.", n, n2, n3),
				 errhint("Build them with array_agg in one query level so that element i of each is one edge.")));
	/* node indexes are int32: two new nodes per edge at most */
	if (n > PG_INT32_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many referral edges: %d", n),
				 errdetail("At most %d edges are taken in one call.", PG_INT32_MAX / 2)));

	g->nedges = n;
	g->edges = referral_alloc(n, sizeof(ReferralEdge), false);
	g->status = referral_alloc(n, sizeof(uint8), true);
	for (int i = 0; i < n; i++)
	{
		ReferralEdge *e = &g->edges[i];

		e->pos = i;
		e->nullmask = (fromn[i] ? 1 : 0) | (ton[i] ? 2 : 0) | (tsn[i] ? 4 : 0);
		e->isnull = e->nullmask != 0;
		e->referrer = fromn[i] ? 0 : person_id_from_int64(DatumGetInt64(fromv[i]));
		e->referee = ton[i] ? 0 : person_id_from_int64(DatumGetInt64(tov[i]));
		e->ts = tsn[i] ? 0 : DatumGetTimestampTz(tsv[i]);
		e->from = e->to = -1;
	}
	pg_qsort(g->edges, n, sizeof(ReferralEdge), referral_edge_cmp);

	maxnodes = 2 * Max(n, 1);
	g->nnodes = 0;
	g->id = referral_alloc(maxnodes, sizeof(uint32), false);
	g->parent = referral_alloc(maxnodes, sizeof(int32), false);
	g->joined = referral_alloc(maxnodes, sizeof(TimestampTz), false);
	g->first = referral_alloc(maxnodes, sizeof(TimestampTz), false);
	g->candidate = referral_alloc(maxnodes, sizeof(int32), false);
	g->in_tree = referral_alloc(maxnodes, sizeof(bool), true);
	uf = referral_alloc(maxnodes, sizeof(int32), false);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(uint32);
	ctl.entrysize = sizeof(ReferralNodeKey);
	ctl.hcxt = CurrentMemoryContext;
	map = hash_create("referral nodes", Max(n, 16), &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	for (int i = 0; i < n; i++)
	{
		ReferralEdge *e = &g->edges[i];
		int32		u,
					v,
					nodes_before = g->nnodes;
		ReferralStatus st;

		CHECK_FOR_INTERRUPTS();
		if (e->isnull)
			st = REF_NULL;
		else if (e->referrer == e->referee)
			st = REF_SELF;
		else
		{
			u = referral_node(map, g, e->referrer);
			v = referral_node(map, g, e->referee);
			for (int32 k = nodes_before; k < g->nnodes; k++)
			{
				g->parent[k] = -1;
				g->candidate[k] = -1;
				g->joined[k] = 0;
				uf[k] = k;
			}
			e->from = u;
			e->to = v;
			if (g->candidate[v] >= 0)
				st = g->candidate[v] == u ? REF_DUPLICATE : REF_SECOND_REFERRER;
			else
			{
				g->candidate[v] = u;
				if (referral_find(uf, u) == referral_find(uf, v))
					st = REF_CYCLE;
				else
				{
					st = REF_ACCEPTED;
					g->parent[v] = u;
					g->joined[v] = e->ts;
					/* edges come in time order: the first one seen is the earliest */
					if (!g->in_tree[u])
						g->first[u] = e->ts;
					if (!g->in_tree[v])
						g->first[v] = e->ts;
					g->in_tree[u] = g->in_tree[v] = true;
					uf[referral_find(uf, v)] = referral_find(uf, u);
				}
			}
		}
		g->status[e->pos] = (uint8) st;
	}
	hash_destroy(map);
	pfree(uf);
}

PG_FUNCTION_INFO_V1(referral_edges);
/* One row per input edge, in input order, with what became of it. */
Datum
referral_edges(PG_FUNCTION_ARGS)
{
	ReferralGraph g;
	TupleDesc	tupdesc;
	Tuplestorestate *store = metrics_srf_begin(fcinfo, &tupdesc);
	ReferralEdge *bypos;

	referral_build(fcinfo, &g);
	/* Back to input order: the position is the index. */
	bypos = referral_alloc(g.nedges, sizeof(ReferralEdge), false);
	for (int i = 0; i < g.nedges; i++)
		bypos[g.edges[i].pos] = g.edges[i];
	for (int i = 0; i < g.nedges; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		CHECK_FOR_INTERRUPTS();
		values[0] = Int32GetDatum(i + 1);
		values[1] = Int64GetDatum((int64) bypos[i].referrer);
		values[2] = Int64GetDatum((int64) bypos[i].referee);
		values[3] = TimestampTzGetDatum(bypos[i].ts);
		nulls[1] = (bypos[i].nullmask & 1) != 0;
		nulls[2] = (bypos[i].nullmask & 2) != 0;
		nulls[3] = (bypos[i].nullmask & 4) != 0;
		values[4] = CStringGetTextDatum(referral_status_names[g.status[i]]);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(referral_tree);
/*
 * One row per person of the forest: parent, root, generation (0 for a
 * root), when the person was referred, when they entered the network (their
 * first accepted edge at either end), direct referees and whole downline.
 */
Datum
referral_tree(PG_FUNCTION_ARGS)
{
	ReferralGraph g;
	TupleDesc	tupdesc;
	Tuplestorestate *store = metrics_srf_begin(fcinfo, &tupdesc);
	int32	   *gen,
			   *root,
			   *path,
			   *order,
			   *count;
	int64	   *children,
			   *downline;
	int32		maxgen = 0;

	referral_build(fcinfo, &g);
	gen = referral_alloc(g.nnodes, sizeof(int32), false);
	root = referral_alloc(g.nnodes, sizeof(int32), false);
	path = referral_alloc(g.nnodes, sizeof(int32), false);
	children = referral_alloc(g.nnodes, sizeof(int64), true);
	downline = referral_alloc(g.nnodes, sizeof(int64), true);
	for (int32 k = 0; k < g.nnodes; k++)
		gen[k] = -1;

	/* Generation and root: walk up to a known node, then fill the path. */
	for (int32 k = 0; k < g.nnodes; k++)
	{
		int32		len = 0,
					x = k;

		CHECK_FOR_INTERRUPTS();
		while (gen[x] < 0 && g.parent[x] >= 0)
		{
			path[len++] = x;
			x = g.parent[x];
		}
		if (gen[x] < 0)
		{
			gen[x] = 0;
			root[x] = x;
		}
		while (len > 0)
		{
			int32		y = path[--len];

			gen[y] = gen[g.parent[y]] + 1;
			root[y] = root[g.parent[y]];
		}
		if (gen[k] > maxgen)
			maxgen = gen[k];
	}

	/* Downlines: children before parents, deepest generation first. */
	count = referral_alloc((maxgen + 2), sizeof(int32), true);
	order = referral_alloc(g.nnodes, sizeof(int32), false);
	for (int32 k = 0; k < g.nnodes; k++)
		count[gen[k] + 1]++;
	for (int32 d = 1; d <= maxgen + 1; d++)
		count[d] += count[d - 1];
	for (int32 k = 0; k < g.nnodes; k++)
		order[count[gen[k]]++] = k;
	for (int32 i = g.nnodes - 1; i >= 0; i--)
	{
		int32		k = order[i];

		if (g.parent[k] >= 0)
		{
			children[g.parent[k]]++;
			downline[g.parent[k]] += downline[k] + 1;
		}
	}

	for (int32 k = 0; k < g.nnodes; k++)
	{
		Datum		values[8];
		bool		nulls[8] = {false, false, false, false, false, false, false, false};

		CHECK_FOR_INTERRUPTS();
		if (!g.in_tree[k])
			continue;
		values[0] = Int64GetDatum((int64) g.id[k]);
		if (g.parent[k] >= 0)
		{
			values[1] = Int64GetDatum((int64) g.id[g.parent[k]]);
			values[4] = TimestampTzGetDatum(g.joined[k]);
		}
		else
			nulls[1] = nulls[4] = true;
		values[2] = Int64GetDatum((int64) g.id[root[k]]);
		values[3] = Int32GetDatum(gen[k]);
		values[5] = TimestampTzGetDatum(g.first[k]);
		values[6] = Int64GetDatum(children[k]);
		values[7] = Int64GetDatum(downline[k]);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	PG_RETURN_NULL();
}
