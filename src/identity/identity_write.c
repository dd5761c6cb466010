/*
 * identity_write.c
 *	  The bulk writes of identity_link: new identifiers, seen times of known
 *	  ones, merges (identifiers move, merge log, redirects), refusals and
 *	  the next person id.  Each is a few statements over unnest(arrays) of
 *	  up to IDENTITY_WRITE_CHUNK rows, never one statement per row.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "executor/tuptable.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "identity/identity.h"

#define IDENTITY_WRITE_CHUNK 50000

/* A first load of at least this many identifiers builds the indexes afterwards. */
#define IDENTITY_BULK_MIN 100000

/* Prepare a statement with a generic plan (unnest of a parameter is small to the planner). */
static SPIPlanPtr
identity_prepare(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);

	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	return plan;
}

/* Run a prepared write statement. */
static void
identity_exec(SPIPlanPtr plan, Datum *args)
{
	int			rc = SPI_execute_plan(plan, args, NULL, false, 0);

	if (rc < 0)
		elog(ERROR, "identity write failed: %s", SPI_result_code_string(rc));
}

/* Array constructors for the column types we pass. */
static Datum
identity_text_array(Datum *elems, int n)
{
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
identity_int8_array(Datum *elems, int n)
{
	return PointerGetDatum(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum
identity_ts_array(Datum *elems, int n)
{
	return PointerGetDatum(construct_array(elems, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* The type name of a node as a text datum. */
static Datum
identity_type_datum(IdentityLink *link, uint32 node)
{
	IdentityRule *r = &link->rules->rules[link->g->type[node]];

	return PointerGetDatum(cstring_to_text_with_len(r->id_type, r->id_type_len));
}

/* The value of a node as a text datum. */
static Datum
identity_value_datum(IdentityLink *link, uint32 node)
{
	return PointerGetDatum(cstring_to_text_with_len(IDENTITY_NODE_VALUE(link->g, node),
													link->g->len[node]));
}

/*
 * Run sql once per chunk of identifiers, with their columns as arrays:
 * $1 type, $2 value, [$3 person id,] then first_seen and last_seen.  The
 * known identifiers when known is true, else the new ones, which also pass
 * their person id.  Returns how many identifiers were passed.
 */
static uint64
identity_write_chunks(IdentityLink *link, const char *sql, bool known, const char *progress)
{
	IdentityGraph *g = link->g;
	Oid			argtypes[5] = {TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID};
	int			ncols = known ? 4 : 5;
	int			ts_col = known ? 2 : 3;
	SPIPlanPtr	plan;
	MemoryContext chunk_cxt;
	uint64		done = 0;

	if (known)
		argtypes[2] = TIMESTAMPTZARRAYOID;
	plan = identity_prepare(sql, ncols, argtypes);
	chunk_cxt = AllocSetContextCreate(CurrentMemoryContext, "identity write", ALLOCSET_DEFAULT_SIZES);
	for (uint32 start = 0; start < g->nnodes;)
	{
		MemoryContext old = MemoryContextSwitchTo(chunk_cxt);
		Datum	   *cols[5];
		Datum		args[5];
		int			n = 0;

		for (int c = 0; c < ncols; c++)
			cols[c] = palloc(sizeof(Datum) * IDENTITY_WRITE_CHUNK);
		for (; start < g->nnodes && n < IDENTITY_WRITE_CHUNK; start++)
		{
			if (known ? !(g->flags[start] & IDENTITY_NODE_EXISTING)
				: (g->flags[start] & (IDENTITY_NODE_BLOCKED | IDENTITY_NODE_EXISTING)) != 0)
				continue;
			cols[0][n] = identity_type_datum(link, start);
			cols[1][n] = identity_value_datum(link, start);
			if (!known)
				cols[2][n] = Int64GetDatum(g->person[identity_graph_find(g, start)]);
			cols[ts_col][n] = TimestampTzGetDatum(g->first_seen[start]);
			cols[ts_col + 1][n] = TimestampTzGetDatum(g->last_seen[start]);
			n++;
		}
		if (n > 0)
		{
			args[0] = identity_text_array(cols[0], n);
			args[1] = identity_text_array(cols[1], n);
			if (!known)
				args[2] = identity_int8_array(cols[2], n);
			args[ts_col] = identity_ts_array(cols[ts_col], n);
			args[ts_col + 1] = identity_ts_array(cols[ts_col + 1], n);
			identity_exec(plan, args);
			done += n;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(chunk_cxt);
		CHECK_FOR_INTERRUPTS();
		identity_progress(link, false, progress, (unsigned long long) done);
	}
	MemoryContextDelete(chunk_cxt);
	SPI_freeplan(plan);
	return done;
}

/* Widen the seen times of the identifiers that were already known. */
static void
identity_write_seen(IdentityLink *link)
{
	if (!link->any_existing)
		return;
	(void) identity_write_chunks(link,
								 "UPDATE quanyu.identity_identifier i "
								 "SET first_seen = LEAST(i.first_seen, u.f), last_seen = GREATEST(i.last_seen, u.l) "
								 "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
								 "pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(t, v, f, l) "
								 "WHERE i.id_type OPERATOR(pg_catalog.=) u.t COLLATE pg_catalog.\"C\" "
								 "AND i.id_value OPERATOR(pg_catalog.=) u.v COLLATE pg_catalog.\"C\" "
								 "AND (u.f OPERATOR(pg_catalog.<) i.first_seen OR u.l OPERATOR(pg_catalog.>) i.last_seen)",
								 true, "updated the seen times of %llu known identifiers");
}

/*
 * Apply the merges: the losers' identifiers move to their survivors, older
 * redirects that pointed at a loser follow it, and the log gets one row per
 * loser with the pair that caused it.
 */
static void
identity_write_merges(IdentityLink *link)
{
	IdentityGraph *g = link->g;
	Oid			moveargs[2] = {INT8ARRAYOID, INT8ARRAYOID};
	Oid			logargs[6] = {INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	SPIPlanPtr	move,
				redirect,
				log;

	if (link->nmerges == 0)
		return;
	move = identity_prepare("UPDATE quanyu.identity_identifier i SET person_id = u.s "
							"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u(l, s) "
							"WHERE i.person_id OPERATOR(pg_catalog.=) u.l", 2, moveargs);
	redirect = identity_prepare("UPDATE quanyu.identity_merge m SET current_survivor = u.s "
								"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u(l, s) "
								"WHERE m.current_survivor OPERATOR(pg_catalog.=) u.l", 2, moveargs);
	log = identity_prepare("INSERT INTO quanyu.identity_merge (loser, survivor, current_survivor, merged_at, "
						   "evidence_type_a, evidence_value_a, evidence_type_b, evidence_value_b) "
						   "SELECT u.l, u.s, u.s, pg_catalog.now(), u.ta, u.va, u.tb, u.vb "
						   "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), "
						   "pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)) "
						   "AS u(l, s, ta, va, tb, vb)", 6, logargs);
	for (uint64 start = 0; start < link->nmerges;)
	{
		int			n = (int) Min(link->nmerges - start, IDENTITY_WRITE_CHUNK);
		Datum	   *cols[6];
		Datum		args[6];

		for (int c = 0; c < 6; c++)
			cols[c] = palloc(sizeof(Datum) * n);
		for (int i = 0; i < n; i++)
		{
			IdentityMergeRec *m = &link->merges[start + i];
			uint32		a = link->edge_a[m->edge];
			uint32		b = link->edge_b[m->edge];

			cols[0][i] = Int64GetDatum(m->loser);
			cols[1][i] = Int64GetDatum(g->person[identity_graph_find(g, a)]);
			cols[2][i] = identity_type_datum(link, a);
			cols[3][i] = identity_value_datum(link, a);
			cols[4][i] = identity_type_datum(link, b);
			cols[5][i] = identity_value_datum(link, b);
		}
		args[0] = identity_int8_array(cols[0], n);
		args[1] = identity_int8_array(cols[1], n);
		identity_exec(move, args);
		identity_exec(redirect, args);
		args[2] = identity_text_array(cols[2], n);
		args[3] = identity_text_array(cols[3], n);
		args[4] = identity_text_array(cols[4], n);
		args[5] = identity_text_array(cols[5], n);
		identity_exec(log, args);
		start += n;
		CHECK_FOR_INTERRUPTS();
	}
	SPI_freeplan(move);
	SPI_freeplan(redirect);
	SPI_freeplan(log);
}

/* Log the refused pairs with the persons they would have joined. */
static void
identity_write_refusals(IdentityLink *link)
{
	IdentityGraph *g = link->g;
	Oid			argtypes[7] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID};
	SPIPlanPtr	plan;

	if (link->nrefusals == 0)
		return;
	plan = identity_prepare("INSERT INTO quanyu.identity_refusal (refused_at, type_a, value_a, type_b, value_b, "
							"person_a, person_b, reason) "
							"SELECT pg_catalog.now(), u.* FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
							"pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
							"pg_catalog.unnest($6), pg_catalog.unnest($7)) AS u", 7, argtypes);
	for (uint64 start = 0; start < link->nrefusals;)
	{
		int			n = (int) Min(link->nrefusals - start, IDENTITY_WRITE_CHUNK);
		Datum	   *cols[7];
		Datum		args[7];

		for (int c = 0; c < 7; c++)
			cols[c] = palloc(sizeof(Datum) * n);
		for (int i = 0; i < n; i++)
		{
			IdentityRefusalRec *r = &link->refusals[start + i];
			uint32		a = link->edge_a[r->edge];
			uint32		b = link->edge_b[r->edge];

			cols[0][i] = identity_type_datum(link, a);
			cols[1][i] = identity_value_datum(link, a);
			cols[2][i] = identity_type_datum(link, b);
			cols[3][i] = identity_value_datum(link, b);
			cols[4][i] = Int64GetDatum(g->person[identity_graph_find(g, a)]);
			cols[5][i] = Int64GetDatum(g->person[identity_graph_find(g, b)]);
			cols[6][i] = PointerGetDatum(cstring_to_text(r->reason));
		}
		for (int c = 0; c < 7; c++)
			args[c] = (c == 4 || c == 5) ? identity_int8_array(cols[c], n) : identity_text_array(cols[c], n);
		identity_exec(plan, args);
		start += n;
		CHECK_FOR_INTERRUPTS();
	}
	SPI_freeplan(plan);
}

/* Store the next person id. */
static void
identity_write_state(IdentityLink *link)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		arg = Int64GetDatum(link->next_person);

	if (SPI_execute_with_args("INSERT INTO quanyu.identity_state (next_person_id) VALUES ($1) "
							  "ON CONFLICT (singleton) DO UPDATE SET next_person_id = excluded.next_person_id",
							  1, argtypes, &arg, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not update identity_state");
}

#define IDENTITY_MULTI_INSERT 1000

/* Add the index entries of freshly inserted tuples (unique checks included). */
static void
identity_index_insert(ResultRelInfo *rri, EState *estate, TupleTableSlot **slots, int n)
{
	for (int k = 0; k < n; k++)
	{
		List	   *recheck;

#if PG_VERSION_NUM >= 160000
		recheck = ExecInsertIndexTuples(rri, slots[k], estate, false, false, NULL, NIL, false);
#else
		recheck = ExecInsertIndexTuples(rri, slots[k], estate, false, false, NULL, NIL);
#endif
		list_free(recheck);
		ResetPerTupleExprContext(estate);
	}
}

/*
 * Insert the new identifiers with multi-row heap inserts, as COPY does.
 * The values are valid by construction (normalised, person ids in range),
 * so no constraint is re-checked; with_indexes adds the index entries
 * (the unique check of the primary key included), else the caller builds
 * the indexes afterwards.
 */
static void
identity_heap_insert_new(IdentityLink *link, Oid relid, bool with_indexes)
{
	IdentityGraph *g = link->g;
	Relation	rel;
	BulkInsertState bis = GetBulkInsertState();
	CommandId	cid = GetCurrentCommandId(true);
	EState	   *estate = CreateExecutorState();
	ResultRelInfo *rri = makeNode(ResultRelInfo);
	TupleTableSlot *slots[IDENTITY_MULTI_INSERT];
	MemoryContext batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "identity insert",
													ALLOCSET_DEFAULT_SIZES);
	int			n = 0;

	/* The executor's checks, which the heap AM does not make (identity_acl.c). */
	identity_check_table(relid, ACL_INSERT);
	rel = table_open(relid, RowExclusiveLock);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	if (with_indexes)
		ExecOpenIndices(rri, false);
	for (int k = 0; k < IDENTITY_MULTI_INSERT; k++)
		slots[k] = table_slot_create(rel, NULL);
	for (uint32 i = 0; i <= g->nnodes; i++)
	{
		if (n == IDENTITY_MULTI_INSERT || (i == g->nnodes && n > 0))
		{
			table_multi_insert(rel, slots, n, cid, 0, bis);
			if (with_indexes)
				identity_index_insert(rri, estate, slots, n);
			link->identifiers_new += n;
			for (int k = 0; k < n; k++)
				ExecClearTuple(slots[k]);
			MemoryContextReset(batch_cxt);
			n = 0;
			if ((link->identifiers_new & 0xFFFF) < IDENTITY_MULTI_INSERT)
			{
				CHECK_FOR_INTERRUPTS();
				identity_progress(link, false, "wrote %lld new identifiers",
								  (long long) link->identifiers_new);
			}
		}
		if (i == g->nnodes)
			break;
		if (g->flags[i] & (IDENTITY_NODE_BLOCKED | IDENTITY_NODE_EXISTING))
			continue;
		{
			TupleTableSlot *slot = slots[n++];
			MemoryContext old = MemoryContextSwitchTo(batch_cxt);

			ExecClearTuple(slot);
			slot->tts_values[0] = identity_type_datum(link, i);
			slot->tts_values[1] = identity_value_datum(link, i);
			slot->tts_values[2] = Int64GetDatum(g->person[identity_graph_find(g, i)]);
			slot->tts_values[3] = TimestampTzGetDatum(g->first_seen[i]);
			slot->tts_values[4] = TimestampTzGetDatum(g->last_seen[i]);
			memset(slot->tts_isnull, 0, sizeof(bool) * 5);
			ExecStoreVirtualTuple(slot);
			MemoryContextSwitchTo(old);
		}
	}
	for (int k = 0; k < IDENTITY_MULTI_INSERT; k++)
		ExecDropSingleTupleTableSlot(slots[k]);
	if (with_indexes)
		ExecCloseIndices(rri);
	FreeExecutorState(estate);
	FreeBulkInsertState(bis);
	table_close(rel, NoLock);
	MemoryContextDelete(batch_cxt);
	CommandCounterIncrement();
}

/* Run one utility statement of the bulk path. */
static void
identity_utility(const char *sql)
{
	if (SPI_execute(sql, false, 0) < 0)
		elog(ERROR, "could not run \"%s\"", sql);
}

/*
 * Insert the new identifiers through SPI, so that the executor fires the
 * triggers somebody put on the table; in chunks of unnest(arrays).
 */
static void
identity_spi_insert_new(IdentityLink *link)
{
	link->identifiers_new +=
		identity_write_chunks(link,
							  "INSERT INTO quanyu.identity_identifier "
							  "(id_type, id_value, person_id, first_seen, last_seen) "
							  "SELECT u.* FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
							  "pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5)) AS u",
							  false, "wrote %llu new identifiers");
}

/*
 * Insert the new identifiers.  The fast way is multi-row heap inserts with
 * the indexes maintained, after the privilege checks the executor would
 * make.  A large first load by the table's owner goes into the table
 * without its indexes, which are then built in one sort each (faster, see
 * doc/benchmarks.md); that index DDL needs ownership and takes an ACCESS
 * EXCLUSIVE lock until commit, which only a first load can afford.  A table
 * with triggers is written through the executor, so they fire.
 */
static void
identity_write_new(IdentityLink *link)
{
	IdentityGraph *g = link->g;
	Oid			relid = identity_table_oid("identity_identifier");
	Relation	rel;
	uint64		nnew = 0;
	bool		has_triggers;
	bool		bulk;

	for (uint32 i = 0; i < g->nnodes; i++)
		if (!(g->flags[i] & (IDENTITY_NODE_BLOCKED | IDENTITY_NODE_EXISTING)))
			nnew++;
	rel = table_open(relid, RowExclusiveLock);
	has_triggers = rel->trigdesc != NULL;
	table_close(rel, NoLock);
	if (has_triggers)
	{
		identity_spi_insert_new(link);
		return;
	}
	bulk = link->table_was_empty && nnew >= IDENTITY_BULK_MIN && identity_owns_table(relid);
	if (bulk)
	{
		identity_utility("ALTER TABLE quanyu.identity_identifier DROP CONSTRAINT identity_identifier_pkey");
		identity_utility("DROP INDEX quanyu.identity_identifier_person");
		identity_heap_insert_new(link, relid, false);
		identity_progress(link, true, "building the indexes of %llu identifiers",
						  (unsigned long long) nnew);
		identity_utility("ALTER TABLE quanyu.identity_identifier "
						 "ADD CONSTRAINT identity_identifier_pkey PRIMARY KEY (id_type, id_value)");
		identity_utility("CREATE INDEX identity_identifier_person ON quanyu.identity_identifier (person_id)");
	}
	else
		identity_heap_insert_new(link, relid, true);
}

/* Every write of one identity_link call, in an order that keeps keys valid. */
void
identity_write_all(IdentityLink *link)
{
	identity_write_merges(link);
	identity_phase_done(link, "write merges");
	identity_write_seen(link);
	identity_phase_done(link, "write seen times");
	identity_write_new(link);
	identity_phase_done(link, "write new identifiers");
	identity_write_refusals(link);
	identity_write_state(link);
	identity_progress(link, link->pairs_read >= 1000000,
					  "done: %lld rows, %lld new identifiers, %lld new persons, %llu merges",
					  (long long) link->pairs_read, (long long) link->identifiers_new,
					  (long long) link->persons_new, (unsigned long long) link->nmerges);
}
