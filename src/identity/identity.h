/*
 * identity.h
 *	  Identity merge (OneID): rules, the in-memory identifier graph and the
 *	  helpers shared by identity_link, identity_register and friends.
 *
 * identity_link works in four phases, one file each:
 *	 identity_rules.c	rules per identifier type, normalisation, junk blocking
 *	 identity_graph.c	hash table of identifiers + union-find with rule limits
 *	 identity_link.c		read the batch, run the union, assign person ids
 *	 identity_lookup.c	known identifiers and the counts of touched persons
 *	 identity_write.c	bulk writes of identifiers, merges and refusals
 *	 identity_acl.c		the caller's privileges on the identity tables
 */
#ifndef QUANYU_IDENTITY_H
#define QUANYU_IDENTITY_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "regex/regex.h"
#include "utils/acl.h"

/* Advisory lock (two int4 keys) that serialises every change of the graph. */
#define IDENTITY_LOCK_KEY1 1364283737	/* "QYID" */
#define IDENTITY_LOCK_KEY2 1

typedef enum IdentityNormalizer
{
	IDENTITY_NORM_TRIM,
	IDENTITY_NORM_PHONE,
	IDENTITY_NORM_EMAIL,
	IDENTITY_NORM_NONE
} IdentityNormalizer;

/* The effective rule of one identifier type. */
typedef struct IdentityRule
{
	char	   *id_type;
	int			id_type_len;
	IdentityNormalizer normalizer;
	int			nblocked;
	char	  **blocked;		/* lower-case blocked values */
	text	   *pattern;		/* blocked pattern (case-insensitive), or NULL */
	regex_t    *re;				/* pattern compiled on first use, or NULL */
	int			max_per_person; /* 0 = no limit */
	int			priority;
	int			limit_slot;		/* index among limited types, or -1 */
} IdentityRule;

/* All rules; types met that have no rule get a copy of the '*' rule. */
typedef struct IdentityRules
{
	MemoryContext cxt;
	int			nrules;
	int			cap;
	IdentityRule *rules;
	int			deflt;			/* index of the '*' rule */
	int			nlimited;
	int			last;			/* last type looked up (rows repeat types) */
	pg_wchar   *wbuf;			/* value as wide chars, for the regex */
	int			wbuf_cap;
} IdentityRules;

/* identity_rules.c */
extern IdentityRules *identity_rules_load(MemoryContext cxt, bool read_only);
extern int	identity_rules_type(IdentityRules *rules, const char *id_type, int len);
extern void identity_normalize_into(IdentityRules *rules, int rule, const char *value,
									int len, StringInfo out);
extern bool identity_normalize_value(IdentityRules *rules, int rule, const char *value,
									 int len, StringInfo out);
extern bool identity_value_blocked(IdentityRules *rules, int rule, const char *value, int len);
extern IdentityRules *identity_rules_cached(FunctionCallInfo fcinfo, bool read_only);
extern IdentityRules *identity_rules_current(void);

/* The identifier graph of one batch. */
typedef struct IdentityGraph
{
	MemoryContext cxt;
	int			nslots;			/* limited types (counts kept per component) */
	/* nodes: one per distinct (type, normalised value) */
	uint32		nnodes;
	uint32		cap;
	uint32	   *hash;
	int32	   *type;
	uint64	   *off;
	uint32	   *len;
	uint8	   *flags;
	TimestampTz *first_seen;
	TimestampTz *last_seen;
	uint32	   *parent;			/* union-find */
	int64	   *person;			/* existing person (node), component person (root) */
	int32	   *counts;			/* nslots per node; valid at roots */
	/* open-addressing table of node index + 1 */
	uint32	   *table;
	uint64		table_mask;
	/* the normalised values, back to back */
	char	   *arena;
	uint64		arena_len;
	uint64		arena_cap;
} IdentityGraph;

#define IDENTITY_NODE_BLOCKED	0x01
#define IDENTITY_NODE_EXISTING	0x02

/* identity_graph.c */
extern IdentityGraph *identity_graph_create(MemoryContext parent);
extern uint32 identity_graph_intern(IdentityGraph *g, int32 type, const char *value, int len,
									bool *is_new);
extern void identity_graph_seen(IdentityGraph *g, uint32 node, TimestampTz seen);
extern void identity_graph_init_union(IdentityGraph *g, IdentityRules *rules);
extern uint32 identity_graph_find(IdentityGraph *g, uint32 node);
extern uint32 identity_graph_join(IdentityGraph *g, uint32 ra, uint32 rb);
extern int	identity_graph_limit_broken(IdentityGraph *g, IdentityRules *rules, uint32 ra, uint32 rb);

#define IDENTITY_NODE_VALUE(g, i) ((g)->arena + (g)->off[i])

/* A merge of an existing person into an older one, and the pair that caused it. */
typedef struct IdentityMergeRec
{
	int64		loser;
	uint32		edge;
} IdentityMergeRec;

/* A pair not applied because of a rule, with the reason. */
typedef struct IdentityRefusalRec
{
	uint32		edge;
	char	   *reason;
} IdentityRefusalRec;

/* The state of one identity_link call. */
typedef struct IdentityLink
{
	IdentityRules *rules;
	IdentityGraph *g;
	MemoryContext cxt;
	TimestampTz now;			/* seen time of rows without seen_at */
	/* pairs, in input order */
	uint32	   *edge_a;
	uint32	   *edge_b;
	uint64		nedges;
	uint64		edge_cap;
	/* results of the union */
	IdentityMergeRec *merges;
	uint64		nmerges;
	uint64		merge_cap;
	IdentityRefusalRec *refusals;
	uint64		nrefusals;
	uint64		refusal_cap;
	int64		next_person;
	bool		any_existing;
	bool		table_was_empty;	/* identity_identifier had no rows */
	/* counts returned to the caller */
	int64		pairs_read;
	int64		identifiers_new;
	int64		persons_new;
	int64		values_blocked;
	/* progress NOTICEs */
	TimestampTz last_notice;
	TimestampTz phase_start;	/* for DEBUG1 phase timings */
} IdentityLink;

/* identity_link.c */
extern void identity_progress(IdentityLink *link, bool force, const char *fmt,...) pg_attribute_printf(3, 4);
extern void identity_lock(void);
extern void identity_phase_done(IdentityLink *link, const char *phase);

/* identity_lookup.c */
extern void identity_lookup_existing(IdentityLink *link);
extern void identity_prepare_existing(IdentityLink *link);

/* identity_write.c */
extern void identity_write_all(IdentityLink *link);

/* identity_acl.c */
extern Oid	identity_table_oid(const char *name);
extern void identity_check_table(Oid relid, AclMode mode);
extern bool identity_owns_table(Oid relid);

#endif							/* QUANYU_IDENTITY_H */
