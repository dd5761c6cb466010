/*
 * audience_io.c
 *	  Text and binary input/output of the audience type.
 *
 * Text form: '{}', '{1,2,3}', with ranges on input ('{1-1000,5000}'), or
 * the hex of the CRoaring portable bytes ('\x3a30...').  Output is the
 * sorted id list, or hex when quanyu.audience_output = hex: large states
 * cross process and node boundaries as text in some engines, and hex is
 * about ten times smaller than decimal for big sets.
 * Binary form: the CRoaring portable bytes, as for the bytea cast.
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>

#include "audience/audience_internal.h"
#include "common/person_id.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"

typedef enum AudienceOutputFormat
{
	AUDIENCE_OUTPUT_ARRAY,
	AUDIENCE_OUTPUT_HEX
} AudienceOutputFormat;

static const struct config_enum_entry audience_output_options[] = {
	{"array", AUDIENCE_OUTPUT_ARRAY, false},
	{"hex", AUDIENCE_OUTPUT_HEX, false},
	{NULL, 0, false}
};

static int	audience_output = AUDIENCE_OUTPUT_ARRAY;

#define OUTPUT_CHUNK 1024

/* Register the module's settings. */
void
audience_define_gucs(void)
{
	DefineCustomEnumVariable("quanyu.audience_output",
							 "Text output format of the audience type.",
							 "\"array\" prints the sorted ids, \"hex\" the CRoaring portable bytes in hex.",
							 &audience_output,
							 AUDIENCE_OUTPUT_ARRAY,
							 audience_output_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("quanyu.max_audience_memory",
							"Most memory one audience operation may take for its sets.",
							"Checked against an estimate before an operation, aggregate state "
							"or input grows the CRoaring sets it works on.",
							&audience_max_memory_kb,
							AUDIENCE_MAX_MEMORY_DEFAULT_KB,
							64,
							MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("quanyu.audience_count_from_bytes",
							 "Counts and containment of two stored audiences are read from their bytes.",
							 "When off, both audiences are decoded first (for benchmarks and diagnosis).",
							 &audience_count_from_bytes,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("quanyu");
#else
	EmitWarningsOnPlaceholders("quanyu");
#endif
}

static void
audience_syntax_error(const char *str, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type audience: \"%s\"", str),
			 errdetail("%s", detail)));
}

/* Parse a (possibly negative) integer at *p, advancing past it. */
static int64
parse_id(const char *str, const char **p)
{
	const char *s = *p;
	bool		negative = false;
	uint64		value = 0;

	if (*s == '-')
	{
		negative = true;
		s++;
	}
	if (!isdigit((unsigned char) *s))
		audience_syntax_error(str, "Expected a person id.");
	while (isdigit((unsigned char) *s))
	{
		value = value * 10 + (*s - '0');
		if (value > PERSON_ID_MAX)
		{
			/* Report the whole out-of-range number as written. */
			const char *end = s;

			while (isdigit((unsigned char) *end))
				end++;
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("person id %s%.*s is out of range", negative ? "-" : "",
							(int) (end - (*p + negative)), *p + negative),
					 errdetail("Person ids are integers from 0 to 4294967295.")));
		}
		s++;
	}
	*p = s;
	return negative ? -(int64) value : (int64) value;
}

static const char *
skip_spaces(const char *p)
{
	while (isspace((unsigned char) *p))
		p++;
	return p;
}

/* Parse '{...}' with ids and ranges into b. */
static void
parse_id_list(const char *str, AudienceBuilder *b)
{
	const char *p = skip_spaces(str);

	if (*p != '{')
		audience_syntax_error(str, "Audience text must start with \"{\" or \"\\x\".");
	p = skip_spaces(p + 1);
	if (*p == '}')
		p++;
	else
	{
		for (;;)
		{
			uint32		lo = person_id_from_int64(parse_id(str, &p));

			p = skip_spaces(p);
			if (*p == '-')
			{
				uint32		hi;

				p = skip_spaces(p + 1);
				hi = person_id_from_int64(parse_id(str, &p));
				if (hi < lo)
					audience_syntax_error(str, psprintf("Range %u-%u ends before it starts.", lo, hi));
				audience_builder_add_range(b, lo, hi);
				p = skip_spaces(p);
			}
			else
				audience_builder_add_id(b, lo);
			if (*p == '}')
			{
				p++;
				break;
			}
			if (*p != ',')
				audience_syntax_error(str, "Expected \",\" or \"}\" after a person id.");
			p = skip_spaces(p + 1);
			CHECK_FOR_INTERRUPTS();
		}
	}
	if (*skip_spaces(p) != '\0')
		audience_syntax_error(str, "Junk after closing right brace.");
}

/* Parse '\x<hex>' of portable bytes into b. */
static void
parse_hex(const char *str, AudienceBuilder *b)
{
	const char *hex = str + 2;
	size_t		hexlen = strlen(hex);
	char	   *bytes;
	uint64		i;

	if (hexlen % 2 != 0)
		audience_syntax_error(str, "Hex input has an odd number of digits.");
	for (i = 0; i < hexlen; i++)
	{
		if (!isxdigit((unsigned char) hex[i]))
			audience_syntax_error(str, "Hex input has a character that is not a hex digit.");
		if ((i & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	bytes = palloc(hexlen / 2 + 1);
	hex_decode(hex, hexlen, bytes);
	audience_builder_set_bitmap(b, audience_portable_load(bytes, hexlen / 2,
														  ERRCODE_INVALID_TEXT_REPRESENTATION));
	pfree(bytes);
}

/*
 * What an input function returns: the flat value, as storing the expanded
 * one would write it.  Callers of input functions may pfree the result
 * (PL/Proxy does, for every value a shard sends), which the pointer of an
 * expanded object cannot take; the bitmap is freed here at once.
 */
static Datum
audience_input_result(AudienceExpanded *ea)
{
	struct varlena *flat = audience_expanded_flat_copy(ea);

	DeleteExpandedObject(audience_expanded_datum(ea));
	return PointerGetDatum(flat);
}

PG_FUNCTION_INFO_V1(audience_in);
/* Text input. */
Datum
audience_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	AudienceBuilder *b = audience_builder_new(CurrentMemoryContext);

	if (str[0] == '\\' && str[1] == 'x')
		parse_hex(str, b);
	else
		parse_id_list(str, b);
	PG_RETURN_DATUM(audience_input_result(audience_builder_finish(b)));
}

/* Hex text of the portable bytes. */
static char *
audience_out_hex(const roaring_bitmap_t *bitmap)
{
	size_t		len = roaring_bitmap_portable_size_in_bytes(bitmap);
	char	   *bytes = palloc(len);
	char	   *out = palloc(2 * len + 3);
	size_t		n;

	roaring_bitmap_portable_serialize(bitmap, bytes);
	out[0] = '\\';
	out[1] = 'x';
	n = hex_encode(bytes, len, out + 2);
	out[2 + n] = '\0';
	pfree(bytes);
	return out;
}

/* The sorted id list. */
static char *
audience_out_array(const roaring_bitmap_t *bitmap)
{
	StringInfoData buf;
	roaring_uint32_iterator_t it;
	uint32		chunk[OUTPUT_CHUNK];
	uint32		n;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	roaring_init_iterator(bitmap, &it);
	while ((n = roaring_read_uint32_iterator(&it, chunk, OUTPUT_CHUNK)) > 0)
	{
		uint32		i;

		/* A comma and at most 10 digits an id, written in place. */
		enlargeStringInfo(&buf, n * 11);
		for (i = 0; i < n; i++)
		{
			if (!first)
				buf.data[buf.len++] = ',';
			buf.len += pg_ultoa_n(chunk[i], buf.data + buf.len);
			first = false;
		}
		buf.data[buf.len] = '\0';
		CHECK_FOR_INTERRUPTS();
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

PG_FUNCTION_INFO_V1(audience_out);
/* Text output. */
Datum
audience_out(PG_FUNCTION_ARGS)
{
	const roaring_bitmap_t *bitmap = PG_GETARG_AUDIENCE_BITMAP(0);

	if (audience_output == AUDIENCE_OUTPUT_HEX)
		PG_RETURN_CSTRING(audience_out_hex(bitmap));
	PG_RETURN_CSTRING(audience_out_array(bitmap));
}

PG_FUNCTION_INFO_V1(audience_recv);
/* Binary input: the CRoaring portable bytes, validated. */
Datum
audience_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	AudienceExpanded *ea = audience_expanded_new(CurrentMemoryContext);
	int			len = buf->len - buf->cursor;

	audience_expanded_set_bitmap(ea, audience_portable_load(buf->data + buf->cursor, len,
															ERRCODE_INVALID_BINARY_REPRESENTATION));
	buf->cursor = buf->len;
	PG_RETURN_DATUM(audience_input_result(ea));
}

PG_FUNCTION_INFO_V1(audience_send);
/* Binary output: the CRoaring portable bytes. */
Datum
audience_send(PG_FUNCTION_ARGS)
{
	const roaring_bitmap_t *bitmap = PG_GETARG_AUDIENCE_BITMAP(0);
	size_t		len = roaring_bitmap_portable_size_in_bytes(bitmap);
	bytea	   *result = palloc(VARHDRSZ + len);

	roaring_bitmap_portable_serialize(bitmap, VARDATA(result));
	SET_VARSIZE(result, VARHDRSZ + len);
	PG_RETURN_BYTEA_P(result);
}
