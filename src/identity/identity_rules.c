/*
 * identity_rules.c
 *	  Rules per identifier type: normalisation and blocking of junk values.
 */
#include "postgres.h"

#include "catalog/pg_collation_d.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "regex/regex.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "access/xact.h"
#include "storage/proc.h"
#include "commands/trigger.h"
#include "utils/acl.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"

#include "common/sql_safety.h"
#include "identity/identity.h"

/* Parse the normalizer name stored in identity_rule. */
static IdentityNormalizer
identity_normalizer_parse(const char *name)
{
	if (strcmp(name, "phone") == 0)
		return IDENTITY_NORM_PHONE;
	if (strcmp(name, "email") == 0)
		return IDENTITY_NORM_EMAIL;
	if (strcmp(name, "none") == 0)
		return IDENTITY_NORM_NONE;
	return IDENTITY_NORM_TRIM;
}

/* Lower-case ASCII letters in place. */
static void
identity_ascii_lower(char *s, int len)
{
	for (int i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] += 'a' - 'A';
}

/* Append a slot for a new rule and return its index. */
static int
identity_rules_append(IdentityRules *rules)
{
	if (rules->nrules == rules->cap)
	{
		rules->cap *= 2;
		rules->rules = repalloc(rules->rules, rules->cap * sizeof(IdentityRule));
	}
	memset(&rules->rules[rules->nrules], 0, sizeof(IdentityRule));
	return rules->nrules++;
}

/* Fill one rule from a row of the identity_rules view. */
static void
identity_rule_from_row(IdentityRules *rules, IdentityRule *r, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	Datum		d;
	MemoryContext old = MemoryContextSwitchTo(rules->cxt);

	r->id_type = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
	r->id_type_len = strlen(r->id_type);
	r->normalizer = identity_normalizer_parse(TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull)));
	d = SPI_getbinval(tup, desc, 3, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, &nulls, &n);
		r->blocked = palloc(sizeof(char *) * Max(n, 1));
		for (int i = 0; i < n; i++)
			if (!nulls[i])
			{
				char	   *v = TextDatumGetCString(elems[i]);

				identity_ascii_lower(v, strlen(v));
				r->blocked[r->nblocked++] = v;
			}
	}
	d = SPI_getbinval(tup, desc, 4, &isnull);
	r->pattern = isnull ? NULL : DatumGetTextPCopy(d);
	d = SPI_getbinval(tup, desc, 5, &isnull);
	r->max_per_person = isnull ? 0 : DatumGetInt32(d);
	r->priority = DatumGetInt32(SPI_getbinval(tup, desc, 6, &isnull));
	r->limit_slot = r->max_per_person > 0 ? rules->nlimited++ : -1;
	MemoryContextSwitchTo(old);
}

/*
 * Read the effective rules (identity_rules view) into memory under cxt.
 * Writers pass read_only = false so they see rules committed while they
 * waited for the identity lock.
 */
IdentityRules *
identity_rules_load(MemoryContext cxt, bool read_only)
{
	IdentityRules *rules = MemoryContextAllocZero(cxt, sizeof(IdentityRules));
	int			nestlevel;

	rules->cxt = cxt;
	rules->cap = 16;
	rules->rules = MemoryContextAlloc(cxt, rules->cap * sizeof(IdentityRule));
	rules->deflt = -1;
	SPI_connect();
	nestlevel = qy_pin_search_path();
	if (SPI_execute("SELECT r.id_type, r.normalizer, r.blocked_values, r.blocked_pattern, "
					"r.max_per_person, r.priority FROM quanyu.identity_rules r "
					"ORDER BY r.id_type COLLATE pg_catalog.\"C\"",
					read_only, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read identity_rules");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		int			k = identity_rules_append(rules);

		identity_rule_from_row(rules, &rules->rules[k], SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
		if (strcmp(rules->rules[k].id_type, "*") == 0)
			rules->deflt = k;
	}
	qy_unpin_search_path(nestlevel);
	SPI_finish();
	if (rules->deflt < 0)
	{
		/* Somebody deleted the built-in '*' row through a user row: trim only. */
		int			k = identity_rules_append(rules);

		rules->rules[k].id_type = MemoryContextStrdup(cxt, "*");
		rules->rules[k].id_type_len = 1;
		rules->rules[k].priority = 50;
		rules->rules[k].limit_slot = -1;
		rules->deflt = k;
	}
	rules->last = rules->deflt;
	return rules;
}

/* Index of the rule for a type; a type without a rule gets a copy of '*'. */
int
identity_rules_type(IdentityRules *rules, const char *id_type, int len)
{
	IdentityRule *r = &rules->rules[rules->last];
	int			k;

	if (r->id_type_len == len && memcmp(r->id_type, id_type, len) == 0)
		return rules->last;
	for (k = 0; k < rules->nrules; k++)
	{
		r = &rules->rules[k];
		if (r->id_type_len == len && memcmp(r->id_type, id_type, len) == 0)
			return rules->last = k;
	}
	k = identity_rules_append(rules);
	rules->rules[k] = rules->rules[rules->deflt];
	rules->rules[k].id_type = MemoryContextAlloc(rules->cxt, len + 1);
	memcpy(rules->rules[k].id_type, id_type, len);
	rules->rules[k].id_type[len] = '\0';
	rules->rules[k].id_type_len = len;
	/* Only the '*' row's limits and normaliser carry over; its junk list is checked anyway. */
	rules->rules[k].nblocked = 0;
	rules->rules[k].pattern = NULL;
	rules->rules[k].re = NULL;
	if (rules->rules[k].max_per_person > 0)
		rules->rules[k].limit_slot = rules->nlimited++;
	return rules->last = k;
}

/* Is c an ASCII blank that trimming removes? */
static inline bool
identity_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Phone: digits only; drop a leading 0086 (15 digits) or 86 (13 digits). */
static void
identity_normalize_phone(const char *value, int len, StringInfo out)
{
	int			start = out->len;

	for (int i = 0; i < len; i++)
		if (value[i] >= '0' && value[i] <= '9')
			appendStringInfoChar(out, value[i]);
	if (out->len - start == 15 && memcmp(out->data + start, "0086", 4) == 0)
	{
		memmove(out->data + start, out->data + start + 4, 11);
		out->len -= 4;
	}
	else if (out->len - start == 13 && memcmp(out->data + start, "86", 2) == 0)
	{
		memmove(out->data + start, out->data + start + 2, 11);
		out->len -= 2;
	}
	out->data[out->len] = '\0';
}

/* Free a compiled pattern (its internals are malloc'd) when the rules go. */
static void
identity_regex_free(void *arg)
{
	pg_regfree((regex_t *) arg);
}

/*
 * Compile a rule's pattern once for the life of the rules.  Compiling our
 * own copy (not RE_compile_and_cache) skips a cache search and a text copy
 * per value, which matters at ten million values.
 */
static regex_t *
identity_regex_compile(IdentityRules *rules, IdentityRule *r)
{
	int			plen = VARSIZE_ANY_EXHDR(r->pattern);
	pg_wchar   *wpat = palloc((plen + 1) * sizeof(pg_wchar));
	int			wlen = pg_mb2wchar_with_len(VARDATA_ANY(r->pattern), wpat, plen);
	regex_t    *re = MemoryContextAlloc(rules->cxt, sizeof(regex_t));
	MemoryContextCallback *cb = MemoryContextAlloc(rules->cxt, sizeof(MemoryContextCallback));
	int			rc = pg_regcomp(re, wpat, wlen, REG_ADVANCED | REG_ICASE, C_COLLATION_OID);

	pfree(wpat);
	if (rc != REG_OKAY)
	{
		char		msg[128];

		pg_regerror(rc, re, msg, sizeof(msg));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("invalid blocked_pattern for identifier type \"%s\": %s", r->id_type, msg),
				 errhint("Fix the pattern in quanyu.identity_rule.")));
	}
	cb->func = identity_regex_free;
	cb->arg = re;
	MemoryContextRegisterResetCallback(rules->cxt, cb);
	return re;
}

/* Does a value match a rule's pattern? */
static bool
identity_regex_match(IdentityRules *rules, IdentityRule *r, const char *value, int len)
{
	int			wlen;
	int			rc;

	if (r->re == NULL)
		r->re = identity_regex_compile(rules, r);
	if (rules->wbuf_cap < len + 1)
	{
		rules->wbuf_cap = Max(len + 1, 256);
		rules->wbuf = rules->wbuf ? repalloc(rules->wbuf, rules->wbuf_cap * sizeof(pg_wchar)) :
			MemoryContextAlloc(rules->cxt, rules->wbuf_cap * sizeof(pg_wchar));
	}
	wlen = pg_mb2wchar_with_len(value, rules->wbuf, len);
	rc = pg_regexec(r->re, rules->wbuf, wlen, 0, NULL, 0, NULL, 0);
	/* A match stopped by a cancel or timeout reports that, not a bad pattern. */
	if (rc == REG_CANCEL)
		CHECK_FOR_INTERRUPTS();
	if (rc != REG_OKAY && rc != REG_NOMATCH)
	{
		char		msg[128];

		pg_regerror(rc, r->re, msg, sizeof(msg));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("blocked_pattern of identifier type \"%s\" failed: %s", r->id_type, msg)));
	}
	return rc == REG_OKAY;
}

/* Does the value (already normalised) match one rule's junk list or pattern? */
static bool
identity_rule_blocks(IdentityRules *rules, IdentityRule *r, const char *value, int len)
{
	for (int i = 0; i < r->nblocked; i++)
		if (pg_strncasecmp(r->blocked[i], value, len) == 0 && r->blocked[i][len] == '\0')
			return true;
	return r->pattern != NULL && identity_regex_match(rules, r, value, len);
}

/* Is a normalised value blocked by its type's rule or by the '*' rule? */
bool
identity_value_blocked(IdentityRules *rules, int rule, const char *value, int len)
{
	return identity_rule_blocks(rules, &rules->rules[rule], value, len) ||
		(rule != rules->deflt && identity_rule_blocks(rules, &rules->rules[rules->deflt], value, len));
}

/* Normalise a value by its type's rule into out (reset first). */
void
identity_normalize_into(IdentityRules *rules, int rule, const char *value, int len,
						StringInfo out)
{
	const IdentityRule *r = &rules->rules[rule];

	resetStringInfo(out);
	if (r->normalizer == IDENTITY_NORM_PHONE)
		identity_normalize_phone(value, len, out);
	else if (r->normalizer == IDENTITY_NORM_NONE)
		appendBinaryStringInfo(out, value, len);
	else
	{
		while (len > 0 && identity_is_blank(*value))
			value++, len--;
		while (len > 0 && identity_is_blank(value[len - 1]))
			len--;
		appendBinaryStringInfo(out, value, len);
		if (r->normalizer == IDENTITY_NORM_EMAIL)
			identity_ascii_lower(out->data, out->len);
	}
}

/* Normalise into out; false when the result is blocked. */
bool
identity_normalize_value(IdentityRules *rules, int rule, const char *value, int len,
						 StringInfo out)
{
	identity_normalize_into(rules, rule, value, len, out);
	return !identity_value_blocked(rules, rule, out->data, out->len);
}

/*
 * Rules cached for the life of the calling expression (one statement, or
 * one transaction inside PL/pgSQL): rule changes apply to later statements.
 */
IdentityRules *
identity_rules_cached(FunctionCallInfo fcinfo, bool read_only)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = identity_rules_load(fcinfo->flinfo->fn_mcxt, read_only);
	return (IdentityRules *) fcinfo->flinfo->fn_extra;
}

/*
 * The rules identity_normalize and identity_person read.
 *
 * Outside parallel mode they are kept per backend, under CacheMemoryContext,
 * and loaded again after any change of identity_rule: a statement trigger on
 * identity_rule (identity_rule_changed) sends a relcache invalidation of the
 * table, which every backend receives (this one at the next command, others
 * once the change commits), and our relcache callback bumps a generation
 * counter.  The rules are loaded under the latest snapshot, so a change that
 * committed before the load is in it and one that commits after it sends its
 * invalidation after the load.  Callbacks only bump the counter: the rules
 * in use by a call are never freed under it.
 *
 * The invalidations are taken once per statement, and the rules found at
 * a statement's first call serve the whole statement.
 *
 * In parallel mode (no new snapshot may be taken) they are kept for one
 * statement of one role, under TopTransactionContext, as before 0.2.0.
 */
static MemoryContext identity_backend_rules_cxt = NULL;
static IdentityRules *identity_backend_rules = NULL;
static uint64 identity_backend_rules_gen = 0;	/* generation they were loaded at */
static uint64 identity_rules_gen = 1;	/* bumped by every invalidation */
static bool identity_rules_callback_set = false;
/* Which statement (or command) of which transaction is running. */
typedef struct StatementKey
{
	LocalTransactionId lxid;
	CommandId	cid;
	TimestampTz start;
} StatementKey;

/* the statement they were last checked for */
static StatementKey identity_backend_stmt = {InvalidLocalTransactionId, InvalidCommandId, 0};

static MemoryContext identity_stmt_rules_cxt = NULL;
static IdentityRules *identity_stmt_rules = NULL;
static StatementKey identity_stmt_key = {InvalidLocalTransactionId, InvalidCommandId, 0};
static Oid	identity_stmt_user = InvalidOid;

/* The key of the running statement. */
static StatementKey
statement_key_current(void)
{
	StatementKey key;

#if PG_VERSION_NUM >= 170000
	key.lxid = MyProc->vxid.lxid;
#else
	key.lxid = MyProc->lxid;
#endif
	key.cid = GetCurrentCommandId(false);
	key.start = GetCurrentStatementStartTimestamp();
	return key;
}

static inline bool
statement_key_equal(StatementKey a, StatementKey b)
{
	return a.lxid == b.lxid && a.cid == b.cid && a.start == b.start;
}

/*
 * Relcache callback: any invalidation of identity_rule (or of every
 * relation) makes the backend's rules stale.  Other relations are ignored
 * by OID: the OID of identity_rule is looked up at load time and a drop of
 * the table invalidates it too.
 */
static Oid	identity_rule_relid = InvalidOid;

static void
identity_rules_relcache_callback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == identity_rule_relid || !OidIsValid(identity_rule_relid))
		identity_rules_gen++;
}

/* The caller must hold SELECT on the identity_rules view. */
static Oid	identity_rules_view = InvalidOid;

static void
identity_rules_check_acl(Oid view)
{
	AclResult	aclresult = pg_class_aclcheck(view, GetUserId(), ACL_SELECT);

	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_VIEW, "identity_rules");
}

static IdentityRules *
identity_rules_for_statement(void)
{
	StatementKey key = statement_key_current();
	Oid			user = GetUserId();

	if (identity_stmt_rules != NULL && statement_key_equal(identity_stmt_key, key) &&
		identity_stmt_user == user)
		return identity_stmt_rules;
	/* A context of an earlier transaction was freed with it. */
	if (identity_stmt_rules_cxt != NULL && identity_stmt_key.lxid == key.lxid)
		MemoryContextDelete(identity_stmt_rules_cxt);
	identity_stmt_rules_cxt = NULL;
	identity_stmt_rules = NULL;
	identity_stmt_rules_cxt = AllocSetContextCreate(TopTransactionContext, "identity rules",
													ALLOCSET_SMALL_SIZES);
	identity_stmt_key.lxid = key.lxid;
	identity_stmt_rules = identity_rules_load(identity_stmt_rules_cxt, true);
	identity_stmt_key = key;
	identity_stmt_user = user;
	return identity_stmt_rules;
}

/*
 * The effective rules for a reader (identity_normalize, identity_person).
 * The caller must hold SELECT on the identity_rules view, as when the rules
 * were read through it on every statement.
 */
IdentityRules *
identity_rules_current(void)
{
	uint64		gen;
	MemoryContext volatile cxt;
	IdentityRules *volatile rules = NULL;

	if (IsInParallelMode())
	{
		identity_rules_check_acl(identity_table_oid("identity_rules"));
		return identity_rules_for_statement();
	}
	if (!identity_rules_callback_set)
	{
		CacheRegisterRelcacheCallback(identity_rules_relcache_callback, (Datum) 0);
		identity_rules_callback_set = true;
	}
	if (identity_backend_rules != NULL)
	{
		StatementKey key = statement_key_current();

		/*
		 * One statement sees one set of rules (the function is STABLE); a
		 * new statement (or command) first takes the invalidations other
		 * backends sent since, as a lock acquisition would.
		 */
		if (!statement_key_equal(key, identity_backend_stmt))
		{
			AcceptInvalidationMessages();
			identity_backend_stmt = key;
		}
		else
		{
			identity_rules_check_acl(identity_rules_view);
			return identity_backend_rules;
		}
		if (identity_backend_rules_gen == identity_rules_gen)
		{
			identity_rules_check_acl(identity_rules_view);
			return identity_backend_rules;
		}
	}
	else
		AcceptInvalidationMessages();

	gen = identity_rules_gen;
	identity_backend_rules = NULL;
	identity_rule_relid = identity_table_oid("identity_rule");
	identity_rules_view = identity_table_oid("identity_rules");
	identity_rules_check_acl(identity_rules_view);
	if (identity_backend_rules_cxt != NULL)
		MemoryContextDelete(identity_backend_rules_cxt);
	identity_backend_rules_cxt = NULL;
	cxt = AllocSetContextCreate(CacheMemoryContext, "identity rules (backend)",
								ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		PushActiveSnapshot(GetLatestSnapshot());
		rules = identity_rules_load(cxt, true);
		PopActiveSnapshot();
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	identity_backend_rules_cxt = cxt;
	identity_backend_rules = rules;
	identity_backend_rules_gen = gen;
	identity_backend_stmt = statement_key_current();
	return rules;
}

PG_FUNCTION_INFO_V1(identity_rule_changed);
/*
 * Statement trigger on identity_rule: tell every backend (this one at the
 * next command, the others at commit) that the cached rules are stale.
 */
Datum
identity_rule_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("identity_rule_changed() was not called by the trigger manager")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(identity_normalize);
/* identity_normalize(type, value): the stored form, or NULL when blocked */
Datum
identity_normalize(PG_FUNCTION_ARGS)
{
	IdentityRules *rules = identity_rules_current();
	text	   *type = PG_GETARG_TEXT_PP(0);
	text	   *value = PG_GETARG_TEXT_PP(1);
	StringInfoData out;
	int			rule = identity_rules_type(rules, VARDATA_ANY(type), VARSIZE_ANY_EXHDR(type));

	initStringInfo(&out);
	if (!identity_normalize_value(rules, rule, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), &out))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
