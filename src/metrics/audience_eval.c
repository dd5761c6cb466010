/*
 * audience_eval.c
 *	  Segment expressions: 'vip & (wecom | "group") - churned' evaluated
 *	  against named audiences.
 *
 * Grammar (& binds tighter than the others, which go left to right):
 *	 expr   := term (('|' | '-' | '^') term)*
 *	 term   := factor ('&' factor)*
 *	 factor := name | '(' expr ')'
 *	 name   := [A-Za-z0-9_ or any non-ASCII character]+ | '"' ('""' | any but '"')* '"'
 *
 * The whole text is parsed and every name resolved before any set is
 * computed, so errors (which give the 1-based character position) cost
 * nothing, and the table form reads only the rows it needs.
 */
#include "postgres.h"

#include "audience/audience.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "metrics/metrics_util.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

/* A node of the parsed expression: an operator or a name. */
typedef struct SegNode
{
	char		op;				/* '&', '|', '-', '^', or 0 for a name */
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
	List	   *names;			/* every name node, for resolution */
} SegParser;

/* The 1-based character position of a byte offset. */
static int
seg_position(const char *text, int offset)
{
	return pg_mbstrlen_with_len(text, offset) + 1;
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
			 errhint("Expression: %s", p->text)));
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
	seg_skip_space(p);
	if (p->text[p->pos] == '(')
	{
		int			open = p->pos;

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

/* term := factor ('&' factor)* */
static SegNode *
seg_parse_term(SegParser *p)
{
	SegNode    *node = seg_parse_factor(p);

	for (;;)
	{
		int			offset;

		seg_skip_space(p);
		if (p->text[p->pos] != '&')
			return node;
		offset = p->pos++;
		node = seg_binary('&', node, seg_parse_factor(p), offset);
	}
}

/* expr := term (('|' | '-' | '^') term)* */
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
		if (op != '|' && op != '-' && op != '^')
			return node;
		offset = p->pos++;
		node = seg_binary(op, node, seg_parse_term(p), offset);
	}
}

/* Parse a whole expression; the parser keeps the list of name nodes. */
static SegNode *
seg_parse(SegParser *p, const char *text)
{
	SegNode    *root;

	p->text = text;
	p->pos = 0;
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
			 errhint("Expression: %s", p->text)));
}

/* Evaluate a node; the result is owned by the current memory context or an input. */
static const roaring_bitmap_t *
seg_eval(SegNode *node, const roaring_bitmap_t **slots)
{
	const roaring_bitmap_t *l;
	const roaring_bitmap_t *r;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (node->op == 0)
		return slots[node->slot];
	l = seg_eval(node->left, slots);
	r = seg_eval(node->right, slots);
	switch (node->op)
	{
		case '&':
			return metrics_own(roaring_bitmap_and(l, r));
		case '|':
			return metrics_own(roaring_bitmap_or(l, r));
		case '-':
			return metrics_own(roaring_bitmap_andnot(l, r));
		default:
			return metrics_own(roaring_bitmap_xor(l, r));
	}
}

/* Evaluate the parsed expression and return the audience datum. */
static Datum
seg_result(SegNode *root, const roaring_bitmap_t **slots)
{
	const roaring_bitmap_t *result = seg_eval(root, slots);
	AudienceExpanded *ea = audience_expanded_new(CurrentMemoryContext);

	audience_expanded_set_bitmap(ea, roaring_bitmap_copy(result));
	return EOHPGetRWDatum(&ea->hdr);
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
	const roaring_bitmap_t **slots;
	ListCell   *lc;

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
	for (int i = 0; i < nnames; i++)
	{
		if (name_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("element %d of audience_eval names is null", i + 1)));
		for (int j = 0; j < i; j++)
			if (!name_nulls[j] && strcmp(TextDatumGetCString(names[i]), TextDatumGetCString(names[j])) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("duplicate audience name \"%s\" in audience_eval names",
								TextDatumGetCString(names[i])),
						 errdetail("Elements %d and %d have the same name.", j + 1, i + 1)));
	}
	slots = palloc0(sizeof(roaring_bitmap_t *) * Max(nnames, 1));
	foreach(lc, p.names)
	{
		SegNode    *node = (SegNode *) lfirst(lc);
		int			i;

		for (i = 0; i < nnames; i++)
			if (strcmp(node->name, TextDatumGetCString(names[i])) == 0)
				break;
		if (i == nnames)
			seg_unknown_name(&p, node, "The name is not among the names given.");
		if (aud_nulls[i])
			seg_null_audience(&p, node);
		if (slots[i] == NULL)
			slots[i] = audience_datum_bitmap(auds[i]);
		node->slot = i;
	}
	PG_RETURN_DATUM(seg_result(root, slots));
}

PG_FUNCTION_INFO_V1(audience_eval_table);
/*
 * audience_eval(expr, source): the names come from the rows of a table or
 * view with columns name text and members audience; only the names the
 * expression uses are read.
 */
Datum
audience_eval_table(PG_FUNCTION_ARGS)
{
	char	   *expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			relid = PG_GETARG_OID(1);
	SegParser	p;
	SegNode    *root = seg_parse(&p, expr);
	int			nnames = list_length(p.names);
	Datum	   *wanted = palloc(sizeof(Datum) * nnames);
	const roaring_bitmap_t **slots = palloc0(sizeof(roaring_bitmap_t *) * nnames);
	bool	   *found = palloc0(sizeof(bool) * nnames);
	MemoryContext callercxt = CurrentMemoryContext;
	char	   *relname = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)));
	char	   *query;
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1];
	int			i = 0;
	ListCell   *lc;

	foreach(lc, p.names)
		wanted[i++] = CStringGetTextDatum(((SegNode *) lfirst(lc))->name);
	args[0] = PointerGetDatum(construct_array(wanted, nnames, TEXTOID, -1, false, TYPALIGN_INT));
	query = psprintf("SELECT name::text, members FROM %s WHERE name::text = ANY($1)", relname);

	SPI_connect();
	if (SPI_execute_with_args(query, 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "audience_eval could not read %s", relname);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *name = SPI_getvalue(tuple, desc, 1);
		Datum		members = SPI_getbinval(tuple, desc, 2, &isnull);

		const roaring_bitmap_t *bitmap = NULL;

		/* Fill every name node with this name: names may repeat in the text. */
		i = 0;
		foreach(lc, p.names)
		{
			SegNode    *node = (SegNode *) lfirst(lc);

			if (strcmp(node->name, name) == 0)
			{
				if (found[i])
					ereport(ERROR,
							(errcode(ERRCODE_CARDINALITY_VIOLATION),
							 errmsg("audience \"%s\" appears more than once in %s", name, relname),
							 errdetail("Each name must label one row.")));
				if (isnull)
					seg_null_audience(&p, node);
				if (bitmap == NULL)
					bitmap = audience_expanded_bitmap(audience_expand(members, callercxt));
				found[i] = true;
				slots[i] = bitmap;
				node->slot = i;
			}
			i++;
		}
	}
	SPI_finish();
	i = 0;
	foreach(lc, p.names)
	{
		if (!found[i])
			seg_unknown_name(&p, (SegNode *) lfirst(lc),
							 psprintf("No row of %s has this name.", relname));
		i++;
	}
	PG_RETURN_DATUM(seg_result(root, slots));
}
