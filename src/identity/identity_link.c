/*
 * identity_link.c
 *	  identity_link(query): read a batch of identifier pairs, look up the
 *	  persons it touches, join them with union-find under the rules, and
 *	  hand the result to identity_write.c.  Everything happens in the
 *	  caller's transaction, so an error or a cancel leaves no trace.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/pquery.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common/sql_safety.h"
#include "identity/identity.h"

#define IDENTITY_PROGRESS_MS 5000

/* Take the transaction-level advisory lock that serialises identity changes. */
void
identity_lock(void)
{
	if (SPI_execute("SELECT pg_catalog.pg_advisory_xact_lock(1364283737, 1)", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not take the identity lock");
}

/* Emit a progress NOTICE when force is set or enough time has passed. */
void
identity_progress(IdentityLink *link, bool force, const char *fmt,...)
{
	TimestampTz now = GetCurrentTimestamp();
	char		buf[256];
	va_list		ap;

	if (!force && !TimestampDifferenceExceeds(link->last_notice, now, IDENTITY_PROGRESS_MS))
		return;
	link->last_notice = now;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ereport(NOTICE, (errmsg("identity_link: %s", buf)));
}

/* Log at DEBUG1 how long the phase that just ended took. */
void
identity_phase_done(IdentityLink *link, const char *phase)
{
	TimestampTz now = GetCurrentTimestamp();

	elog(DEBUG1, "identity_link: %s took %ld ms", phase,
		 (long) ((now - link->phase_start) / 1000));
	link->phase_start = now;
}

/* Is a column of the batch query's type (or a domain over it) one of two types? */
static bool
identity_column_is(TupleDesc desc, int k, Oid t1, Oid t2)
{
	Oid			t = getBaseType(SPI_gettypeid(desc, k));

	return t == t1 || t == t2;
}

/*
 * Check that the batch query returns (text, text, text, text [, timestamptz])
 * before any of its Datums is read: a column of another type would be read
 * as something it is not.  varchar and domains over text or timestamptz
 * have the same representation and are accepted.
 */
static bool
identity_check_columns(TupleDesc desc)
{
	if (desc->natts != 4 && desc->natts != 5)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("identity_link query returns %d columns, expected 4 or 5", desc->natts),
				 errdetail("The columns are type_a, value_a, type_b, value_b and optionally seen_at.")));
	for (int k = 1; k <= 4; k++)
		if (!identity_column_is(desc, k, TEXTOID, VARCHAROID))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("identity_link query column %d has type %s, expected text", k,
							format_type_be(SPI_gettypeid(desc, k))),
					 errhint("Cast the column to text.")));
	if (desc->natts == 5 && !identity_column_is(desc, 5, TIMESTAMPTZOID, TIMESTAMPTZOID))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("identity_link query column 5 has type %s, expected timestamp with time zone",
						format_type_be(SPI_gettypeid(desc, 5))),
				 errhint("Cast seen_at to timestamptz.")));
	return desc->natts == 5;
}

/*
 * Intern one side of a row (columns col, col + 1, zero-based); returns its
 * node, or -1 when the side is absent (NULL) or blocked.
 */
static int64
identity_read_side(IdentityLink *link, TupleTableSlot *slot, int col, TimestampTz seen,
				   StringInfo buf)
{
	text	   *t,
			   *v;
	int			rule;
	bool		is_new;
	int64		node;

	if (slot->tts_isnull[col] || slot->tts_isnull[col + 1])
		return -1;
	t = DatumGetTextPP(slot->tts_values[col]);
	v = DatumGetTextPP(slot->tts_values[col + 1]);
	rule = identity_rules_type(link->rules, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	identity_normalize_into(link->rules, rule, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), buf);
	node = identity_graph_intern(link->g, rule, buf->data, buf->len, &is_new);
	/* Junk is checked once per distinct value, then remembered in the node. */
	if (is_new && identity_value_blocked(link->rules, rule, buf->data, buf->len))
		link->g->flags[node] |= IDENTITY_NODE_BLOCKED;
	if (link->g->flags[node] & IDENTITY_NODE_BLOCKED)
	{
		link->values_blocked++;
		node = -1;
	}
	else
		identity_graph_seen(link->g, node, seen);
	/* Free detoasted copies of long values: nothing else frees them per row. */
	if ((Pointer) t != DatumGetPointer(slot->tts_values[col]))
		pfree(t);
	if ((Pointer) v != DatumGetPointer(slot->tts_values[col + 1]))
		pfree(v);
	return node;
}

/* Remember a pair of nodes, in input order. */
static void
identity_add_edge(IdentityLink *link, uint32 a, uint32 b)
{
	if (link->nedges == link->edge_cap)
	{
		link->edge_cap = Max(link->edge_cap * 2, 4096);
		link->edge_a = link->edge_a ? repalloc_huge(link->edge_a, link->edge_cap * sizeof(uint32)) :
			MemoryContextAllocHuge(link->cxt, link->edge_cap * sizeof(uint32));
		link->edge_b = link->edge_b ? repalloc_huge(link->edge_b, link->edge_cap * sizeof(uint32)) :
			MemoryContextAllocHuge(link->cxt, link->edge_cap * sizeof(uint32));
	}
	link->edge_a[link->nedges] = a;
	link->edge_b[link->nedges] = b;
	link->nedges++;
}

/* A receiver that feeds the rows of the batch query straight into the graph. */
typedef struct IdentityReceiver
{
	DestReceiver pub;
	IdentityLink *link;
	StringInfoData buf;
	bool		has_seen;
} IdentityReceiver;

/* Take one row of the batch: up to two identifiers and the pair between them. */
static bool
identity_receive_slot(TupleTableSlot *slot, DestReceiver *self)
{
	IdentityReceiver *r = (IdentityReceiver *) self;
	IdentityLink *link = r->link;
	TimestampTz seen = link->now;
	int64		a,
				b;

	slot_getallattrs(slot);
	if (r->has_seen && !slot->tts_isnull[4])
		seen = DatumGetTimestampTz(slot->tts_values[4]);
	a = identity_read_side(link, slot, 0, seen, &r->buf);
	b = identity_read_side(link, slot, 2, seen, &r->buf);
	if (a >= 0 && b >= 0 && a != b)
		identity_add_edge(link, (uint32) a, (uint32) b);
	link->pairs_read++;
	if ((link->pairs_read & 0xFFF) == 0)
	{
		CHECK_FOR_INTERRUPTS();
		identity_progress(link, false, "read %lld rows, %u distinct identifiers",
						  (long long) link->pairs_read, link->g->nnodes);
	}
	return true;
}

static void
identity_receive_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
identity_receive_shutdown(DestReceiver *self)
{
}

static void
identity_receive_destroy(DestReceiver *self)
{
}

/*
 * Read every row of the batch query into the graph.  The portal runs into
 * our own receiver, so rows are never copied into an SPI tuple table.
 */
static void
identity_read_batch(IdentityLink *link, const char *query, int nargs, Oid *argtypes,
					Datum *values, const char *nulls)
{
	SPIPlanPtr	plan = SPI_prepare(query, nargs, argtypes);
	Portal		portal;
	IdentityReceiver recv;

	if (plan == NULL)
		elog(ERROR, "could not prepare the identity_link query: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, values, nulls, false);
	if (portal->tupDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("identity_link query returns no rows"),
				 errdetail("The query must be a SELECT or VALUES returning (type_a, value_a, type_b, value_b [, seen_at]).")));
	memset(&recv, 0, sizeof(recv));
	recv.pub.receiveSlot = identity_receive_slot;
	recv.pub.rStartup = identity_receive_startup;
	recv.pub.rShutdown = identity_receive_shutdown;
	recv.pub.rDestroy = identity_receive_destroy;
	recv.pub.mydest = DestNone;
	recv.link = link;
	recv.has_seen = identity_check_columns(portal->tupDesc);
	initStringInfo(&recv.buf);
	PortalRunFetch(portal, FETCH_FORWARD, FETCH_ALL, &recv.pub);
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
}

/*
 * The order pairs are applied in: strongest first (a pair is as strong as
 * the lower priority of its two types), input order within a strength.
 * A stable counting sort over the few distinct priorities.
 */
static uint32 *
identity_edge_order(IdentityLink *link)
{
	IdentityRules *rules = link->rules;
	int			n = rules->nrules;
	int		   *rank = palloc(sizeof(int) * n);
	uint64	   *start = palloc0(sizeof(uint64) * (n + 1));
	uint32	   *order = MemoryContextAllocHuge(link->cxt, sizeof(uint32) * Max(link->nedges, 1));
	uint8	   *edge_rank = MemoryContextAllocHuge(link->cxt, Max(link->nedges, 1));

	/* rank = number of rules with a strictly higher priority (0 = strongest). */
	for (int i = 0; i < n; i++)
	{
		rank[i] = 0;
		for (int j = 0; j < n; j++)
			if (rules->rules[j].priority > rules->rules[i].priority)
				rank[i]++;
		rank[i] = Min(rank[i], 255);
	}
	for (uint64 e = 0; e < link->nedges; e++)
	{
		int			ra = rank[link->g->type[link->edge_a[e]]];
		int			rb = rank[link->g->type[link->edge_b[e]]];

		if ((e & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();

		edge_rank[e] = (uint8) Max(ra, rb);
		start[edge_rank[e] + 1]++;
	}
	for (int r = 1; r <= n; r++)
		start[r] += start[r - 1];
	for (uint64 e = 0; e < link->nedges; e++)
		order[start[edge_rank[e]]++] = (uint32) e;
	pfree(edge_rank);
	pfree(rank);
	pfree(start);
	return order;
}

/* Record that edge e was refused because it breaks rule k's limit. */
static void
identity_refuse(IdentityLink *link, uint32 e, int k, uint32 ra, uint32 rb)
{
	IdentityGraph *g = link->g;
	IdentityRule *r = &link->rules->rules[k];
	int			total = g->counts[(Size) ra * g->nslots + r->limit_slot] +
		g->counts[(Size) rb * g->nslots + r->limit_slot];

	if (link->nrefusals == link->refusal_cap)
	{
		link->refusal_cap = Max(link->refusal_cap * 2, 64);
		link->refusals = link->refusals ?
			repalloc_huge(link->refusals, link->refusal_cap * sizeof(IdentityRefusalRec)) :
			MemoryContextAllocHuge(link->cxt, link->refusal_cap * sizeof(IdentityRefusalRec));
	}
	link->refusals[link->nrefusals].edge = e;
	link->refusals[link->nrefusals].reason =
		MemoryContextStrdup(link->cxt,
							psprintf("the merge would give one person %d identifiers of type %s; the rule allows %d",
									 total, r->id_type, r->max_per_person));
	link->nrefusals++;
}

/* Record that person loser merges away because of edge e. */
static void
identity_record_merge(IdentityLink *link, uint32 e, int64 loser)
{
	if (link->nmerges == link->merge_cap)
	{
		link->merge_cap = Max(link->merge_cap * 2, 64);
		link->merges = link->merges ?
			repalloc_huge(link->merges, link->merge_cap * sizeof(IdentityMergeRec)) :
			MemoryContextAllocHuge(link->cxt, link->merge_cap * sizeof(IdentityMergeRec));
	}
	link->merges[link->nmerges].loser = loser;
	link->merges[link->nmerges].edge = e;
	link->nmerges++;
}

/* Apply every pair: union-find with rule checks, merges recorded. */
static void
identity_union(IdentityLink *link)
{
	IdentityGraph *g = link->g;
	uint32	   *order = identity_edge_order(link);

	for (uint64 k = 0; k < link->nedges; k++)
	{
		uint32		e = order[k];
		uint32		ra = identity_graph_find(g, link->edge_a[e]);
		uint32		rb = identity_graph_find(g, link->edge_b[e]);
		int			broken;

		if ((k & 0xFFFF) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			identity_progress(link, false, "linked %llu of %llu pairs, %llu merges",
							  (unsigned long long) k, (unsigned long long) link->nedges,
							  (unsigned long long) link->nmerges);
		}
		if (ra == rb)
			continue;
		broken = g->nslots > 0 ? identity_graph_limit_broken(g, link->rules, ra, rb) : -1;
		if (broken >= 0)
		{
			identity_refuse(link, e, broken, ra, rb);
			continue;
		}
		if (g->person[ra] != 0 && g->person[rb] != 0)
			identity_record_merge(link, e, Max(g->person[ra], g->person[rb]));
		identity_graph_join(g, ra, rb);
	}
	pfree(order);
}

/* Give each component without a person a new id, in order of first appearance. */
static void
identity_assign_persons(IdentityLink *link)
{
	IdentityGraph *g = link->g;

	if (SPI_execute("SELECT s.next_person_id FROM quanyu.identity_state s", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read identity_state");
	link->next_person = 1;
	if (SPI_processed > 0)
	{
		bool		isnull;

		link->next_person = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	for (uint32 i = 0; i < g->nnodes; i++)
	{
		uint32		r;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (g->flags[i] & IDENTITY_NODE_BLOCKED)
			continue;
		r = identity_graph_find(g, i);
		if (g->person[r] != 0)
			continue;
		if (link->next_person > PG_UINT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("identity merge ran out of person ids"),
					 errdetail("Person ids are integers from 0 to 4294967295.")));
		g->person[r] = link->next_person++;
		link->persons_new++;
	}
}

/* Build the result row of counts. */
static Datum
identity_link_result(FunctionCallInfo fcinfo, IdentityLink *link)
{
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "identity_link must return a record");
	desc = BlessTupleDesc(desc);
	values[0] = Int64GetDatum(link->pairs_read);
	values[1] = Int64GetDatum(link->identifiers_new);
	values[2] = Int64GetDatum(link->persons_new);
	values[3] = Int64GetDatum((int64) link->nmerges);
	values[4] = Int64GetDatum((int64) link->nrefusals);
	values[5] = Int64GetDatum(link->values_blocked);
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

/*
 * Ingest the rows of a query (with its parameters, if any); returns the
 * result row of counts.
 */
static Datum
identity_link_run(FunctionCallInfo fcinfo, const char *query, int nargs, Oid *argtypes,
				  Datum *values, const char *nulls)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "identity_link",
											  ALLOCSET_DEFAULT_SIZES);
	IdentityLink *link = MemoryContextAllocZero(cxt, sizeof(IdentityLink));
	Datum		result;
	int			nestlevel;

	link->cxt = cxt;
	link->now = GetCurrentTransactionStartTimestamp();
	link->last_notice = GetCurrentTimestamp();
	link->phase_start = link->last_notice;
	SPI_connect();

	/*
	 * Our own statements run under a pinned search_path; the batch query is
	 * the caller's and runs under theirs.  identity_identifier is read and
	 * written past the executor, so its privileges are checked here first;
	 * the other tables are written through SPI, which checks them, and none
	 * may hide rows behind row-level security.
	 */
	nestlevel = qy_pin_search_path();
	identity_check_table(identity_table_oid("identity_identifier"), ACL_SELECT | ACL_INSERT);
	identity_check_table(identity_table_oid("identity_state"), ACL_SELECT | ACL_INSERT | ACL_UPDATE);
	identity_check_table(identity_table_oid("identity_merge"), ACL_NO_RIGHTS);
	identity_lock();
	link->rules = identity_rules_load(cxt, false);
	link->g = identity_graph_create(cxt);
	qy_unpin_search_path(nestlevel);

	identity_read_batch(link, query, nargs, argtypes, values, nulls);
	identity_phase_done(link, "read");

	nestlevel = qy_pin_search_path();
	identity_lookup_existing(link);
	identity_phase_done(link, "lookup");
	identity_graph_init_union(link->g, link->rules);
	identity_prepare_existing(link);
	identity_phase_done(link, "counts of touched persons");
	identity_union(link);
	identity_assign_persons(link);
	identity_phase_done(link, "union");
	identity_write_all(link);
	qy_unpin_search_path(nestlevel);
	SPI_finish();
	result = identity_link_result(fcinfo, link);
	MemoryContextDelete(cxt);
	return result;
}

PG_FUNCTION_INFO_V1(identity_link);
/* identity_link(query): ingest a batch of identifier pairs; returns counts */
Datum
identity_link(PG_FUNCTION_ARGS)
{
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_DATUM(identity_link_run(fcinfo, query, 0, NULL, NULL, NULL));
}

/* The number of elements of a one-dimensional array argument (0 when empty). */
static int
identity_array_length(FunctionCallInfo fcinfo, int argno, const char *name, Oid elemtype)
{
	ArrayType  *a;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name),
				 errhint("Pass an empty array for no rows.")));
	a = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_ELEMTYPE(a) != elemtype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s must be an array of %s", name, format_type_be(elemtype))));
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", name),
				 errdetail("It has %d dimensions.", ARR_NDIM(a))));
	return ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
}

PG_FUNCTION_INFO_V1(identity_link_arrays);
/*
 * identity_link_arrays(type_a, value_a, type_b, value_b [, seen_at]): the
 * pairs as parallel arrays, which drivers bind as parameters: the values are
 * data and never become SQL text.  Element i of each array is one pair; a
 * NULL seen_at array (or element) means the transaction's start time.
 */
Datum
identity_link_arrays(PG_FUNCTION_ARGS)
{
	static const char *const names[5] = {"type_a", "value_a", "type_b", "value_b", "seen_at"};
	Oid			argtypes[5] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int			n = identity_array_length(fcinfo, 0, names[0], TEXTOID);

	for (int k = 0; k < 5; k++)
	{
		int			len;

		if (k == 4 && PG_ARGISNULL(4))
		{
			nulls[4] = 'n';
			values[4] = (Datum) 0;
			continue;
		}
		len = identity_array_length(fcinfo, k, names[k], k == 4 ? TIMESTAMPTZOID : TEXTOID);
		if (len != n)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("identity_link_arrays arrays differ in length"),
					 errdetail("Array %s has length %d and %s has length %d.", names[0], n, names[k], len)));
		values[k] = PointerGetDatum(PG_GETARG_ARRAYTYPE_P(k));
	}
	PG_RETURN_DATUM(identity_link_run(fcinfo,
									  "SELECT u.type_a, u.value_a, u.type_b, u.value_b, u.seen_at "
									  "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
									  "pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5)) "
									  "AS u (type_a, value_a, type_b, value_b, seen_at)",
									  5, argtypes, values, nulls));
}
