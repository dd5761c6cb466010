/*
 * fuzz_pg.h
 *	  A minimal stand-in for the PostgreSQL backend runtime, so quanyu's
 *	  parsers can run inside a libFuzzer target (test/run_fuzz.sh).
 *
 * ereport(ERROR) longjmps back to the harness through the real PG_TRY
 * machinery (PG_exception_stack); palloc is malloc with a header so that
 * AddressSanitizer sees every chunk's bounds; everything allocated for one
 * input, and every memory context reset callback registered (CRoaring
 * bitmaps owned by expanded objects), is released by fuzz_reset().
 * Backend functions a target does not need are generated as stubs that
 * abort with their name (fuzz_stubs.c, made by run_fuzz.sh), so reaching
 * one shows up as a finding instead of a silent success.
 */
#ifndef QUANYU_FUZZ_PG_H
#define QUANYU_FUZZ_PG_H

#include "postgres.h"

#include <stdint.h>

/* The elevel and SQLSTATE of the last error caught by FUZZ_TRY. */
extern int	fuzz_last_elevel;
extern int	fuzz_last_sqlstate;
extern char fuzz_last_message[1024];

/* Set up once (memory contexts); safe to call on every input. */
extern void fuzz_init(void);

/* Free everything allocated since the last reset; run reset callbacks. */
extern void fuzz_reset(void);

/* A NUL-terminated palloc'd copy of the input. */
extern char *fuzz_cstring(const uint8_t *data, size_t size);

/* Run body; an ERROR raised inside ends it and returns false. */
#define FUZZ_TRY(...) \
	do { \
		volatile bool fuzz_ok_ = true; \
		PG_TRY(); \
		{ \
			__VA_ARGS__; \
		} \
		PG_CATCH(); \
		{ \
			fuzz_ok_ = false; \
		} \
		PG_END_TRY(); \
		fuzz_try_ok = fuzz_ok_; \
	} while (0)

extern bool fuzz_try_ok;

/* Abort with a message: a broken invariant is a finding. */
#define FUZZ_ASSERT(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "fuzz invariant failed: %s at %s:%d: ", #cond, __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

#endif							/* QUANYU_FUZZ_PG_H */
