/*
 * fuzz_pg.c
 *	  The stand-in backend runtime of the libFuzzer targets (fuzz_pg.h).
 *
 * Only what quanyu's parsers call is here, written to the contracts of the
 * PostgreSQL 15 functions they replace.  Allocations are plain malloc'd
 * chunks (with the context pointer PostgreSQL keeps in front of each chunk)
 * so AddressSanitizer checks their bounds, which it cannot do inside the
 * real allocator's blocks.
 */
#include "fuzz_pg.h"

#include <setjmp.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

/* Backend globals the parsers touch. */
sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;
volatile sig_atomic_t InterruptPending = false;
MemoryContext CurrentMemoryContext = NULL;
MemoryContext TopMemoryContext = NULL;
MemoryContext CurTransactionContext = NULL;
bool		fuzz_try_ok;

int			fuzz_last_elevel;
int			fuzz_last_sqlstate;
char		fuzz_last_message[1024];

/* ---- memory ---- */

/* A chunk: list links, then the context pointer right before the data. */
typedef struct FuzzChunk
{
	struct FuzzChunk *prev;
	struct FuzzChunk *next;
	size_t		size;
	MemoryContext context;
} FuzzChunk;

typedef struct FuzzContext
{
	MemoryContextData base;
	FuzzChunk	chunks;			/* circular list head */
} FuzzContext;

#define CHUNK_OF(p) ((FuzzChunk *) ((char *) (p) - sizeof(FuzzChunk)))

static FuzzContext *
fuzz_context_new(MemoryContext parent, const char *name)
{
	FuzzContext *c = calloc(1, sizeof(FuzzContext));

	if (c == NULL)
		abort();
	c->base.type = T_AllocSetContext;
	c->base.name = name;
	c->base.parent = parent;
	c->chunks.prev = c->chunks.next = &c->chunks;
	if (parent != NULL)
	{
		c->base.nextchild = parent->firstchild;
		if (parent->firstchild)
			parent->firstchild->prevchild = &c->base;
		parent->firstchild = &c->base;
	}
	return c;
}

static void *
fuzz_alloc(MemoryContext context, Size size, int flags)
{
	FuzzContext *c = (FuzzContext *) context;
	FuzzChunk  *ch;

	if (!((flags & MCXT_ALLOC_HUGE) ? AllocHugeSizeIsValid(size) : AllocSizeIsValid(size)))
		elog(ERROR, "invalid memory alloc request size %zu", (size_t) size);
	/* Keep the fuzzer's RSS bounded: a real server would fail here too. */
	if (size > ((Size) 256 << 20))
	{
		if (flags & MCXT_ALLOC_NO_OOM)
			return NULL;
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory"),
						errdetail("Failed on request of size %zu.", (size_t) size)));
	}
	ch = malloc(sizeof(FuzzChunk) + size);
	if (ch == NULL)
		abort();
	ch->size = size;
	ch->context = context;
	ch->next = c->chunks.next;
	ch->prev = &c->chunks;
	c->chunks.next->prev = ch;
	c->chunks.next = ch;
	if (flags & MCXT_ALLOC_ZERO)
		memset(ch + 1, 0, size);
	return ch + 1;
}

static void
fuzz_context_free_chunks(FuzzContext *c)
{
	while (c->chunks.next != &c->chunks)
	{
		FuzzChunk  *ch = c->chunks.next;

		c->chunks.next = ch->next;
		free(ch);
	}
	c->chunks.prev = &c->chunks;
}

static void
fuzz_run_callbacks(MemoryContext context)
{
	MemoryContextCallback *cb;

	while ((cb = context->reset_cbs) != NULL)
	{
		context->reset_cbs = cb->next;
		cb->func(cb->arg);
	}
}

void
MemoryContextDelete(MemoryContext context)
{
	while (context->firstchild != NULL)
		MemoryContextDelete(context->firstchild);
	fuzz_run_callbacks(context);
	if (context->parent)
	{
		if (context->prevchild)
			context->prevchild->nextchild = context->nextchild;
		else
			context->parent->firstchild = context->nextchild;
		if (context->nextchild)
			context->nextchild->prevchild = context->prevchild;
	}
	fuzz_context_free_chunks((FuzzContext *) context);
	if (CurrentMemoryContext == context)
		CurrentMemoryContext = TopMemoryContext;
	free(context);
}

void
MemoryContextReset(MemoryContext context)
{
	while (context->firstchild != NULL)
		MemoryContextDelete(context->firstchild);
	fuzz_run_callbacks(context);
	fuzz_context_free_chunks((FuzzContext *) context);
}

void
MemoryContextResetOnly(MemoryContext context)
{
	MemoryContextReset(context);
}

void
MemoryContextDeleteChildren(MemoryContext context)
{
	while (context->firstchild != NULL)
		MemoryContextDelete(context->firstchild);
}

MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name, Size minContextSize,
							  Size initBlockSize, Size maxBlockSize)
{
	return &fuzz_context_new(parent, name)->base;
}

void
MemoryContextSetParent(MemoryContext context, MemoryContext new_parent)
{
	if (context->parent)
	{
		if (context->prevchild)
			context->prevchild->nextchild = context->nextchild;
		else
			context->parent->firstchild = context->nextchild;
		if (context->nextchild)
			context->nextchild->prevchild = context->prevchild;
	}
	context->parent = new_parent;
	context->prevchild = NULL;
	context->nextchild = new_parent ? new_parent->firstchild : NULL;
	if (new_parent)
	{
		if (new_parent->firstchild)
			new_parent->firstchild->prevchild = context;
		new_parent->firstchild = context;
	}
}

void
MemoryContextSetIdentifier(MemoryContext context, const char *id)
{
	context->ident = id;
}

void
MemoryContextRegisterResetCallback(MemoryContext context, MemoryContextCallback *cb)
{
	cb->next = context->reset_cbs;
	context->reset_cbs = cb;
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return fuzz_alloc(context, size, 0);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return fuzz_alloc(context, size, MCXT_ALLOC_ZERO);
}

void *
MemoryContextAllocZeroAligned(MemoryContext context, Size size)
{
	return fuzz_alloc(context, size, MCXT_ALLOC_ZERO);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return fuzz_alloc(context, size, flags);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return fuzz_alloc(context, size, MCXT_ALLOC_HUGE);
}

void *
palloc(Size size)
{
	return fuzz_alloc(CurrentMemoryContext, size, 0);
}

void *
palloc0(Size size)
{
	return fuzz_alloc(CurrentMemoryContext, size, MCXT_ALLOC_ZERO);
}

void *
palloc_extended(Size size, int flags)
{
	return fuzz_alloc(CurrentMemoryContext, size, flags);
}

void
pfree(void *pointer)
{
	FuzzChunk  *ch = CHUNK_OF(pointer);

	ch->prev->next = ch->next;
	ch->next->prev = ch->prev;
	free(ch);
}

static void *
fuzz_realloc(void *pointer, Size size, int flags)
{
	FuzzChunk  *old = CHUNK_OF(pointer);
	void	   *p = fuzz_alloc(old->context, size, flags);

	memcpy(p, pointer, Min(size, old->size));
	pfree(pointer);
	return p;
}

void *
repalloc(void *pointer, Size size)
{
	return fuzz_realloc(pointer, size, 0);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return fuzz_realloc(pointer, size, MCXT_ALLOC_HUGE);
}

char *
MemoryContextStrdup(MemoryContext context, const char *string)
{
	size_t		len = strlen(string) + 1;
	char	   *p = MemoryContextAlloc(context, len);

	memcpy(p, string, len);
	return p;
}

char *
pstrdup(const char *in)
{
	return MemoryContextStrdup(CurrentMemoryContext, in);
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *p;

	len = strnlen(in, len);
	p = palloc(len + 1);
	memcpy(p, in, len);
	p[len] = '\0';
	return p;
}

size_t
pvsnprintf(char *buf, size_t len, const char *fmt, va_list args)
{
	int			n = vsnprintf(buf, len, fmt, args);

	if (n < 0)
		elog(ERROR, "vsnprintf failed: %s", fmt);
	if ((size_t) n >= len)
		return n + 1;
	return n;
}

char *
psprintf(const char *fmt,...)
{
	size_t		len = 128;

	for (;;)
	{
		char	   *buf = palloc(len);
		va_list		args;
		size_t		need;

		va_start(args, fmt);
		need = pvsnprintf(buf, len, fmt, args);
		va_end(args);
		if (need < len)
			return buf;
		pfree(buf);
		len = need;
	}
}

/* ---- errors ---- */

static int	cur_elevel;

bool
errstart(int elevel, const char *domain)
{
	cur_elevel = elevel;
	fuzz_last_message[0] = '\0';
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
pg_re_throw(void)
{
	if (PG_exception_stack == NULL)
	{
		fprintf(stderr, "ERROR outside FUZZ_TRY: %s\n", fuzz_last_message);
		abort();
	}
	siglongjmp(*PG_exception_stack, 1);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (cur_elevel < ERROR)
		return;
	if (cur_elevel > ERROR)
	{
		fprintf(stderr, "FATAL/PANIC from %s:%d: %s\n", filename, lineno, fuzz_last_message);
		abort();
	}
	fuzz_last_elevel = cur_elevel;
	pg_re_throw();
}

int
errcode(int sqlerrcode)
{
	fuzz_last_sqlstate = sqlerrcode;
	return 0;
}

/* Format every message part, so bad format arguments are caught too. */
#define FORMAT_INTO(buf, fmt) \
	do { \
		va_list		args_; \
		va_start(args_, fmt); \
		vsnprintf(buf, sizeof(buf), fmt, args_); \
		va_end(args_); \
	} while (0)

int
errmsg(const char *fmt,...)
{
	FORMAT_INTO(fuzz_last_message, fmt);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	FORMAT_INTO(fuzz_last_message, fmt);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	char		buf[1024];

	FORMAT_INTO(buf, fmt);
	return 0;
}

int
errdetail_internal(const char *fmt,...)
{
	char		buf[1024];

	FORMAT_INTO(buf, fmt);
	return 0;
}

int
errhint(const char *fmt,...)
{
	char		buf[1024];

	FORMAT_INTO(buf, fmt);
	return 0;
}

int
errcontext_msg(const char *fmt,...)
{
	char		buf[1024];

	FORMAT_INTO(buf, fmt);
	return 0;
}

int
set_errcontext_domain(const char *domain)
{
	return 0;
}

int
errposition(int cursorpos)
{
	return 0;
}

void
FlushErrorState(void)
{
}

/* ---- stack depth: max_stack_depth's default of 2 MB ---- */

static char *stack_base;

void
check_stack_depth(void)
{
	char		here;

	if (stack_base != NULL && stack_base - &here > 2 * 1024 * 1024 - 256 * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("stack depth limit exceeded")));
}

bool
stack_is_too_deep(void)
{
	char		here;

	return stack_base != NULL && stack_base - &here > 2 * 1024 * 1024 - 256 * 1024;
}

void
ProcessInterrupts(void)
{
}

/* ---- set-up ---- */

void
fuzz_init(void)
{
	char		here;

	if (TopMemoryContext == NULL)
	{
		TopMemoryContext = &fuzz_context_new(NULL, "TopMemoryContext")->base;
		CurTransactionContext = TopMemoryContext;
	}
	CurrentMemoryContext = TopMemoryContext;
	/* The harness's frame is the bottom; ASan's bigger frames count too. */
	if (stack_base == NULL)
		stack_base = &here;
}

void
fuzz_reset(void)
{
	MemoryContextReset(TopMemoryContext);
	CurrentMemoryContext = TopMemoryContext;
	PG_exception_stack = NULL;
	error_context_stack = NULL;
}

char *
fuzz_cstring(const uint8_t *data, size_t size)
{
	char	   *s = palloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* ---- strings, lists, text ---- */

void
initStringInfo(StringInfo str)
{
	str->maxlen = 1024;
	str->data = palloc(str->maxlen);
	resetStringInfo(str);
}

StringInfo
makeStringInfo(void)
{
	StringInfo	res = palloc(sizeof(StringInfoData));

	initStringInfo(res);
	return res;
}

void
resetStringInfo(StringInfo str)
{
	str->data[0] = '\0';
	str->len = 0;
	str->cursor = 0;
}

void
enlargeStringInfo(StringInfo str, int needed)
{
	int			newlen;

	if (needed < 0)
		elog(ERROR, "invalid string enlargement request size: %d", needed);
	if (((Size) needed) >= (MaxAllocSize - (Size) str->len))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("out of memory")));
	needed += str->len + 1;
	if (needed <= str->maxlen)
		return;
	newlen = 2 * str->maxlen;
	while (needed > newlen)
		newlen = 2 * newlen;
	if (newlen > (int) MaxAllocSize)
		newlen = (int) MaxAllocSize;
	str->data = repalloc(str->data, newlen);
	str->maxlen = newlen;
}

void
appendBinaryStringInfo(StringInfo str, const char *data, int datalen)
{
	enlargeStringInfo(str, datalen);
	memcpy(str->data + str->len, data, datalen);
	str->len += datalen;
	str->data[str->len] = '\0';
}

void
appendBinaryStringInfoNT(StringInfo str, const char *data, int datalen)
{
	enlargeStringInfo(str, datalen);
	memcpy(str->data + str->len, data, datalen);
	str->len += datalen;
}

void
appendStringInfoString(StringInfo str, const char *s)
{
	appendBinaryStringInfo(str, s, strlen(s));
}

void
appendStringInfoChar(StringInfo str, char ch)
{
	if (str->len + 1 >= str->maxlen)
		enlargeStringInfo(str, 1);
	str->data[str->len] = ch;
	str->len++;
	str->data[str->len] = '\0';
}

void
appendStringInfoSpaces(StringInfo str, int count)
{
	if (count > 0)
	{
		enlargeStringInfo(str, count);
		memset(str->data + str->len, ' ', count);
		str->len += count;
		str->data[str->len] = '\0';
	}
}

int
appendStringInfoVA(StringInfo str, const char *fmt, va_list args)
{
	int			avail = str->maxlen - str->len;
	size_t		nprinted = pvsnprintf(str->data + str->len, (size_t) avail, fmt, args);

	if (nprinted < (size_t) avail)
	{
		str->len += (int) nprinted;
		return 0;
	}
	str->data[str->len] = '\0';
	return (int) nprinted;
}

void
appendStringInfo(StringInfo str, const char *fmt,...)
{
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(str, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(str, needed);
	}
}

List *
lappend(List *list, void *datum)
{
	if (list == NIL)
	{
		list = palloc(offsetof(List, initial_elements) + 8 * sizeof(ListCell));
		list->type = T_List;
		list->length = 0;
		list->max_length = 8;
		list->elements = list->initial_elements;
	}
	else if (list->length >= list->max_length)
	{
		int			newmax = list->max_length * 2;
		ListCell   *cells = palloc(newmax * sizeof(ListCell));

		memcpy(cells, list->elements, list->length * sizeof(ListCell));
		list->elements = cells;
		list->max_length = newmax;
	}
	list->elements[list->length++].ptr_value = datum;
	return list;
}

text *
cstring_to_text_with_len(const char *s, int len)
{
	text	   *result = palloc(len + VARHDRSZ);

	SET_VARSIZE(result, len + VARHDRSZ);
	memcpy(VARDATA(result), s, len);
	return result;
}

text *
cstring_to_text(const char *s)
{
	return cstring_to_text_with_len(s, strlen(s));
}

struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	if (VARATT_IS_EXTERNAL(datum) || VARATT_IS_COMPRESSED(datum))
	{
		fprintf(stderr, "fuzz runtime: external or compressed datum\n");
		abort();
	}
	if (VARATT_IS_SHORT(datum))
	{
		Size		len = VARSIZE_SHORT(datum) - VARHDRSZ_SHORT;
		struct varlena *r = palloc(len + VARHDRSZ);

		SET_VARSIZE(r, len + VARHDRSZ);
		memcpy(VARDATA(r), VARDATA_SHORT(datum), len);
		return r;
	}
	return datum;
}

struct varlena *
pg_detoast_datum_packed(struct varlena *datum)
{
	if (VARATT_IS_SHORT(datum))
		return datum;
	return pg_detoast_datum(datum);
}

struct varlena *
pg_detoast_datum_copy(struct varlena *datum)
{
	struct varlena *d = pg_detoast_datum(datum);
	struct varlena *r;

	if (d != datum)
		return d;
	r = palloc(VARSIZE(d));
	memcpy(r, d, VARSIZE(d));
	return r;
}

struct varlena *
pg_detoast_datum_slice(struct varlena *datum, int32 first, int32 count)
{
	struct varlena *d = pg_detoast_datum(datum);
	int32		len = VARSIZE(d) - VARHDRSZ;
	struct varlena *r;

	if (first > len)
		first = len;
	if (count < 0 || first + count > len)
		count = len - first;
	r = palloc(count + VARHDRSZ);
	SET_VARSIZE(r, count + VARHDRSZ);
	memcpy(VARDATA(r), VARDATA(d) + first, count);
	return r;
}

char *
text_to_cstring(const text *t)
{
	text	   *tunpacked = (text *) pg_detoast_datum_packed((struct varlena *) t);
	int			len = VARSIZE_ANY_EXHDR(tunpacked);
	char	   *result = palloc(len + 1);

	memcpy(result, VARDATA_ANY(tunpacked), len);
	result[len] = '\0';
	return result;
}

/* ---- expanded objects (utils/adt/expandeddatum.c) ---- */

ExpandedObjectHeader *
DatumGetEOHP(Datum d)
{
	varattrib_1b_e *datum = (varattrib_1b_e *) DatumGetPointer(d);
	varatt_expanded ptr;

	memcpy(&ptr, VARDATA_EXTERNAL(datum), sizeof(ptr));
	return ptr.eohptr;
}

void
EOH_init_header(ExpandedObjectHeader *eohptr, const ExpandedObjectMethods *methods,
				MemoryContext obj_context)
{
	varatt_expanded ptr;

	eohptr->vl_len_ = EOH_HEADER_MAGIC;
	eohptr->eoh_methods = methods;
	eohptr->eoh_context = obj_context;
	ptr.eohptr = eohptr;
	SET_VARTAG_EXTERNAL(eohptr->eoh_rw_ptr, VARTAG_EXPANDED_RW);
	memcpy(VARDATA_EXTERNAL(eohptr->eoh_rw_ptr), &ptr, sizeof(ptr));
	SET_VARTAG_EXTERNAL(eohptr->eoh_ro_ptr, VARTAG_EXPANDED_RO);
	memcpy(VARDATA_EXTERNAL(eohptr->eoh_ro_ptr), &ptr, sizeof(ptr));
}

Size
EOH_get_flat_size(ExpandedObjectHeader *eohptr)
{
	return eohptr->eoh_methods->get_flat_size(eohptr);
}

void
EOH_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	eohptr->eoh_methods->flatten_into(eohptr, result, allocated_size);
}

void
DeleteExpandedObject(Datum d)
{
	MemoryContextDelete(DatumGetEOHP(d)->eoh_context);
}

/* ---- encodings: the server encoding is UTF-8 ---- */

int
pg_mblen(const char *mbstr)
{
	unsigned char c = *(const unsigned char *) mbstr;

	if ((c & 0x80) == 0)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return 1;
}

int
pg_mbstrlen_with_len(const char *mbstr, int limit)
{
	int			len = 0;

	while (limit > 0 && *mbstr)
	{
		int			l = pg_mblen(mbstr);

		limit -= l;
		mbstr += l;
		len++;
	}
	return len;
}

int
pg_mb2wchar_with_len(const char *from, pg_wchar *to, int len)
{
	const unsigned char *s = (const unsigned char *) from;
	int			cnt = 0;

	while (len > 0 && *s)
	{
		int			l = pg_mblen((const char *) s);
		pg_wchar	c;

		if (l > len)
			break;
		if (l == 1)
			c = s[0];
		else if (l == 2)
			c = ((s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		else if (l == 3)
			c = ((s[0] & 0x0f) << 12) | ((s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		else
			c = ((s[0] & 0x07) << 18) | ((s[1] & 0x3f) << 12) | ((s[2] & 0x3f) << 6) | (s[3] & 0x3f);
		*to++ = c;
		s += l;
		len -= l;
		cnt++;
	}
	*to = 0;
	return cnt;
}

/* Is the input valid UTF-8 without NUL, as every server text is? */
bool
fuzz_valid_utf8(const uint8_t *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		uint8_t		c = s[i];
		size_t		l,
					k;

		if (c == 0)
			return false;
		l = (c < 0x80) ? 1 : ((c & 0xe0) == 0xc0) ? 2 : ((c & 0xf0) == 0xe0) ? 3 :
			((c & 0xf8) == 0xf0) ? 4 : 0;
		if (l == 0 || i + l > len || (l == 2 && c < 0xc2))
			return false;
		for (k = 1; k < l; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += l;
	}
	return true;
}

/* ---- hex (utils/adt/encode.c) ---- */

static const char hextbl[] = "0123456789abcdef";

uint64
hex_encode(const char *src, size_t len, char *dst)
{
	const char *end = src + len;

	while (src < end)
	{
		*dst++ = hextbl[(*src >> 4) & 0xF];
		*dst++ = hextbl[*src & 0xF];
		src++;
	}
	return (uint64) len * 2;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid hexadecimal digit: \"%.*s\"", pg_mblen(&c), &c)));
	return 0;
}

uint64
hex_decode(const char *src, size_t len, char *dst)
{
	const char *s = src,
			   *srcend = src + len;
	char	   *p = dst;

	while (s < srcend)
	{
		int			v1,
					v2;

		if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		{
			s++;
			continue;
		}
		v1 = hexval(*s++) << 4;
		if (s >= srcend)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid hexadecimal data: odd number of digits")));
		v2 = hexval(*s++);
		*p++ = v1 | v2;
	}
	return p - dst;
}

/*
 * pg_mbcliplen for UTF-8 (the encoding of the test clusters): the longest
 * prefix of at most limit bytes that does not cut a character.
 */
int
pg_mbcliplen(const char *mbstr, int len, int limit)
{
	int			clip = len < limit ? len : limit;

	while (clip > 0 && clip < len && (((unsigned char) mbstr[clip]) & 0xC0) == 0x80)
		clip--;
	return clip;
}
