#!/usr/bin/python3
"""In-server mutation fuzzer for quanyu's parsers (test/run_fuzz.sh).

AFL-style mutations (bit flips, interesting bytes, inserts, deletes,
duplications, splices, dictionary tokens) of a seed corpus, each call run
through one connection as public.fuzz_try(...), which runs it in a
subtransaction (plpgsql exception block).  An error is a normal outcome; a
lost connection is a crash: the input is written to the crashes directory
with SQL that reproduces it.  Inputs that succeed join the corpus.
"""
import argparse
import os
import random
import sys
import time

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))

# target: (statements run with $1 = bytea input, $2 = text; seeds; dictionary; text?)
AUDIENCES = "ARRAY['{1,2}','{2,3}','{3}','{1}','{9}']::quanyu.audience[]"
TARGETS = {
    'audience_text': (["SELECT quanyu.audience_out(convert_from($1, 'UTF8')::quanyu.audience)",
                       "SELECT quanyu.cardinality(quanyu.audience_or(convert_from($1, 'UTF8')::quanyu.audience, '{7,70000}'))"],
                      'audience_in', [b'{', b'}', b',', b'-', b'\\x', b'4294967295', b'3a30', b'3b30', b' '], True),
    'audience_bytea': (["SELECT quanyu.audience_out(quanyu.audience($1))",
                        "SELECT quanyu.audience_stats(quanyu.audience($1))",
                        "SELECT quanyu.audience_and(quanyu.audience($1), members), quanyu.audience_xor_count(quanyu.audience($1), members), "
                        "quanyu.audience_nth(quanyu.audience($1), 3), quanyu.audience_split(quanyu.audience($1), 3, 1) "
                        "FROM public.fz_audience"],
                       'portable', [b'\x3a\x30\x00\x00', b'\x3b\x30', b'\x00\x00\x00\x00', b'\xff\xff', b'\x00\x10'], False),
    'eval': (["SELECT quanyu.audience_eval(convert_from($1, 'UTF8'), ARRAY['vip','wecom','group','churned','\u5ba2\u6237'], "
              + AUDIENCES + ")",
              "SELECT quanyu.audience_eval(convert_from($1, 'UTF8'), 'public.fz_audience'::regclass)"],
             'eval', [b'&', b'|', b'-', b'^', b'(', b')', b'"', b'vip', b'wecom', b'churned', b'\xe5\xae\xa2\xe6\x88\xb7'], True),
    'identity_pattern': (["UPDATE quanyu.identity_rule SET blocked_pattern = convert_from($1, 'UTF8') WHERE id_type = 'fz'",
                          "SELECT quanyu.identity_normalize('fz', $2)"],
                         None, [b'(', b')', b'*', b'+', b'?', b'{1000}', b'[[:alpha:]]', b'\\m', b'(?:', b'\\1', b'|', b'^', b'$'], True),
    'identity_normalize': (["SELECT quanyu.identity_normalize(t, convert_from($1, 'UTF8')) "
                            "FROM unnest(ARRAY['phone','email','fz','*','new_type']) t"],
                           None, [b'+86', b'0086', b'@', b' ', b'\t', b'\xe3\x80\x80'], True),
    'retention_state': (["SELECT quanyu.retention_agg_final($1)",
                         "SELECT quanyu.retention_agg_combine($1, $1)",
                         "SELECT quanyu.retention_agg_final(quanyu.retention_agg_combine($1, public.fz_retention_state(true, false, true))) "
                         "FROM generate_series(1, 3)"],
                        None, [b'\x00\x00\x00\x00', b'\xff\xff\xff\xff', b'\x01\x00\x00\x00'], False),
}
ONE_STATEMENT = set()  # targets that run one of their statements per execution

PATTERN_SEEDS = [b'^(unknown|null|n/a)$', b'(a+)+b', b'[[:digit:]]{3,}', b'\\m\\w+\\M', b'^1{11}$',
                 b'((((x))))', b'a{1,100}b', b'(?i)AbC', b'[^@]+@[^@]+', b'(a|b)*c\\1']
VALUES = ['13800138000', 'null', 'A@B.com', '  x  ', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaab', '123', '\u5ba2\u6237']
NORMALIZE_SEEDS = [b'+86 138-0013-8000', b' User@Example.COM ', b'0086 13800138000', b'', b'\xe5\xae\xa2 x']
INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x30, 0x3a, 0x3b, ord('-'), ord('{'), ord('}')]


def load_seeds(name):
    out = []
    d = os.path.join(HERE, 'seeds', name) if name else None
    if d and os.path.isdir(d):
        for f in sorted(os.listdir(d)):
            with open(os.path.join(d, f), 'rb') as fh:
                out.append(fh.read())
    return out


def retention_seeds(cur):
    cur.execute("SELECT public.fz_retention_state(g % 2 = 0, g % 3 = 0, g % 5 = 0) FROM generate_series(1, 40) g "
                "UNION ALL SELECT public.fz_retention_state(true, true)")
    return [bytes(r[0]) for r in cur.fetchall()]


def mutate(data, corpus, dictionary, rng):
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 4, 8))):
        op = rng.randrange(8)
        if op == 0 and b:
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1 and b:
            b[rng.randrange(len(b))] = rng.choice(INTERESTING)
        elif op == 2:
            i = rng.randrange(len(b) + 1)
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5)))
        elif op == 3 and b:
            i = rng.randrange(len(b))
            del b[i:i + rng.randrange(1, 9)]
        elif op == 4 and b:
            i = rng.randrange(len(b))
            j = min(len(b), i + rng.randrange(1, 64))
            k = rng.randrange(len(b) + 1)
            b[k:k] = b[i:j] * rng.choice((1, 1, 2, 16))
        elif op == 5 and corpus:
            other = rng.choice(corpus)
            i = rng.randrange(len(b) + 1)
            j = rng.randrange(len(other) + 1)
            b = b[:i] + other[j:]
        elif op == 6 and dictionary:
            i = rng.randrange(len(b) + 1)
            b[i:i] = rng.choice(dictionary)
        elif op == 7 and len(b) >= 4:
            # a 16- or 32-bit field set to an edge value
            i = rng.randrange(len(b) - 3)
            b[i:i + rng.choice((2, 4))] = rng.choice((b'\xff\xff\xff\xff', b'\x00\x00\x00\x00', b'\x00\x00\x01\x00', b'\xff\x0f\x00\x00'))[:2 if rng.random() < .5 else 4]
    return bytes(b[:100000])


def save_crash(args, stmts, data, value, e, n):
    """Write the input and SQL reproducing it; wait for the server to restart."""
    name = os.path.join(args.crashes, 'sql-%s-%d' % (args.target, n))
    with open(name, 'wb') as fh:
        fh.write(data)
    with open(name + '.sql', 'w') as fh:
        fh.write('-- crashed the server: %s\n' % str(e).strip().replace('\n', ' '))
        fh.write("-- run test/fuzz/fuzz_data.sql first; $1 = '\\x%s'::bytea, $2 = %s\n" % (data.hex(), value))
        fh.write("SELECT public.fuzz_try(ARRAY[%s], '\\x%s'::bytea, '%s');\n" % (
            ', '.join("$q$%s$q$" % s for s in stmts), data.hex(), value.replace("'", "''")))
    print('CRASH: %s' % name, file=sys.stderr)
    time.sleep(2)
    return name


def connect(dbname):
    for _ in range(60):
        try:
            conn = psycopg2.connect(dbname=dbname, options='-c statement_timeout=2000 -c client_min_messages=error')
            conn.autocommit = True
            return conn
        except psycopg2.OperationalError:
            time.sleep(1)
    raise SystemExit('cannot reconnect to the server')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--target', required=True, choices=sorted(TARGETS))
    ap.add_argument('--seconds', type=float, default=60)
    ap.add_argument('--dbname', default='quanyu_fuzz')
    ap.add_argument('--crashes', default='.')
    ap.add_argument('--seed', type=int, default=None)
    args = ap.parse_args()
    stmts, seed_dir, dictionary, is_text = TARGETS[args.target]
    rng = random.Random(args.seed)
    conn = connect(args.dbname)
    cur = conn.cursor()
    if args.target == 'identity_pattern':
        corpus = list(PATTERN_SEEDS)
    elif args.target == 'identity_normalize':
        corpus = list(NORMALIZE_SEEDS)
    elif args.target == 'retention_state':
        corpus = retention_seeds(cur)
    else:
        corpus = load_seeds(seed_dir)
    corpus = [c for c in corpus] or [b'']
    execs = 0
    ok = 0
    states = {}
    crashes = []
    end = time.time() + args.seconds
    while time.time() < end:
        data = mutate(rng.choice(corpus), corpus, dictionary, rng)
        if is_text:
            # the server rejects invalid UTF-8 before any parser sees it
            data = data.decode('utf-8', 'ignore').replace('\x00', '').encode()
        value = rng.choice(VALUES)
        try:
            run = [rng.choice(stmts)] if args.target in ONE_STATEMENT else stmts
            cur.execute("SELECT public.fuzz_try(%s, %s, %s)", (run, psycopg2.Binary(data), value))
            state = cur.fetchone()[0]
        except psycopg2.errors.QueryCanceled:
            # statement_timeout: plpgsql's WHEN OTHERS does not catch it
            state = '57014'
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as e:
            if not conn.closed:
                state = e.pgcode or 'operational'
            else:
                crashes.append(save_crash(args, run, data, value, e, len(crashes)))
                conn = connect(args.dbname)
                cur = conn.cursor()
                execs += 1
                continue
        except psycopg2.Error as e:
            # an error outside fuzz_try's block (e.g. invalid bytes in a parameter)
            state = e.pgcode or 'client'
        execs += 1
        states[state] = states.get(state, 0) + 1
        if state is None:
            ok += 1
            if len(corpus) < 2000 and rng.random() < 0.05:
                corpus.append(data)
    elapsed = args.seconds
    top = sorted(((v, k) for k, v in states.items() if k is not None), reverse=True)[:5]
    summary = '%s: %d executions (%d/s), %d ok, errors %s' % (
        args.target, execs, execs / max(elapsed, 1), ok, ' '.join('%s:%d' % (k, v) for v, k in top) or 'none')
    if crashes:
        summary += ', %d CRASH(es), inputs and reproducing SQL: %s%s' % (
            len(crashes), ' '.join(crashes[:3]), ' ...' if len(crashes) > 3 else '')
    else:
        summary += ', no crash'
    print(summary)


if __name__ == '__main__':
    main()
