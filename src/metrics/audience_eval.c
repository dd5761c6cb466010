/*
 * audience_eval.c
 *	  Segment expressions: 'vip & (wecom | "group") - churned' evaluated
 *	  against named audiences.
 *
 * Grammar: SQL's own precedence and associativity for these operators,
 * so a segment expression means what the same text means in a SELECT over
 * audiences.  In PostgreSQL '-' has its own level (additive), tighter than
 * "any other operator", where '&', '|' and '#' share one level; both levels
 * are left-associative.  So 'a | b - c' is 'a | (b - c)' and 'a | b & c' is
 * '(a | b) & c'.  '^' is a 0.1.0 alias of '#' (symmetric difference) at the
 * same level; SQL has no '^' on audiences.
 *	 expr   := term (('&' | '|' | '#' | '^') term)*
 *	 term   := factor ('-' factor)*
 *	 factor := name | '(' expr ')'
 *	 name   := [A-Za-z0-9_ or any non-ASCII character]+ | '"' ('""' | any but '"')* '"'
 *
 * The whole text is parsed and every name resolved before any set is
 * computed, so errors (which give the 1-based character position) cost
 * nothing, and the table form reads only the rows it needs.
 *
 * Bounds, since the text is untrusted: at most SEG_MAX_LENGTH bytes and
 * SEG_MAX_DEPTH nested parentheses.  Chains of operators are parsed and
 * evaluated in loops, so only parentheses (and a '-' chain as the right
 * operand of another operator, one level each) make the recursion deeper,
 * and an evaluation keeps at most two intermediate sets per open
 * parenthesis level.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "audience/audience.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/sql_safety.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "metrics/metrics_util.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

/* The longest expression text, in bytes. */
#define SEG_MAX_LENGTH (1024 * 1024)
/* The deepest nesting of parentheses. */
#define SEG_MAX_DEPTH 1000
/* How much of the expression error hints quote, in bytes. */
#define SEG_HINT_LENGTH 200

/* A node of the parsed expression: an operator or a name. */
typedef struct SegNode
{
	char		op;				/* '&', '|', '-', '#', or 0 for a name */
	struct SegNode *left;
	struct SegNode *right;
	char	   *name;
	int			offset;			/* byte offset in the text, for errors */
	int			slot;			/* index of the resolved audience */
} SegNode;

typedef struct SegParser
{
	const char *text;
	int			pos;			/* byte offset of the next token */
	int			depth;			/* parentheses open at pos */
	List	   *names;			/* every name node in text order, for resolution */
} SegParser;

/* A distinct name of the expression, with its first node in text order. */
typedef struct SegName
{
	const char *name;
	SegNode    *first;
} SegName;

/* The 1-based character position of a byte offset. */
static int
seg_position(const char *text, int offset)
{
	return pg_mbstrlen_with_len(text, offset) + 1;
}

/* The expression for error hints: its first SEG_HINT_LENGTH bytes at most. */
static char *
seg_hint_text(const char *text)
{
	int			len = strlen(text);
	int			cut;

	if (len <= SEG_HINT_LENGTH)
		return pstrdup(text);
	cut = pg_mbcliplen(text, len, SEG_HINT_LENGTH);
	return psprintf("%.*s...", cut, text);
}

/* Raise a syntax error at a byte offset. */
static void
seg_syntax_error(SegParser *p, int offset, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("syntax error in segment expression at position %d",
					seg_position(p->text, offset)),
			 errdetail("%s", detail),
			 errhint("Expression: %s", seg_hint_text(p->text))));
}

/* Skip white space. */
static void
seg_skip_space(SegParser *p)
{
	while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' ||
		   p->text[p->pos] == '\n' || p->text[p->pos] == '\r')
		p->pos++;
}

/* Can this byte be part of a bare name? */
static inline bool
seg_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

/* Describe the token at the current position, for error details. */
static char *
seg_describe_token(SegParser *p)
{
	if (p->text[p->pos] == '\0')
		return pstrdup("the end of the expression");
	return psprintf("\"%.*s\"", pg_mblen(p->text + p->pos), p->text + p->pos);
}

static SegNode *seg_parse_expr(SegParser *p);

/* A name, bare or double-quoted. */
static SegNode *
seg_parse_name(SegParser *p)
{
	SegNode    *node = palloc0(sizeof(SegNode));
	StringInfoData buf;

	node->offset = p->pos;
	initStringInfo(&buf);
	if (p->text[p->pos] == '"')
	{
		p->pos++;
		for (;;)
		{
			if (p->text[p->pos] == '\0')
				seg_syntax_error(p, node->offset, "The quoted name is not closed.");
			if (p->text[p->pos] == '"')
			{
				if (p->text[p->pos + 1] != '"')
					break;
				p->pos++;
			}
			appendStringInfoChar(&buf, p->text[p->pos++]);
		}
		p->pos++;
		if (buf.len == 0)
			seg_syntax_error(p, node->offset, "A quoted name must not be empty.");
	}
	else
	{
		while (seg_name_char((unsigned char) p->text[p->pos]))
			appendStringInfoChar(&buf, p->text[p->pos++]);
	}
	node->name = buf.data;
	p->names = lappend(p->names, node);
	return node;
}

/* factor := name | '(' expr ')' */
static SegNode *
seg_parse_factor(SegParser *p)
{
	SegNode    *node;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	seg_skip_space(p);
	if (p->text[p->pos] == '(')
	{
		int			open = p->pos;

		if (++p->depth > SEG_MAX_DEPTH)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("segment expression nested too deeply at position %d",
							seg_position(p->text, open)),
					 errdetail("At most %d levels of parentheses are allowed.", SEG_MAX_DEPTH)));
		p->pos++;
		node = seg_parse_expr(p);
		seg_skip_space(p);
		if (p->text[p->pos] != ')')
		{
			if (p->text[p->pos] == '\0')
				seg_syntax_error(p, open, "The parenthesis is not closed.");
			seg_syntax_error(p, p->pos, psprintf("Expected an operator or \")\" but found %s.",
												 seg_describe_token(p)));
		}
		p->pos++;
		p->depth--;
		return node;
	}
	if (p->text[p->pos] == '"' || seg_name_char((unsigned char) p->text[p->pos]))
		return seg_parse_name(p);
	seg_syntax_error(p, p->pos, psprintf("Expected a name or \"(\" but found %s.",
										 seg_describe_token(p)));
	return NULL;				/* not reached */
}

/* A binary node. */
static SegNode *
seg_binary(char op, SegNode *left, SegNode *right, int offset)
{
	SegNode    *node = palloc0(sizeof(SegNode));

	node->op = op;
	node->left = left;
	node->right = right;
	node->offset = offset;
	return node;
}

/* term := factor ('-' factor)*: SQL's additive level, tighter than the others. */
static SegNode *
seg_parse_term(SegParser *p)
{
	SegNode    *node = seg_parse_factor(p);

	for (;;)
	{
		int			offset;

		seg_skip_space(p);
		if (p->text[p->pos] != '-')
			return node;
		offset = p->pos++;
		node = seg_binary('-', node, seg_parse_factor(p), offset);
	}
}

/*
 * expr := term (('&' | '|' | '#' | '^') term)*: SQL's level of "any other
 * operator", left to right.  '^' is stored as '#'.
 */
static SegNode *
seg_parse_expr(SegParser *p)
{
	SegNode    *node = seg_parse_term(p);

	for (;;)
	{
		char		op;
		int			offset;

		seg_skip_space(p);
		op = p->text[p->pos];
		if (op != '&' && op != '|' && op != '#' && op != '^')
			return node;
		offset = p->pos++;
		node = seg_binary(op == '^' ? '#' : op, node, seg_parse_term(p), offset);
	}
}

/* Parse a whole expression; the parser keeps the list of name nodes. */
static SegNode *
seg_parse(SegParser *p, const char *text)
{
	SegNode    *root;
	Size		len = strlen(text);

	if (len > SEG_MAX_LENGTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("segment expression too long: %zu bytes", len),
				 errdetail("At most %d bytes are allowed.", SEG_MAX_LENGTH)));
	p->text = text;
	p->pos = 0;
	p->depth = 0;
	p->names = NIL;
	seg_skip_space(p);
	if (p->text[p->pos] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("empty segment expression at position %d", seg_position(text, p->pos)),
				 errdetail("A segment expression needs at least one audience name.")));
	root = seg_parse_expr(p);
	seg_skip_space(p);
	if (p->text[p->pos] != '\0')
		seg_syntax_error(p, p->pos, psprintf("Expected an operator but found %s.",
											 seg_describe_token(p)));
	return root;
}

/* Raise the error for a name that matches no audience. */
static void
seg_unknown_name(SegParser *p, SegNode *node, const char *where)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("unknown audience \"%s\" at position %d of segment expression",
					node->name, seg_position(p->text, node->offset)),
			 errdetail("%s", where),
			 errhint("Expression: %s", seg_hint_text(p->text))));
}

/* One operation on two sets: a new malloc'd bitmap (NULL when out of memory). */
static roaring_bitmap_t *
seg_apply(char op, const roaring_bitmap_t *l, const roaring_bitmap_t *r)
{
	switch (op)
	{
		case '&':
			return roaring_bitmap_and(l, r);
		case '|':
			return roaring_bitmap_or(l, r);
		case '-':
			return roaring_bitmap_andnot(l, r);
		default:
			return roaring_bitmap_xor(l, r);
	}
}

/*
 * Evaluate a node into a new audience owned by the current memory context.
 * A chain of operators (the left spine of the tree) is walked in a loop
 * with one running result; only a right operand that is not a name (in
 * parentheses, or a '-' chain right of '&', '|' or '#') recurses, and its
 * result lives in a context deleted as soon as it has been used.
 */
static AudienceExpanded *
seg_eval(SegNode *node, const roaring_bitmap_t **slots)
{
	AudienceExpanded *acc = audience_expanded_new(CurrentMemoryContext);
	const roaring_bitmap_t *cur;
	SegNode   **spine;
	SegNode    *leaf;
	int			nops = 0;
	int			i;

	check_stack_depth();
	for (leaf = node; leaf->op != 0; leaf = leaf->left)
		nops++;
	cur = slots[leaf->slot];
	if (nops == 0)
	{
		audience_expanded_set_bitmap(acc, roaring_bitmap_copy(cur));
		return acc;
	}
	/* The operators from the innermost (leftmost) out. */
	spine = palloc(sizeof(SegNode *) * nops);
	i = nops;
	for (SegNode *op = node; op->op != 0; op = op->left)
		spine[--i] = op;
	for (i = 0; i < nops; i++)
	{
		SegNode    *right = spine[i]->right;

		CHECK_FOR_INTERRUPTS();
		if (right->op == 0)
			audience_expanded_set_bitmap(acc, seg_apply(spine[i]->op, cur, slots[right->slot]));
		else
		{
			/* A compound operand: freed (its context and bitmap) once used. */
			AudienceExpanded *r = seg_eval(right, slots);

			audience_expanded_set_bitmap(acc, seg_apply(spine[i]->op, cur, audience_expanded_bitmap(r)));
			DeleteExpandedObject(audience_expanded_datum(r));
		}
		/* set_bitmap freed the previous running result, if cur was it */
		cur = audience_expanded_bitmap(acc);
	}
	pfree(spine);
	return acc;
}

/* Evaluate the parsed expression and return the audience datum. */
static Datum
seg_result(SegNode *root, const roaring_bitmap_t **slots)
{
	return audience_expanded_datum(seg_eval(root, slots));
}

/* Raise an error for a NULL audience that the expression uses. */
static void
seg_null_audience(SegParser *p, SegNode *node)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("audience \"%s\" at position %d of segment expression is null",
					node->name, seg_position(p->text, node->offset))));
}

/* qsort comparator of C strings through pointers to them. */
static int
seg_cstring_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* qsort comparator of name nodes: by name, then by position in the text. */
static int
seg_node_cmp(const void *a, const void *b)
{
	const SegNode *x = *(SegNode *const *) a;
	const SegNode *y = *(SegNode *const *) b;
	int			c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return (x->offset > y->offset) - (x->offset < y->offset);
}

/*
 * The distinct names of the expression, sorted, each with its first node
 * in the text; every name node's slot is set to its name's index.  Sorting
 * keeps resolution O(n log n) for expressions of many names.
 */
static SegName *
seg_distinct_names(SegParser *p, int *nnames)
{
	int			nnodes = list_length(p->names);
	SegNode   **nodes = palloc(sizeof(SegNode *) * Max(nnodes, 1));
	SegName    *names = palloc(sizeof(SegName) * Max(nnodes, 1));
	int			n = 0;
	int			i = 0;
	ListCell   *lc;

	foreach(lc, p->names)
		nodes[i++] = (SegNode *) lfirst(lc);
	qsort(nodes, nnodes, sizeof(SegNode *), seg_node_cmp);
	for (i = 0; i < nnodes; i++)
	{
		if (n == 0 || strcmp(names[n - 1].name, nodes[i]->name) != 0)
		{
			names[n].name = nodes[i]->name;
			names[n].first = nodes[i];
			n++;
		}
		nodes[i]->slot = n - 1;
	}
	pfree(nodes);
	*nnames = n;
	return names;
}

/* The index of name among the sorted distinct names, or -1. */
static int
seg_find_name(const SegName *names, int n, const char *name)
{
	int			lo = 0;
	int			hi = n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = strcmp(name, names[mid].name);

		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

/* The distinct name whose first node comes first in the text among those not found. */
static SegNode *
seg_first_missing(const SegName *names, int n, const bool *found)
{
	SegNode    *first = NULL;

	for (int i = 0; i < n; i++)
		if (!found[i] && (first == NULL || names[i].first->offset < first->offset))
			first = names[i].first;
	return first;
}

PG_FUNCTION_INFO_V1(audience_eval);
/* audience_eval(expr, names, audiences) */
Datum
audience_eval(PG_FUNCTION_ARGS)
{
	char	   *expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ArrayType  *names_arr = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *auds_arr = PG_GETARG_ARRAYTYPE_P(2);
	Datum	   *names;
	bool	   *name_nulls;
	int			nnames;
	Datum	   *auds;
	bool	   *aud_nulls;
	int			nauds;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	SegParser	p;
	SegNode    *root = seg_parse(&p, expr);
	SegName    *used;
	int			nused;
	char	  **given;
	int		   *given_index;
	const roaring_bitmap_t **slots;
	bool	   *found;

	if (ARR_NDIM(names_arr) > 1 || ARR_NDIM(auds_arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("audience_eval names and audiences must be one-dimensional arrays")));
	deconstruct_array(names_arr, TEXTOID, -1, false, TYPALIGN_INT, &names, &name_nulls, &nnames);
	get_typlenbyvalalign(ARR_ELEMTYPE(auds_arr), &typlen, &typbyval, &typalign);
	deconstruct_array(auds_arr, ARR_ELEMTYPE(auds_arr), typlen, typbyval, typalign,
					  &auds, &aud_nulls, &nauds);
	if (nnames != nauds)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("audience_eval got %d names and %d audiences", nnames, nauds),
				 errdetail("Each name labels the audience at the same position.")));

	/*
	 * The given names as C strings, each followed by its 0-based position
	 * (a pointer to the string is also a pointer into given[]), sorted to
	 * find duplicates and to look names up.
	 */
	given = palloc(sizeof(char *) * Max(nnames, 1));
	for (int i = 0; i < nnames; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (name_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("element %d of audience_eval names is null", i + 1)));
		given[i] = TextDatumGetCString(names[i]);
	}
	{
		char	  **sorted = palloc(sizeof(char *) * Max(nnames, 1));

		memcpy(sorted, given, sizeof(char *) * nnames);
		qsort(sorted, nnames, sizeof(char *), seg_cstring_cmp);
		for (int i = 1; i < nnames; i++)
			if (strcmp(sorted[i - 1], sorted[i]) == 0)
			{
				int			first = -1;
				int			second = -1;

				for (int j = 0; j < nnames; j++)
					if (strcmp(given[j], sorted[i]) == 0)
					{
						if (first < 0)
							first = j;
						else if (second < 0)
							second = j;
					}
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("duplicate audience name \"%s\" in audience_eval names", sorted[i]),
						 errdetail("Elements %d and %d have the same name.", first + 1, second + 1)));
			}
		pfree(sorted);
	}
	used = seg_distinct_names(&p, &nused);
	slots = palloc0(sizeof(roaring_bitmap_t *) * nused);
	found = palloc0(sizeof(bool) * nused);
	given_index = palloc(sizeof(int) * nused);
	/* Each given name: is it used, and where. */
	for (int i = 0; i < nnames; i++)
	{
		int			u = seg_find_name(used, nused, given[i]);

		CHECK_FOR_INTERRUPTS();
		if (u >= 0)
		{
			found[u] = true;
			given_index[u] = i;
		}
	}
	{
		SegNode    *missing = seg_first_missing(used, nused, found);

		if (missing != NULL)
			seg_unknown_name(&p, missing, "The name is not among the names given.");
	}
	/* NULL audiences, reported in text order; then the sets, decoded once each. */
	{
		ListCell   *lc;

		foreach(lc, p.names)
		{
			SegNode    *node = (SegNode *) lfirst(lc);

			if (aud_nulls[given_index[node->slot]])
				seg_null_audience(&p, node);
		}
	}
	for (int u = 0; u < nused; u++)
	{
		CHECK_FOR_INTERRUPTS();
		slots[u] = audience_datum_bitmap(auds[given_index[u]]);
	}
	PG_RETURN_DATUM(seg_result(root, slots));
}

/* Raise the error for a column of the source that is missing or of the wrong type. */
static void
seg_bad_column(const char *relname, const char *column, Oid type, const char *expected)
{
	if (!OidIsValid(type))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation %s does not exist", column, relname),
				 errdetail("audience_eval reads a table or view with columns name (text) and members (audience).")));
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" of relation %s has type %s, not %s",
					column, relname, format_type_be(type), expected),
			 errdetail("audience_eval reads a table or view with columns name (text) and members (audience).")));
}

/* The type of a live column, or InvalidOid when there is none of that name. */
static Oid
seg_column_type(Oid relid, const char *column, AttrNumber *attnum)
{
	*attnum = get_attnum(relid, column);
	if (*attnum == InvalidAttrNumber || *attnum < 0)
		return InvalidOid;
	return get_atttype(relid, *attnum);
}

/*
 * Check the source relation before reading it: it exists, the caller may
 * read its name and members columns (checked again by the query itself,
 * which runs as the caller; checking first means no lock is taken on a
 * relation the caller cannot read), and, under that lock, the columns have
 * the right types: a string type for name, our audience type (or a domain
 * over it) for members.  Sets *members_type to the column's declared type.
 */
static void
seg_check_source(FunctionCallInfo fcinfo, Oid relid, const char *relname, Oid *members_type)
{
	char		relkind = get_rel_relkind(relid);
	Oid			audience_type = get_func_rettype(fcinfo->flinfo->fn_oid);
	AttrNumber	name_att;
	AttrNumber	members_att;
	Oid			name_type;
	char		category;
	bool		preferred;

	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW && relkind != RELKIND_MATVIEW &&
		relkind != RELKIND_FOREIGN_TABLE && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("audience_eval cannot read %s", relname),
				 errdetail("The source must be a table, view, materialized view or foreign table.")));
	name_att = get_attnum(relid, "name");
	members_att = get_attnum(relid, "members");
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		(name_att <= 0 || members_att <= 0 ||
		 pg_attribute_aclcheck(relid, name_att, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
		 pg_attribute_aclcheck(relid, members_att, GetUserId(), ACL_SELECT) != ACLCHECK_OK))
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(relkind), get_rel_name(relid));

	/* Under the lock the query will take anyway, the columns cannot change. */
	LockRelationOid(relid, AccessShareLock);
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation %s was dropped", relname)));
	name_type = seg_column_type(relid, "name", &name_att);
	if (!OidIsValid(name_type))
		seg_bad_column(relname, "name", InvalidOid, "text");
	get_type_category_preferred(getBaseType(name_type), &category, &preferred);
	if (category != TYPCATEGORY_STRING)
		seg_bad_column(relname, "name", name_type, "a string type such as text");
	*members_type = seg_column_type(relid, "members", &members_att);
	if (!OidIsValid(*members_type))
		seg_bad_column(relname, "members", InvalidOid, "audience");
	if (getBaseType(*members_type) != audience_type)
		seg_bad_column(relname, "members", *members_type, format_type_be_qualified(audience_type));
}

PG_FUNCTION_INFO_V1(audience_eval_table);
/*
 * audience_eval(expr, source): the names come from the rows of a table or
 * view with columns name text and members audience; only the names the
 * expression uses are read.  The query is built from the relation's schema
 * and name (never its search_path-dependent text), names every object with
 * its schema, runs as the caller (so the caller's privileges and row
 * security apply) under a pinned search_path, and reads at most one row
 * more than there are names, which is enough to see a repeated name.
 */
Datum
audience_eval_table(PG_FUNCTION_ARGS)
{
	char	   *expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			relid = PG_GETARG_OID(1);
	SegParser	p;
	SegNode    *root = seg_parse(&p, expr);
	int			nnames;
	SegName    *names = seg_distinct_names(&p, &nnames);
	Datum	   *wanted = palloc(sizeof(Datum) * nnames);
	const roaring_bitmap_t **slots = palloc0(sizeof(roaring_bitmap_t *) * nnames);
	bool	   *found = palloc0(sizeof(bool) * nnames);
	MemoryContext callercxt = CurrentMemoryContext;
	char	   *relname = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)));
	char	   *nspname;
	char	   *relbase;
	Oid			members_type;
	char	   *query;
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1];
	int			nestlevel;
	int			rc;
	SegNode    *missing;

	seg_check_source(fcinfo, relid, relname, &members_type);
	nspname = get_namespace_name(get_rel_namespace(relid));
	relbase = get_rel_name(relid);
	if (nspname == NULL || relbase == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation %s was dropped", relname)));
	for (int i = 0; i < nnames; i++)
		wanted[i] = CStringGetTextDatum(names[i].name);
	args[0] = PointerGetDatum(construct_array(wanted, nnames, TEXTOID, -1, false, TYPALIGN_INT));
	query = psprintf("SELECT s.\"name\"::pg_catalog.text, s.\"members\" FROM %s AS s "
					 "WHERE s.\"name\"::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1)",
					 quote_qualified_identifier(nspname, relbase));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "audience_eval could not connect to SPI");
	nestlevel = qy_pin_search_path();
	rc = SPI_execute_with_args(query, 1, argtypes, args, NULL, true, (long) nnames + 1);
	qy_unpin_search_path(nestlevel);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "audience_eval could not read %s: %s", relname, SPI_result_code_string(rc));
	if (SPI_tuptable->tupdesc->natts != 2 ||
		SPI_gettypeid(SPI_tuptable->tupdesc, 1) != TEXTOID ||
		SPI_gettypeid(SPI_tuptable->tupdesc, 2) != members_type)
		elog(ERROR, "audience_eval read unexpected columns from %s", relname);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		name_datum = SPI_getbinval(tuple, desc, 1, &isnull);
		char	   *name;
		Datum		members;
		int			u;

		CHECK_FOR_INTERRUPTS();
		if (isnull)
			continue;			/* not reached: NULL = ANY (...) is never true */
		name = TextDatumGetCString(name_datum);
		members = SPI_getbinval(tuple, desc, 2, &isnull);
		u = seg_find_name(names, nnames, name);
		if (u < 0)
			continue;			/* not reached: the query asks for these names only */
		if (found[u])
			ereport(ERROR,
					(errcode(ERRCODE_CARDINALITY_VIOLATION),
					 errmsg("audience \"%s\" appears more than once in %s", name, relname),
					 errdetail("Each name must label one row.")));
		if (isnull)
			seg_null_audience(&p, names[u].first);
		found[u] = true;
		slots[u] = audience_expanded_bitmap(audience_expand(members, callercxt));
	}
	SPI_finish();
	missing = seg_first_missing(names, nnames, found);
	if (missing != NULL)
		seg_unknown_name(&p, missing, psprintf("No row of %s has this name.", relname));
	PG_RETURN_DATUM(seg_result(root, slots));
}

PG_FUNCTION_INFO_V1(audience_eval_names);
/*
 * audience_eval_names(expr): the distinct audience names a segment
 * expression uses, sorted (byte order), after the same parse as
 * audience_eval; segments use it to find what a rule depends on.
 */
Datum
audience_eval_names(PG_FUNCTION_ARGS)
{
	char	   *expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SegParser	p;
	int			nnames;
	SegName    *names;
	Datum	   *elems;

	(void) seg_parse(&p, expr);
	names = seg_distinct_names(&p, &nnames);
	elems = palloc(sizeof(Datum) * Max(nnames, 1));
	for (int i = 0; i < nnames; i++)
		elems[i] = CStringGetTextDatum(names[i].name);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, nnames, TEXTOID, -1, false, TYPALIGN_INT));
}
