"""Client drivers against audience: psycopg 2 and psycopg 3 default adaptations.

Run by test/clients/drivers.sh (PGHOST, PGPORT, PGUSER and PGDATABASE set).
Prints TAP: the plan first, then one line per check; a check that raises is
"not ok" with the exception, so a missing driver fails rather than skips.
"""
import doctest
import os
import random
import re
import sys
import traceback

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def raises(fn, sqlstate):
    try:
        fn()
    except Exception as e:  # the driver's own error class
        code = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
        eq(code, sqlstate, "sqlstate of %s" % e)
        return
    raise AssertionError("no error, want SQLSTATE %s" % sqlstate)


SMALL = [3, 1, 2, 32767]                             # fits smallint
MID = [3, 1, 70000]                                  # integer
BIG = [0, 4294967295, 3000000000]                    # bigint
LONG_SMALL = [i % 30000 for i in range(100000)]      # 100k ints, smallint
LONG_BIG = [i * 42949 for i in range(100000)]        # 100k ints up to 4.3e9


def text_of(ids):
    return "{" + ",".join(str(v) for v in sorted(set(ids))) + "}"


def the_doc_blocks():
    """The python blocks of doc/audience.md's "Client adapters" section."""
    with open("doc/audience.md", encoding="utf-8") as f:
        doc = f.read()
    section = doc.split("\n## Client adapters\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    code = [b for b in blocks if not b.startswith(">>>")]
    examples = [b for b in blocks if b.startswith(">>>")]
    if len(code) != 1 or len(examples) != 1:
        raise AssertionError("doc/audience.md: want one adapter block and one example block")
    return code[0], examples[0]


def adapter():
    """The doc's adapter code, executed as it is written."""
    code, _ = the_doc_blocks()
    ns = {"__name__": "audience_adapter"}
    exec(compile(code, "doc/audience.md", "exec"), ns)
    return ns


# psycopg 2 --------------------------------------------------------------------

def pg2():
    import psycopg2
    conn = psycopg2.connect("")
    conn.autocommit = True
    return conn


def pg2_one(conn, query, args=None):
    with conn.cursor() as cur:
        cur.execute(query, args)
        return cur.fetchone()[0]


@test
def psycopg2_lists():
    """psycopg2: lists of small, mid and big ids, with a cast and audience()"""
    conn = pg2()
    for ids in (SMALL, MID, BIG):
        eq(pg2_one(conn, "SELECT %s::audience::text", (ids,)), text_of(ids), "cast")
        eq(pg2_one(conn, "SELECT audience(%s)::text", (ids,)), text_of(ids), "audience()")


@test
def psycopg2_long_lists():
    """psycopg2: lists of 100,000 ints (small and up to 4.3e9), no numpy"""
    conn = pg2()
    for ids in (LONG_SMALL, LONG_BIG):
        got = pg2_one(conn, "SELECT %s::audience::bigint[]", (ids,))
        eq(got, sorted(set(ids)), "ids")


@test
def psycopg2_empty_list():
    """psycopg2: an empty list is '{}', read as the empty audience"""
    conn = pg2()
    eq(pg2_one(conn, "SELECT %s::audience::text", ([],)), "{}", "cast")
    eq(pg2_one(conn, "SELECT audience(%s)::text", ([],)), "{}", "audience()")


@test
def psycopg2_errors():
    """psycopg2: a negative id and a null are errors, not wraps"""
    conn = pg2()
    raises(lambda: pg2_one(conn, "SELECT %s::audience", ([1, -1],)), "22003")
    raises(lambda: pg2_one(conn, "SELECT %s::audience", ([1, None],)), "22004")


@test
def psycopg2_bytes():
    """psycopg2: bytes as bytea, portable round trip both ways"""
    conn = pg2()
    ns = adapter()
    for ids in (SMALL, BIG, LONG_SMALL, LONG_BIG):
        enc = ns["audience_encode"](ids)
        eq(pg2_one(conn, "SELECT %s::bytea::audience = %s::audience", (enc, ids)), True, "bytea in")
        eq(pg2_one(conn, "SELECT audience(%s) = %s::audience", (enc, ids)), True, "audience(bytea)")
        back = pg2_one(conn, "SELECT (%s::audience)::bytea", (ids,))
        eq(ns["audience_decode"](back), sorted(set(ids)), "bytea out")


@test
def psycopg2_prepared():
    """psycopg2: PREPARE/EXECUTE with a list parameter"""
    conn = pg2()
    with conn.cursor() as cur:
        cur.execute("PREPARE from_ids(bigint[]) AS SELECT audience($1)::text")
        for ids in (SMALL, BIG, []):
            cur.execute("EXECUTE from_ids(%s)", (ids,))
            eq(cur.fetchone()[0], text_of(ids), "execute")


@test
def psycopg2_read_text():
    """psycopg2: an audience reads back as its text"""
    conn = pg2()
    eq(pg2_one(conn, "SELECT '{5,1-3}'::audience"), "{1,2,3,5}", "text")


# psycopg 3 --------------------------------------------------------------------

def pg3(**kw):
    import psycopg
    return psycopg.connect("", autocommit=True, **kw)


def pg3_one(conn, query, args=None, **kw):
    return conn.execute(query, args, **kw).fetchone()[0]


@test
def psycopg3_sends_smallint():
    """psycopg 3: a list of small ints is smallint[] (text and binary), the case issue 15 hit"""
    conn = pg3()
    for fmt in ("%t", "%b", "%s"):
        eq(pg3_one(conn, "SELECT pg_typeof(%s)::text" % fmt, [SMALL]), "smallint[]", fmt)
    eq(pg3_one(conn, "SELECT pg_typeof(%s)::text", [MID]), "integer[]", "mid")
    eq(pg3_one(conn, "SELECT pg_typeof(%s)::text", [BIG]), "bigint[]", "big")


@test
def psycopg3_lists():
    """psycopg 3: lists of small, mid and big ids, text and binary, cast and audience()"""
    conn = pg3()
    for fmt in ("%t", "%b", "%s"):
        for ids in (SMALL, MID, BIG):
            eq(pg3_one(conn, "SELECT %s::audience::text" % fmt, [ids]), text_of(ids), fmt + " cast")
            eq(pg3_one(conn, "SELECT audience(%s)::text" % fmt, [ids]), text_of(ids), fmt + " audience()")


@test
def psycopg3_long_lists():
    """psycopg 3: lists of 100,000 ints (smallint[] and bigint[]), text and binary, no numpy"""
    conn = pg3()
    for fmt in ("%t", "%b"):
        for ids in (LONG_SMALL, LONG_BIG):
            got = pg3_one(conn, "SELECT audience(%s)::bigint[]" % fmt, [ids])
            eq(got, sorted(set(ids)), fmt)


@test
def psycopg3_empty_list():
    """psycopg 3: an empty list, text and binary"""
    conn = pg3()
    for fmt in ("%t", "%b", "%s"):
        eq(pg3_one(conn, "SELECT %s::audience::text" % fmt, [[]]), "{}", fmt)


@test
def psycopg3_errors():
    """psycopg 3: a negative small id and a null are errors (smallint[] included)"""
    conn = pg3()
    for fmt in ("%t", "%b"):
        raises(lambda: pg3_one(conn, "SELECT %s::audience" % fmt, [[1, -1]]), "22003")
        raises(lambda: pg3_one(conn, "SELECT audience(%s)" % fmt, [[1, None]]), "22004")


@test
def psycopg3_prepared():
    """psycopg 3: prepared statements (prepare=True), small, mid and big lists, repeated"""
    conn = pg3()
    for _ in range(3):
        for fmt in ("%t", "%b"):
            for ids in (SMALL, MID, BIG, LONG_SMALL):
                got = pg3_one(conn, "SELECT audience(%s)::text" % fmt, [ids], prepare=True)
                eq(got, text_of(ids), fmt)
                got = pg3_one(conn, "SELECT cardinality(%s::audience)" % fmt, [ids], prepare=True)
                eq(got, len(set(ids)), fmt)
    # one server statement per query and parameter type: the smallint[] ones are there
    eq(pg3_one(conn, "SELECT count(*) FROM pg_prepared_statements"
                     " WHERE parameter_types = '{smallint[]}'::regtype[]"), 2, "prepared smallint[]")
    eq(pg3_one(conn, "SELECT count(*) FROM pg_prepared_statements"), 6, "prepared in all")


@test
def psycopg3_client_cursor():
    """psycopg 3: ClientCursor (values inlined as literals)"""
    import psycopg
    conn = pg3(cursor_factory=psycopg.ClientCursor)
    for ids in (SMALL, MID, BIG, []):
        eq(pg3_one(conn, "SELECT %s::audience::text", [ids]), text_of(ids), "cast")
    for ids in (SMALL, MID, BIG):
        eq(pg3_one(conn, "SELECT audience(%s)::text", [ids]), text_of(ids), "audience()")


@test
def psycopg3_bytes():
    """psycopg 3: bytes as bytea, text and binary, portable round trip"""
    conn = pg3()
    ns = adapter()
    for fmt in ("%t", "%b"):
        for ids in (SMALL, BIG, LONG_SMALL, LONG_BIG):
            enc = ns["audience_encode"](ids)
            eq(pg3_one(conn, "SELECT %s::bytea::audience::bigint[]" % fmt, [enc]), sorted(set(ids)), "cast")
            eq(pg3_one(conn, "SELECT audience(%s)::bigint[]" % fmt, [enc]), sorted(set(ids)), "audience()")
    for binary in (False, True):
        back = pg3_one(conn, "SELECT %s::audience::bytea", [LONG_BIG], binary=binary)
        eq(ns["audience_decode"](back), sorted(set(LONG_BIG)), "bytea out")


@test
def psycopg3_read_text_default():
    """psycopg 3: without a loader an audience reads as its text (text) or its bytes (binary)"""
    conn = pg3()
    ns = adapter()
    eq(pg3_one(conn, "SELECT '{5,1-3}'::audience"), "{1,2,3,5}", "text")
    raw = pg3_one(conn, "SELECT '{5,1-3}'::audience", binary=True)
    eq(ns["audience_decode"](raw), [1, 2, 3, 5], "binary")


# The adapter of doc/audience.md -----------------------------------------------

SHAPES = {
    "empty": "'{}'::audience",
    "edges": "'{0,65535,65536,4294967295}'::audience",
    "runs": "audience_from_range(1000, 500000)",
    "bitset": "(SELECT audience_agg(i * 3) FROM generate_series(0, 60000) i)",
    "mixed": "(SELECT audience_agg(i) FROM generate_series(0, 3000000, 7) i)"
             " | audience_from_range(4000000000, 4000100000) | '{5000000}'",
    "few runs": "audience_from_range(0, 10) | audience_from_range(70000, 70010)",
}


@test
def doc_adapter_examples():
    """doc/audience.md: the adapter block and its examples run verbatim (doctest)"""
    _, examples = the_doc_blocks()
    ns = adapter()
    ns["conn"] = pg3()
    parser = doctest.DocTestParser()
    dt = parser.get_doctest(examples, ns, "doc/audience.md", "doc/audience.md", 0)
    runner = doctest.DocTestRunner(verbose=False)
    out = []
    runner.run(dt, out=out.append)
    if runner.failures:
        raise AssertionError("".join(out))
    if runner.tries < 5:
        raise AssertionError("only %d examples ran" % runner.tries)


@test
def doc_adapter_loads():
    """doc adapter: every container kind loads in text, hex text and binary"""
    ns = adapter()
    conn = pg3()
    ns["register_audience"](conn)
    for name, expr in SHAPES.items():
        want = pg3_one(conn, "SELECT (%s)::bigint[]" % expr)
        for binary in (False, True):
            got = pg3_one(conn, "SELECT %s" % expr, binary=binary)
            eq(type(got).__name__, "Audience", name)
            eq(sorted(got), want, "%s binary=%s" % (name, binary))
    conn.execute("SET quanyu.audience_output = hex")
    for name, expr in SHAPES.items():
        want = pg3_one(conn, "SELECT (%s)::bigint[]" % expr)
        eq(sorted(pg3_one(conn, "SELECT %s" % expr)), want, name + " hex")
    rows = conn.execute("SELECT ARRAY['{1}'::audience, '{2,3}']", binary=True).fetchone()[0]
    eq([sorted(a) for a in rows], [[1], [2, 3]], "audience[]")


@test
def doc_adapter_dumps():
    """doc adapter: Audience values are sent as binary audiences the server validates"""
    ns = adapter()
    conn = pg3()
    ns["register_audience"](conn)
    Audience = ns["Audience"]
    rng = random.Random(15)
    cases = [set(), {0}, {4294967295}, set(range(5000)), set(range(0, 200000, 3)),
             set(rng.sample(range(2 ** 32), 20000)), set(LONG_BIG)]
    for ids in cases:
        a = Audience(ids)
        eq(pg3_one(conn, "SELECT cardinality(%s)", [a]), len(ids), "cardinality")
        eq(pg3_one(conn, "SELECT %s = %s::bigint[]::audience", [a, sorted(ids)]), True, "equal")
        eq(set(pg3_one(conn, "SELECT %s", [a], prepare=True)), ids, "round trip")
        eq(set(pg3_one(conn, "SELECT %s", [a], binary=True)), ids, "binary round trip")
    try:
        ns["audience_encode"]([2 ** 32])
    except ValueError:
        pass
    else:
        raise AssertionError("id 2**32 encoded")
    # a forged dump is refused by the server's validation
    bad = type("Bad", (ns["AudienceBinaryDumper"],), {"oid": conn.adapters.types["audience"].oid,
                                                       "dump": lambda self, obj: b"\x3a\x30\x00\x00"})
    conn.adapters.register_dumper(tuple, bad)
    raises(lambda: pg3_one(conn, "SELECT %b", [(1,)]), "22P03")


@test
def doc_adapter_decodes_what_copy_writes():
    """doc adapter: decodes audience_send output like the server's bigint[] cast"""
    ns = adapter()
    conn = pg3()
    for name, expr in SHAPES.items():
        raw, want = conn.execute("SELECT audience_send(%s), (%s)::bigint[]" % (expr, expr)).fetchone()
        eq(ns["audience_decode"](raw), want, name)


def main():
    print("1..%d" % len(TESTS))
    failed = 0
    for n, fn in enumerate(TESTS, 1):
        desc = fn.__doc__.strip().splitlines()[0]
        try:
            fn()
            print("ok %d - %s" % (n, desc))
        except Exception:
            failed += 1
            print("not ok %d - %s" % (n, desc))
            for line in traceback.format_exc().rstrip().splitlines():
                print("#   " + line)
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
