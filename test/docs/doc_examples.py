#!/usr/bin/env python3
"""Docs that run: every ```sql block of README.md and doc/*.md, checked.

Usage (from test/docs/doc_examples.sh, or by hand against a running server
with PGHOST/PGPORT/PGUSER set; QY_PSQL names the psql binary):

    python3 test/docs/doc_examples.py [--show] [FILE.md ...]

--show writes every block's output (stdout, then stderr) to stderr, headed
by FILE:LINE: the way to produce a ```text block by running the block.

The convention (doc/development.md, "Docs that run"):

* Every ```sql fenced block of a file runs, in file order, in one psql
  session per file (psql -X, ON_ERROR_STOP, input from stdin) against a
  fresh database where the extension is installed and search_path is
  "$user", public, quanyu.  The session runs as a superuser with the
  repository as its working directory.
* `<!-- doc-test: error -->` on the line before a block (blank lines
  allowed in between): the block must raise an error; the session goes on.
* `<!-- doc-test: skip: REASON -->`: the block is not run (REASON required).
* A ```text block right after a ```sql block (only blank lines between) is
  that block's output as psql prints it by default (aligned; for an error
  block, what psql prints to stderr: "ERROR:  ...", "DETAIL:  ...").  It is
  compared after trimming trailing spaces of every line and blank lines at
  both ends.  Command tags (CREATE TABLE, INSERT 0 3, COPY 3, SET, ...) are
  not compared: a text block may show them or leave them out.

Prints TAP: one test per file; a failure names FILE:LINE of the block and
shows the error or a diff.
"""

import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PSQL = os.environ.get("QY_PSQL", "psql")
TIMEOUT = int(os.environ.get("DOC_TIMEOUT", "120"))
SEARCH_PATH = '"$user", public, quanyu'
SHOW = False

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([A-Za-z0-9_+-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$")
# A command tag on a line of its own: CREATE TABLE, INSERT 0 3, SELECT 5, SET.
COMMAND_TAG = re.compile(r"^[A-Z][A-Z ]*[A-Z]( [0-9]+){0,2}$")


class Block:
    def __init__(self, line, lang, text):
        self.line = line          # 1-based line of the opening fence
        self.lang = lang
        self.text = text
        self.mode = "run"         # run | error | skip
        self.reason = None
        self.output = None        # Block of the ```text that follows
        self.bad_marker = None


def parse(path):
    """Fenced blocks of a markdown file, sql blocks with marker and output."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = []
    problems = []
    pending = None          # (line, marker text) waiting for its block
    i = 0
    last_nonblank = None    # index into blocks of a block closed just before
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if m:
            indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
            start = i
            body = []
            i += 1
            while i < len(lines):
                c = FENCE.match(lines[i])
                if c and c.group(2)[0] == fence[0] and len(c.group(2)) >= len(fence) and not c.group(3):
                    break
                body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
                i += 1
            if i >= len(lines):
                problems.append((start + 1, "fence opened here is never closed"))
            b = Block(start + 1, lang, "\n".join(body))
            if lang == "text" and last_nonblank is not None and blocks[last_nonblank].lang == "sql" \
                    and blocks[last_nonblank].output is None:
                blocks[last_nonblank].output = b
            if pending is not None:
                if lang != "sql":
                    problems.append((pending[0], "doc-test marker not followed by a ```sql block"))
                else:
                    kind = pending[1]
                    if kind == "error":
                        b.mode = "error"
                    elif re.match(r"^skip:\s*\S", kind):
                        b.mode = "skip"
                        b.reason = kind.split(":", 1)[1].strip()
                    else:
                        problems.append((pending[0], "unknown doc-test marker %r (use 'error' or 'skip: REASON')" % kind))
                pending = None
            blocks.append(b)
            last_nonblank = len(blocks) - 1
            i += 1
            continue
        mk = MARKER.match(line)
        if mk:
            if pending is not None:
                problems.append((pending[0], "doc-test marker not followed by a ```sql block"))
            pending = (i + 1, mk.group(1))
            last_nonblank = None
        elif line.strip():
            if pending is not None:
                problems.append((pending[0], "doc-test marker not followed by a ```sql block"))
                pending = None
            last_nonblank = None
        i += 1
    if pending is not None:
        problems.append((pending[0], "doc-test marker not followed by a ```sql block"))
    return [b for b in blocks if b.lang == "sql"], problems


def unterminated(sql):
    """True when the block's last statement has no terminating semicolon."""
    # Drop -- comments outside quotes is overkill here: docs put comments
    # after the semicolon or on lines of their own.
    last = ""
    for line in sql.split("\n"):
        s = line.strip()
        if not s or s.startswith("--"):
            continue
        last = s
    if not last or last.startswith("\\"):
        return False
    code = re.sub(r"\s--.*$", "", last).rstrip()
    return not (code.endswith(";") or code.endswith("\\gx") or code.endswith("\\g"))


def normalize(text):
    lines = [l.rstrip() for l in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def untagged(lines):
    """lines without command tags (CREATE TABLE, INSERT 0 3, COPY 3, SET)."""
    return normalize("\n".join(l for l in lines if not COMMAND_TAG.match(l)))


def psql(db, *args, stdin=None):
    return subprocess.run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db] + list(args),
                          input=stdin, capture_output=True, text=True, cwd=REPO)


def fresh_db(db):
    r = psql("postgres", "-c", "SET client_min_messages = warning",
             "-c", "DROP DATABASE IF EXISTS %s" % db, "-c", "CREATE DATABASE %s" % db)
    if r.returncode == 0:
        r = psql(db, "-c", "CREATE EXTENSION quanyu",
                 "-c", "ALTER DATABASE %s SET search_path = %s" % (db, SEARCH_PATH))
    if r.returncode != 0:
        raise RuntimeError("cannot create %s: %s" % (db, r.stderr.strip()))


def roles():
    r = psql("postgres", "-At", "-c", "SELECT rolname FROM pg_roles")
    return set(r.stdout.split("\n")) - {""}


def split_stream(text, marker):
    """{block index: text} from a stream cut by marker lines."""
    parts = {}
    cur = None
    buf = []
    for line in text.split("\n"):
        m = re.match(r"^" + marker + r" (\d+|end)$", line)
        if m:
            if cur is not None:
                parts[cur] = "\n".join(buf)
            cur = m.group(1)
            buf = []
        else:
            buf.append(line)
    if cur is not None:
        parts[cur] = "\n".join(buf)
    return parts


def run_file(path, db):
    """(ok, summary, diagnostics) for one markdown file."""
    rel = os.path.relpath(path, REPO)
    blocks, problems = parse(path)
    diags = []
    for line, msg in problems:
        diags.append("%s:%d: %s" % (rel, line, msg))
    counts = {"run": 0, "error": 0, "skip": 0, "compared": 0}
    skips = []
    script = ["\\set ON_ERROR_STOP 1"]
    marker = "@@quanyu-doc-block"
    for n, b in enumerate(blocks):
        counts[b.mode] += 1
        if b.mode == "skip":
            skips.append("%d (%s)" % (b.line, b.reason))
            continue
        if unterminated(b.text):
            diags.append("%s:%d: the block's last statement does not end with ';'" % (rel, b.line))
            continue
        if b.output is not None:
            counts["compared"] += 1
        script.append("\\echo %s %d" % (marker, n))
        script.append("\\warn %s %d" % (marker, n))
        if b.mode == "error":
            script.append("\\set ON_ERROR_STOP 0")
        script.append(b.text)
        if b.mode == "error":
            script.append("\\set ON_ERROR_STOP 1")
    script.append("\\echo %s end" % marker)
    script.append("\\warn %s end" % marker)
    summary = "%d sql blocks: %d run, %d expected errors, %d outputs compared, %d skipped" % (
        len(blocks), counts["run"], counts["error"], counts["compared"], counts["skip"])
    if skips:
        summary += "; skipped at line " + ", ".join(skips)
    if diags:
        return False, summary, diags
    if not blocks:
        return True, summary, diags
    fresh_db(db)
    roles_before = roles()
    started = time.time()
    # psql runs in a scratch directory that looks like the clone's top
    # directory for reading (test/data links to the clone's test/data), so
    # files an example writes (\copy ... TO 'x') never land in the clone.
    workdir = tempfile.mkdtemp(prefix="quanyu-doc-")
    os.mkdir(os.path.join(workdir, "test"))
    os.symlink(os.path.join(REPO, "test", "data"), os.path.join(workdir, "test", "data"))
    try:
        r = subprocess.run([PSQL, "-X", "-d", db], input="\n".join(script) + "\n",
                           capture_output=True, text=True, cwd=workdir, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, summary, ["%s: did not finish in %d s" % (rel, TIMEOUT)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        # Roles belong to the cluster: drop the ones the file created (with
        # its database), so every file and every run starts alike.
        new_roles = roles() - roles_before
        psql("postgres", "-c", "SET client_min_messages = warning", "-c", "DROP DATABASE IF EXISTS %s" % db)
        for role in sorted(new_roles):
            psql("postgres", "-c", 'DROP ROLE IF EXISTS "%s"' % role.replace('"', '""'))
    summary += " (%.1f s)" % (time.time() - started)
    out = split_stream(r.stdout, marker)
    err = split_stream(r.stderr, marker)
    if SHOW:
        for n, b in enumerate(blocks):
            if str(n) in err:
                sys.stderr.write("==== %s:%d%s\n%s\n%s\n" % (rel, b.line, " (error)" if b.mode == "error" else "",
                                 "\n".join(normalize(out.get(str(n), ""))),
                                 "\n".join(normalize(err.get(str(n), "")))))
    ran = [int(k) for k in err if k != "end"]
    stopped = None
    if "end" not in err:
        # ON_ERROR_STOP ended the session in the last block that started.
        stopped = max(ran) if ran else -1
    for n, b in enumerate(blocks):
        if b.mode == "skip" or (stopped is not None and n >= stopped):
            continue
        o = out.get(str(n), "")
        e = err.get(str(n), "")
        if b.mode == "error" and not re.search(r"^(ERROR|FATAL):", e, re.M):
            diags.append("%s:%d: marked doc-test: error, but the block raised no error" % (rel, b.line))
        if b.output is None:
            continue
        actual = normalize(e if b.mode == "error" else o)
        expected = normalize(b.output.text)
        if untagged(actual) == untagged(expected):
            continue
        diags.append("%s:%d: the output differs from the text block at line %d (- documented, + actual):"
                     % (rel, b.line, b.output.line))
        for l in difflib.unified_diff(expected, actual, "documented", "actual", lineterm="", n=2):
            diags.append("  " + l)
    if stopped is not None:
        where = "%s:%d" % (rel, blocks[stopped].line) if stopped >= 0 else rel
        msg = (err.get(str(stopped), "") if stopped >= 0 else r.stderr).strip() or r.stderr.strip()
        diags.append("%s: the block failed (psql exit %d), the blocks after it did not run:" % (where, r.returncode))
        diags.extend("  " + l for l in msg.split("\n"))
    return not diags, summary, diags


def main(argv):
    global SHOW
    if len(argv) > 1 and argv[1] == "--show":
        SHOW = True
        argv = argv[:1] + argv[2:]
    if len(argv) > 1:
        files = [os.path.abspath(a) for a in argv[1:]]
    else:
        files = [os.path.join(REPO, "README.md")]
        docdir = os.path.join(REPO, "doc")
        files += sorted(os.path.join(docdir, f) for f in os.listdir(docdir) if f.endswith(".md"))
    only = os.environ.get("DOC_ONLY")
    if only:
        files = [f for f in files if re.search(only, os.path.relpath(f, REPO))]
    print("1..%d" % len(files))
    failed = 0
    started = time.time()
    for i, path in enumerate(files, 1):
        rel = os.path.relpath(path, REPO)
        try:
            ok, summary, diags = run_file(path, "quanyu_doc_%d" % i)
        except Exception as exc:  # a harness problem fails the file, visibly
            ok, summary, diags = False, "harness error", [str(exc)]
        if ok:
            print("ok %d - %s" % (i, rel))
        else:
            print("not ok %d - %s" % (i, (diags[0] if diags else rel).split("\n")[0][:160]))
        print("# %s: %s" % (rel, summary))
        for d in diags:
            for line in d.split("\n"):
                print("#   " + line)
        if not ok:
            failed += 1
        sys.stdout.flush()
    print("# %d files in %.1f s" % (len(files), time.time() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
