#!/usr/bin/env python3
"""Load benchmark of the HTTP API against the database's own ceiling.

One command per database:
    python3 bench/load.py --db postgres
    python3 bench/load.py --db sqlite

What it does:
1. A fresh database (PostgreSQL: `dvc_bench_load`, dropped and created;
   SQLite: a file in a temporary directory), the demo catalogue and
   `dvc seed synthetic --dossiers N --seed 1` (N = 3000 by default).
2. Captures the exact SQL the API issues for ONE request of each workload:
   on PostgreSQL with `ALTER DATABASE <db> SET log_statement = 'all'` (reset
   afterwards) and the server log under /var/log/postgresql/. The SQLite run
   captures the same requests on a scratch PostgreSQL database
   (`dvc_bench_load_capture`): both backends go through the same diesel
   query builder; the SQLite-only statement (`UPDATE write_lock`, first in
   every write transaction, see persistence/src/connection.rs) is added.
3. Starts `dvc serve` (DVC_BIN, default target/release/dvc) on a free port and
   drives it with wrk (one wrk thread, `--latency`, a Lua script per
   workload) at 1, 8 and 32 connections, each for --duration seconds,
   --repeats times:
     submit   POST /api/v1/dossiers, online, two documents (citizen)
     receive  POST /api/v1/dossiers/{code}/receive (officer of the receiving
              agency), a different freshly submitted dossier per request (the
              Lua script walks a list of codes; stock is topped up by
              unrecorded submissions when short)
     get      GET /api/v1/dossiers/{code} (officer), walking the agency's codes
     list     GET /api/v1/dossiers?status=returned&limit=50 (officer)
   The server's peak memory (VmHWM) is read per workload (reset between
   workloads through /proc/<pid>/clear_refs).
4. With the server stopped, replays the captured statements as the
   ceiling at the same concurrency and duration:
     PostgreSQL: `pgbench -n -M prepared -f <script> -c C -j min(C,2) -T D`;
       every captured parameter is a pgbench variable (-D), so the statements
       are the API's text with bound parameters; what must differ per
       transaction (dossier code, ids, change sequence) comes from `\\gset`.
     SQLite: Python's sqlite3 module, C threads, each with its own connection
       and the server's PRAGMAs (WAL, synchronous=NORMAL, busy_timeout,
       foreign_keys), the same statements with bound parameters.
5. Writes bench/results/load-<db>-<UTC date>.json and .txt (with the
   captured statements and the machine's load) and prints a summary table.

Standard library only; talks to 127.0.0.1 only. Needs wrk (and pgbench,
psql for PostgreSQL). Run as a user who can read the PostgreSQL server log.
"""
import argparse, datetime, hashlib, json, os, random, re, socket, sqlite3, subprocess, sys, tempfile, threading, time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("DVC_BIN", os.path.join(ROOT, "target", "release", "dvc"))
SECRET = "bench-secret-0123456789abcdef"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_LOG = os.environ.get("BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log")
AGENCY = "000.00.05.H56"  # Sở KH&ĐT in the demo catalogue: receives 2.001610
PROCEDURE = "2.001610"
CITIZEN = "001099012345"
SUBMISSION = {
    "procedure": PROCEDURE,
    "applicant": {"kind": "citizen", "id_number": CITIZEN, "name": "Nguyễn Văn An", "phone": "0912 345 678", "email": "an@example.vn"},
    "summary": "Doanh nghiệp tư nhân An Phát",
    "documents": [
        {"component_code": "TP01", "name": "giay-de-nghi.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQKJSBkdmMgdGVzdA=="},
        {"component_code": "TP02", "name": "cccd.jpg", "media_type": "image/jpeg", "content_base64": "/9j/4AAQSkZJRgABAQ=="},
    ],
}
# An agency numbers at most 9,999 dossiers a day (docs/RULES.md §4.1, the code's four
# digits) and a fast run submits more than that: each submit run goes to the
# next (agency, procedure) of the demo catalogue, all online, two documents.
SUBMIT_TARGETS = [(AGENCY, PROCEDURE), ("000.00.06.H56", "1.003726"), ("000.00.21.H56", "1.001612"),
                  ("000.00.22.H56", "1.001612"), ("000.00.23.H56", "1.001612"), ("000.00.24.H56", "1.001612"),
                  ("000.01.21.H56", "1.001193"), ("000.02.21.H56", "1.001193"), ("000.00.21.H56", "2.000633")]
MAX_COUNTER = 9999
# Receptions need a fresh submitted dossier each, tens of thousands on a fast
# backend: they are imported (POST /api/v1/imports/dossiers, an admin) as
# online submissions of past days (each day its own counter) with no further
# event, i.e. in status `submitted`, at AGENCY; the capture checks that their
# reception issues the same statements as that of a dossier submitted today.
STOCK_AGENCIES = [AGENCY]
# --spread: the writes go to every agency of SUBMIT_TARGETS in turn (each
# submission to the next, the receptions' stock imported across them), and
# the ceiling's receptions carry their dossier's agency: writes to different
# agencies share no row, so what serialises them is what the code shares.
SPREAD = {}  # agency -> the procedure it receives, when spread
# `returned`: the seeded dossiers of the year, a list the write workloads do
# not change (their submitted stock would make the inbox grow run by run)
LIST_PATH = "/api/v1/dossiers?status=returned&limit=50"
WORKLOADS = ["submit", "receive", "get", "list"]
WRITES = {"submit", "receive"}


# ---------------------------------------------------------------- helpers

def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def psql(sql, db="postgres"):
    return subprocess.run(["psql", f"{PG}/{db}", "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def machine():
    load = open("/proc/loadavg").read().split()[:3]
    # what uses the CPU right now: the second sample of top (0.5 s)
    top = subprocess.run(["top", "-b", "-n", "2", "-d", "0.5", "-w", "200"], capture_output=True, text=True).stdout
    block = top.split("PID USER")[-1].splitlines()[1:]
    busy = []
    for l in block:
        f = l.split()
        if len(f) >= 12 and float(f[8].replace(",", ".")) >= 5:
            busy.append(f"{f[11]} {f[8]}%")
    return {"at": datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S"), "loadavg": load, "top": busy[:5]}


def token(env, role, agency=None, sub=None):
    args = [BIN, "token", "--role", role, "--ttl", "4h"]
    if agency:
        args += ["--agency", agency]
    if sub:
        args += ["--sub", sub]
    return subprocess.check_output(args, env=env).decode().strip()


def call(base, method, path, tok, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"authorization": "Bearer " + tok, "content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


class Server:
    def __init__(self, env, port):
        self.p = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready")
                return
            except Exception:
                if self.p.poll() is not None:
                    raise SystemExit("dvc serve exited")
                time.sleep(0.05)
        raise SystemExit("dvc serve did not become ready")

    def status(self, key):
        for line in open(f"/proc/{self.p.pid}/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024  # MB
        return None

    def reset_peak(self):
        try:
            with open(f"/proc/{self.p.pid}/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM to the current RSS
            return True
        except OSError:
            return False

    def stop(self):
        self.p.terminate()
        self.p.wait()


# ---------------------------------------------------------------- wrk

LUA_COMMON = r'''
local token = os.getenv("BENCH_TOKEN")
local threads = {}
function setup(thread) table.insert(threads, thread) end
-- answers other than 2xx, by status, and the first one's body
bad = ""
first_bad = ""
local counts = {}
function response(status, headers, body)
  if status >= 300 then
    counts[status] = (counts[status] or 0) + 1
    local parts = {}
    for k, v in pairs(counts) do parts[#parts + 1] = string.format('"%d":%d', k, v) end
    bad = table.concat(parts, ",")
    if first_bad == "" then first_bad = string.gsub(string.sub(body or "", 1, 200), '[%c"\\]', " ") end
  end
end
function done(summary, latency, requests)
  local e = summary.errors
  local b, f = "", ""
  for _, t in ipairs(threads) do b = b .. (t:get("bad") or ""); f = f .. (t:get("first_bad") or "") end
  io.write(string.format('JSON:{"requests":%d,"duration_us":%d,"status_errors":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"by_status":{%s},"first_bad":"%s"}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean, b, f))
end
'''
LUA = {
    "submit": LUA_COMMON + r'''
wrk.method = "POST"
wrk.headers["authorization"] = "Bearer " .. token
wrk.headers["content-type"] = "application/json"
local f = io.open(os.getenv("BENCH_BODY")); wrk.body = f:read("*a"); f:close()
-- BENCH_BODIES (files separated by ";"): each request the next body
local bodies = {}
for path in string.gmatch(os.getenv("BENCH_BODIES") or "", "([^;]+)") do
  local g = io.open(path); bodies[#bodies + 1] = g:read("*a"); g:close()
end
if #bodies > 0 then
  local i = 0
  function request()
    i = i + 1
    if i > #bodies then i = 1 end
    return wrk.format(nil, nil, nil, bodies[i])
  end
end
''',
    # walks a list of codes, one per request (one wrk thread: no sharing)
    # lines "code agency"; the officer's token of that agency
    "receive": LUA_COMMON + r'''
local hdrs = {}
for agency, tok in string.gmatch(os.getenv("BENCH_TOKENS"), "([^=;]+)=([^;]+)") do
  hdrs[agency] = {["authorization"] = "Bearer " .. tok, ["content-type"] = "application/json"}
end
local codes, agencies = {}, {}
for line in io.lines(os.getenv("BENCH_CODES")) do
  local c, a = string.match(line, "(%S+) (%S+)")
  codes[#codes + 1] = c
  agencies[#agencies + 1] = a
end
local i = 0
function request()
  i = i + 1
  if i > #codes then i = 1 end
  return wrk.format("POST", "/api/v1/dossiers/" .. codes[i] .. "/receive", hdrs[agencies[i]], "{}")
end
''',
    "get": LUA_COMMON + r'''
local codes = {}
for line in io.lines(os.getenv("BENCH_CODES")) do codes[#codes + 1] = line end
local i = 0
local hdr = {["authorization"] = "Bearer " .. token}
function request()
  i = i + 1
  if i > #codes then i = 1 end
  return wrk.format("GET", "/api/v1/dossiers/" .. codes[i], hdr)
end
''',
    "list": LUA_COMMON + r'''
wrk.headers["authorization"] = "Bearer " .. token
''',
}


def wrk(ctx, workload, conns, duration, codes_file=None, body_file=None):
    env = dict(os.environ, BENCH_TOKEN=ctx["tokens"]["citizen" if workload == "submit" else "officer"],
               BENCH_TOKENS=";".join(f"{a}={t}" for a, t in ctx["tokens"]["agencies"].items()),
               BENCH_BODY=body_file or ctx["body_file"], BENCH_CODES=codes_file or "",
               BENCH_BODIES=ctx.get("bodies", "") if workload == "submit" else "")
    path = LIST_PATH if workload == "list" else ("/api/v1/dossiers" if workload == "submit" else "/")
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency", "--timeout", "10s",
           "-s", ctx["lua"][workload], ctx["base"] + path]
    for attempt in range(2):
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if p.returncode == 0:
            break
        log(f"  wrk failed ({p.returncode}): {p.stderr.strip()[:300]} {p.stdout.strip()[-300:]}" + ("; once more" if attempt == 0 else ""))
    else:
        raise SystemExit("wrk failed twice")
    out = p.stdout
    m = re.search(r"^JSON:(.*)$", out, re.M)
    if not m:
        raise SystemExit("wrk gave no summary:\n" + out)
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    return {"rps": r["requests"] / secs, "requests": r["requests"], "non2xx": r["status_errors"],
            "socket_errors": r["connect"] + r["read"] + r["write"] + r["timeout"],
            "p50_ms": r["p50_us"] / 1000, "p90_ms": r["p90_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
            "max_ms": r["max_us"] / 1000, "bad_by_status": r["by_status"], "first_bad": r["first_bad"], "wrk_output": out}


# ---------------------------------------------------------------- capture

ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \w+ \[(\d+)\] (\S*)\s*(LOG|DETAIL|ERROR|STATEMENT|WARNING|HINT|CONTEXT):  (.*)$")


def parse_params(s):
    """`$1 = 'a''b', $2 = NULL` -> {1: "a'b", 2: None}"""
    out, i = {}, 0
    while i < len(s):
        m = re.compile(r"\s*,?\s*\$(\d+) = ").match(s, i)
        if not m:
            break
        n, i = int(m.group(1)), m.end()
        if s.startswith("NULL", i):
            out[n], i = None, i + 4
            continue
        assert s[i] == "'", s[i:i + 40]
        i += 1
        buf = []
        while True:
            j = s.index("'", i)
            buf.append(s[i:j])
            if s.startswith("''", j):
                buf.append("'")
                i = j + 2
            else:
                i = j + 1
                break
        out[n] = "".join(buf)
    return out


def read_log(start, db):
    """Statements logged for `db` after byte offset `start`: [(pid, sql, params)]."""
    with open(PG_LOG, "rb") as f:
        f.seek(start)
        text = f.read().decode("utf-8", "replace")
    entries = []
    for line in text.split("\n"):
        m = ENTRY.match(line)
        if m:
            entries.append([m.group(1), m.group(2), m.group(3), m.group(4)])
        elif entries and line.startswith("\t"):
            entries[-1][3] += "\n" + line[1:]
    out = []
    for pid, who, kind, msg in entries:
        if not who.endswith("@" + db):
            continue
        if kind == "LOG":
            m = re.match(r"(?:execute [^:]+|statement): (.*)$", msg, re.S)
            if m:
                out.append([pid, m.group(1).strip(), {}])
        elif kind == "DETAIL" and msg.startswith("parameters: ") and out:
            out[-1][2] = parse_params(msg[len("parameters: "):])
    return out


# the background workers' polls (webhook deliveries, the portal outbox)
BACKGROUND = ('FROM "webhooks"', "webhook_deliveries", "UPDATE changes SET next_attempt_at")


def request_statements(stmts):
    """The statements of the request, without the background workers' polls:
    a poll is dropped with the transaction it ran in (BEGIN to COMMIT or
    ROLLBACK on one connection), or alone outside one. (A connection is no
    longer pinged with `SELECT 1` at every checkout, so checkouts cannot be
    told apart by it.)"""
    groups, open_tx = [], {}
    for pid, sql, params in stmts:
        word = sql.split(None, 1)[0].upper() if sql.strip() else ""
        if pid in open_tx:
            open_tx[pid][1].append((sql, params))
            if word in ("COMMIT", "ROLLBACK"):
                groups.append(open_tx.pop(pid))
            continue
        group = (pid, [(sql, params)])
        if word == "BEGIN":
            open_tx[pid] = group
        else:
            groups.append(group)
    groups.extend(open_tx.values())
    keep = []
    for _, g in groups:
        if any(any(b in sql for b in BACKGROUND) for sql, _ in g):
            continue
        keep.extend(g)
    return keep


def capture(env, port, db, seed_n):
    """One request of each workload with log_statement = 'all' on `db`."""
    psql(f"ALTER DATABASE {db} SET log_statement = 'all'")
    try:
        srv = Server(env, port)
        base = f"http://127.0.0.1:{port}"
        cit = token(env, "citizen", sub=CITIZEN)
        off = token(env, "officer", agency=AGENCY, sub="officer.khdt")
        call(base, "POST", "/api/v1/dossiers", cit, SUBMISSION)  # warm: prepared statements, calendar
        cap, codes = {}, {}

        def one(name, fn):
            # twice; the shorter capture wins (a background poll may slip
            # into the window despite the filter)
            best = None
            for _ in range(2):
                time.sleep(0.2)
                start = os.path.getsize(PG_LOG)
                r = fn()
                time.sleep(0.4)
                got = request_statements(read_log(start, db))
                if best is None or len(got) < len(best[0]):
                    best = (got, r)
            cap[name] = best[0]
            codes[name] = best[1].get("code") if isinstance(best[1], dict) else None
            return best[1]

        code = one("submit", lambda: call(base, "POST", "/api/v1/dossiers", cit, SUBMISSION))["code"]
        fresh = [call(base, "POST", "/api/v1/dossiers", cit, SUBMISSION)["code"] for _ in range(2)]
        one("receive", lambda: call(base, "POST", f"/api/v1/dossiers/{fresh.pop()}/receive", off, {}))
        # the receive stock is imported: its reception must issue the same statements
        adm = token(env, "admin")
        imp = call(base, "POST", "/api/v1/imports/dossiers", adm, {"dossiers": [
            {"procedure": PROCEDURE, "agency": AGENCY, "channel": "online", "applicant": SUBMISSION["applicant"], "summary": "stock",
             "submitted_at": f"2026-01-02T09:00:0{i}+07:00", "events": [], "documents": SUBMISSION["documents"]} for i in range(2)]})
        imported = [x["code"] for x in imp["imported"]]
        one("receive_imported", lambda: call(base, "POST", f"/api/v1/dossiers/{imported.pop()}/receive", off, {}))
        one("get", lambda: call(base, "GET", f"/api/v1/dossiers/{code}", off))
        one("list", lambda: call(base, "GET", LIST_PATH, off))
        srv.stop()
    finally:
        psql(f"ALTER DATABASE {db} RESET log_statement")
    return cap, codes


# ---------------------------------------------------------------- the ceiling's transactions

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def template(workload, stmts, code):
    """Captured statements -> [(kind, sql, params)] where each parameter is
    ("lit", v) | ("code",) | ("tmpl", v with the code as @@C@@) | ("id", k) |
    ("seq",); kind marks the statements whose answer the next ones need."""
    ids, out = {}, []
    for sql, params in stmts:
        kind = None
        if sql.startswith('SELECT "dossier_counters"."last"'):
            kind = "counter"
        elif sql.startswith('SELECT "change_counter"."last"'):
            kind = "change_seq"
        elif sql.startswith("INSERT INTO dossier_counters") and "RETURNING last" in sql:
            kind = "counter_returning"
        elif sql.startswith("UPDATE change_counter") and "RETURNING last" in sql:
            kind = "change_seq_returning"
        ps = {}
        for n, v in params.items():
            if workload == "list":  # the same page every time
                ps[n] = ("lit", v)
            elif SPREAD and workload == "receive" and v == AGENCY:  # the dossier's agency
                ps[n] = ("agency",)
            elif sql.startswith('INSERT INTO "changes" ("seq"') and n == 1:  # a binary before the sequencer
                ps[n] = ("seq",)
            elif v is not None and v == code:
                ps[n] = ("code",)
            elif v is not None and code in v:
                ps[n] = ("tmpl", v.replace(code, "@@C@@"))
            elif v is not None and UUID.match(v):
                ps[n] = ("id", ids.setdefault(v, str(len(ids))))
            else:
                ps[n] = ("lit", v)
        out.append((kind, sql, ps))
    return out


def pgbench_script(workload, tpl, code, dir_):
    """A pgbench script and its -D variables."""
    prefix = code.rsplit("-", 1)[0] + "-P"
    lines, defs = [], {}
    if workload == "receive":
        lines.append("SELECT code, agency FROM bench_queue WHERE i = (SELECT nextval('bench_take')) \\gset")
    elif workload == "get":
        lines.append("\\set i random(1, :ncodes)")
        lines.append("SELECT code FROM bench_codes WHERE i = :i \\gset")
    for k, (kind, sql, ps) in enumerate(tpl):
        def sub(m):
            p = ps.get(int(m.group(1)))
            if p is None:
                return m.group(0)
            if p[0] == "lit":
                if p[1] is None:
                    return "NULL"
                name = f"p{k}_{m.group(1)}"
                defs[name] = p[1]
                return ":" + name
            if p[0] == "code":
                return ":code"
            if p[0] == "seq":
                return ":seq"
            if p[0] == "agency":
                return ":agency"
            if p[0] == "id":
                return f"md5(:code || '-{workload}-{p[1]}')"
            name = f"t{k}_{m.group(1)}"
            defs[name] = p[1]
            return f"replace(:{name}, '@@C@@', :code)"
        text = re.sub(r"ANY\(\$(\d+)\)", lambda m: f"ANY(({sub(m)})::text[])" if ps.get(int(m.group(1)), ("lit",))[0] == "tmpl" else m.group(0), sql)
        text = re.sub(r"\$(\d+)", sub, text).replace("\n", " ")
        if kind == "counter":
            text = text.replace('SELECT "dossier_counters"."last"',
                                f'SELECT "dossier_counters"."last", \'{prefix}\' || "dossier_counters"."last" AS code', 1) + " \\gset"
        elif kind == "change_seq":
            text = text.replace('SELECT "change_counter"."last"', 'SELECT "change_counter"."last" AS seq', 1) + " \\gset"
        elif kind == "counter_returning":
            text = text.replace("RETURNING last", f"RETURNING last, '{prefix}' || last AS code", 1) + " \\gset"
        elif kind == "change_seq_returning":
            text = text.replace("RETURNING last", "RETURNING last AS seq", 1) + " \\gset"
        else:
            text += ";"
        lines.append(text)
    path = os.path.join(dir_, f"{workload}.sql")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path, defs


def pgbench(db, script, defs, conns, duration=None, transactions=None):
    cmd = ["pgbench", "-n", "-M", "prepared", "-f", script, "-c", str(conns), "-j", str(min(conns, 2))]
    cmd += ["-T", str(duration)] if duration else ["-t", str(transactions)]
    for k, v in defs.items():
        cmd += ["-D", f"{k}={v}"]
    cmd += [f"{PG}/{db}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("pgbench failed:\n" + r.stdout + r.stderr)
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", r.stdout).group(1))
    lat = re.search(r"latency average = ([\d.]+) ms", r.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", r.stdout)
    return {"tps": tps, "latency_avg_ms": float(lat.group(1)) if lat else None,
            "failed": int(failed.group(1)) if failed else 0, "output": re.sub(r"/tmp/[^/\s]+/", "<tmp>/", r.stdout)}


# SQLite: the same statements through Python's sqlite3 module

def sqlite_sql(sql, ps):
    """PostgreSQL text -> SQLite text: $n -> ?n; `= ANY($n)` -> `IN (?a, ?b..)`
    as diesel writes eq_any on SQLite. Returns (sql, [(n, param)])."""
    top = max(ps) if ps else 0
    extra = []

    def any_(m):
        nonlocal top
        n = int(m.group(1))
        p = ps[n]
        items = p[1].strip("{}").split(",") if p[0] == "lit" and p[1] not in (None, "{}") else []
        if p[0] == "code" or (p[0] == "tmpl" and p[1] == "{@@C@@}"):
            items = [("code",)]
        else:
            items = [("lit", x.strip('"')) for x in items]
        marks = []
        for it in items:
            top += 1
            extra.append((top, it))
            marks.append(f"?{top}")
        return "IN (" + ", ".join(marks) + ")"

    text = re.sub(r"= ANY\(\$(\d+)\)", any_, sql)
    text = re.sub(r"\$(\d+)", r"?\1", text)
    binds = [(n, p) for n, p in ps.items()] + extra
    return text, binds


def py_value(p, vars_, workload):
    if p[0] == "code":
        return vars_["code"]
    if p[0] == "seq":
        return vars_["seq"]
    if p[0] == "id":
        return hashlib.md5((vars_["code"] + "-" + workload + "-" + p[1]).encode()).hexdigest()
    if p[0] == "tmpl":
        return p[1].replace("@@C@@", vars_["code"])
    v = p[1]
    if v is None:
        return None
    if v in ("t", "f"):
        return 1 if v == "t" else 0
    if v.startswith("\\x"):
        return bytes.fromhex(v[2:])
    if re.fullmatch(r"-?(0|[1-9]\d{0,17})", v):
        return int(v)
    return v


def sqlite_plan(workload, tpl):
    plan = []
    writes = workload in WRITES
    for kind, sql, ps in tpl:
        if sql == "BEGIN" and writes:
            plan.append((None, "BEGIN", []))
            plan.append((None, "UPDATE write_lock SET n = n + 1 WHERE id = 1", []))  # write_transaction on SQLite
            continue
        text, binds = sqlite_sql(sql, ps)
        plan.append((kind, text, binds))
    return plan


def _sqlite_worker(path, workload, plan, prefix, t, conns, duration, codes, out):
    """One process (no GIL shared with the others), its own connection."""
    c = sqlite3.connect(path, isolation_level=None, cached_statements=256)
    c.executescript("PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
    rnd = random.Random(t)
    mine = iter(codes[t::conns]) if workload == "receive" else None
    done, errors, lat = 0, [], []
    end = time.time() + duration
    while time.time() < end:
        t1 = time.perf_counter()
        vars_ = {}
        if workload == "receive":
            vars_["code"] = next(mine, None)
            if vars_["code"] is None:
                errors.append("out of codes")
                break
        elif workload == "get":
            vars_["code"] = codes[rnd.randrange(len(codes))]
        try:
            for kind, sql, binds in plan:
                args = {n: py_value(p, vars_, workload) for n, p in binds}
                vals = tuple(args.get(i) for i in range(1, max(args) + 1)) if args else ()
                rows = c.execute(sql, vals).fetchall()
                if kind in ("counter", "counter_returning"):
                    vars_["code"] = f"{prefix}{rows[0][0]}"
                elif kind in ("change_seq", "change_seq_returning"):
                    vars_["seq"] = rows[0][0]
            done += 1
            lat.append(time.perf_counter() - t1)
        except sqlite3.Error as e:
            errors.append(str(e))
            if c.in_transaction:
                c.execute("ROLLBACK")
            if len(errors) > 100:
                break
    c.close()
    out.put((done, errors[:5], len(errors), lat))


def sqlite_ceiling(path, workload, plan, prefix, conns, duration, codes=None):
    """The statements through the SQLite library from `conns` processes."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    ps = [ctx.Process(target=_sqlite_worker, args=(path, workload, plan, prefix, t, conns, duration, codes or [], q))
          for t in range(conns)]
    t0 = time.time()
    for p in ps:
        p.start()
    got = [q.get() for _ in ps]
    secs = time.time() - t0
    for p in ps:
        p.join()
    errors = [e for _, es, _, _ in got for e in es]
    lat = sorted(x for *_, l in got for x in l) or [0]
    return {"tps": sum(d for d, *_ in got) / secs, "transactions": sum(d for d, *_ in got),
            "errors": sum(n for _, _, n, _ in got), "first_errors": sorted(set(errors))[:3],
            "p50_ms": lat[len(lat) // 2] * 1000, "p99_ms": lat[int(len(lat) * 0.99)] * 1000}


def explain_list(a_db, db, sqlite_path, stmts):
    """The plan of the list page's dossier query, with the captured values."""
    sql, params = next((s, p) for s, p in stmts if s.startswith('SELECT "dossiers"."code"') and "ORDER BY" in s)
    if a_db == "postgres":
        lit = lambda v: "NULL" if v is None else "'" + v.replace("'", "''") + "'"
        text = re.sub(r"\$(\d+)", lambda m: lit(params[int(m.group(1))]), sql)
        return psql("EXPLAIN (ANALYZE, COSTS OFF) " + text, db)
    plan = sqlite_plan("list", [(None, sql, {n: ("lit", v) for n, v in params.items()})])[0]
    c = sqlite3.connect(sqlite_path)
    try:
        vals = {n: py_value(p, {}, "list") for n, p in plan[2]}
        rows = c.execute("EXPLAIN QUERY PLAN " + plan[1], tuple(vals[i] for i in range(1, max(vals) + 1))).fetchall()
        return "\n".join(r[-1] for r in rows)
    finally:
        c.close()


# ---------------------------------------------------------------- the run

def main():
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # run the finally blocks: stop dvc serve
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    ap.add_argument("--dossiers", type=int, default=3000, help="seeded dossiers (read path)")
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--clients", default="1,8,32")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--pool-size", default=None, help="DVC_POOL_SIZE for the server (default: the server's)")
    ap.add_argument("--capture-from", help="reuse the statements captured by an earlier run (its results .json)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--spread", action="store_true", help="writes to every agency of SUBMIT_TARGETS in turn")
    a = ap.parse_args()
    if a.spread:
        for ag, proc in SUBMIT_TARGETS:
            SPREAD.setdefault(ag, proc)
        STOCK_AGENCIES[:] = list(SPREAD)
    clients = [int(c) for c in a.clients.split(",")]
    workloads = a.workloads.split(",")
    tmp = tempfile.mkdtemp(prefix="dvc-load-")
    started = datetime.datetime.now(datetime.timezone.utc)
    port = free_port()
    res = {"db": a.db, "date": started.strftime("%Y-%m-%d %H:%M UTC"), "binary": os.path.basename(BIN),
           "binary_mtime": datetime.datetime.fromtimestamp(os.path.getmtime(BIN), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "args": {**vars(a), "out": os.path.relpath(a.out, ROOT)}, "cores": os.cpu_count(),
           "mem_total_gb": round(int(open("/proc/meminfo").readline().split()[1]) / 1048576, 1),
           "machine": [machine()], "api": {}, "ceiling": {}, "memory_mb": {}, "statements": {}}

    def env_for(url):
        e = dict(os.environ, DATABASE_URL=url, DVC_BIND=f"127.0.0.1:{port}", DVC_JWT_SECRET=SECRET,
                 DVC_DEMO="true", DVC_DEMO_DOSSIERS="0", RUST_LOG="warn")
        if a.pool_size:
            e["DVC_POOL_SIZE"] = a.pool_size
        return e

    # PostgreSQL is shared: a restart in the middle (someone else's drill) spoils the numbers
    try:
        res["pg_started_at"] = psql("SELECT pg_postmaster_start_time()")
    except subprocess.CalledProcessError as e:
        if a.db == "postgres" or not a.capture_from:
            raise SystemExit("PostgreSQL is not reachable: " + e.stderr.strip())
        res["pg_started_at"] = "not reachable"

    # 1. fresh database, demo catalogue, synthetic dossiers
    if a.db == "postgres":
        db = "dvc_bench_load"
        psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        psql(f"CREATE DATABASE {db}")
        url = f"{PG}/{db}"
    else:
        sqlite_path = os.path.join(tmp, "bench.db")
        url = f"sqlite://{sqlite_path}"
    env = env_for(url)
    t = time.time()
    out = subprocess.check_output([BIN, "seed", "synthetic", "--dossiers", str(a.dossiers), "--seed", "1"], env=env).decode().strip()
    res["seed"] = f"{out} (wall {time.time() - t:.1f} s)"
    log("seed:", res["seed"])
    if a.db == "postgres":
        # as autovacuum would on a live database; without it the plans
        # depend on whether autoanalyze has run yet (see RESULTS.md)
        psql("ANALYZE", db)

    # 2. the statements of one request each
    if a.capture_from:
        saved = json.load(open(a.capture_from))
        cap = {w: [(sql, {int(k): v for k, v in ps.items()}) for sql, ps in saved["captured"][w]] for w in WORKLOADS}
        cap_codes = saved["captured_codes"]
        res["captured_from"] = a.capture_from
    elif a.db == "postgres":
        cap, cap_codes = capture(env, port, db, a.dossiers)
    else:
        cdb = "dvc_bench_load_capture"
        psql(f"DROP DATABASE IF EXISTS {cdb} WITH (FORCE)")
        psql(f"CREATE DATABASE {cdb}")
        cenv = env_for(f"{PG}/{cdb}")
        # the same seed as the SQLite file: the list page holds the same dossiers
        subprocess.check_output([BIN, "seed", "synthetic", "--dossiers", str(a.dossiers), "--seed", "1"], env=cenv)
        cap, cap_codes = capture(cenv, port, cdb, a.dossiers)
        psql(f"DROP DATABASE IF EXISTS {cdb} WITH (FORCE)")
    res["captured"], res["captured_codes"] = cap, cap_codes
    if "receive_imported" in cap:
        shape = lambda sts: [re.sub(r"__diesel_stmt_\d+", "", q) for q, _ in sts]
        res["imported_stock_same_statements"] = shape(cap["receive"]) == shape(cap["receive_imported"])
        log("reception of an imported dossier issues the same statements:", res["imported_stock_same_statements"])
    for w in WORKLOADS:
        sts = cap[w]
        res["statements"][w] = {
            "total": len(sts),
            "pool_checkouts_select_1": sum(1 for s, _ in sts if s == "SELECT 1"),
            "in_transaction": (lambda i, j: j - i - 1)(*[next((k for k, (s, _) in enumerate(sts) if s == x), 0) for x in ("BEGIN", "COMMIT")]) if any(s == "BEGIN" for s, _ in sts) else 0,
            "text": [s if not p else f"{s}   -- {json.dumps({str(k): (v if v is None or len(v) < 120 else v[:117] + '...') for k, v in p.items()}, ensure_ascii=False)}" for s, p in sts],
        }
        log(f"captured {w}: {len(sts)} statements")
    tpl = {w: template(w, cap[w], cap_codes[w]) for w in WORKLOADS}
    prefix = cap_codes["submit"].rsplit("-", 1)[0] + "-P"

    # 3. the API under wrk
    ctx = {"base": f"http://127.0.0.1:{port}", "body_file": os.path.join(tmp, "submission.json"), "lua": {}}
    with open(ctx["body_file"], "w") as f:
        json.dump(SUBMISSION, f, ensure_ascii=False)
    for w in WORKLOADS:
        ctx["lua"][w] = os.path.join(tmp, f"{w}.lua")
        with open(ctx["lua"][w], "w") as f:
            f.write(LUA[w])
    ctx["tokens"] = {"citizen": token(env, "citizen", sub=CITIZEN), "officer": token(env, "officer", agency=AGENCY, sub="officer.khdt"),
                     "agencies": {ag: token(env, "officer", agency=ag, sub="officer." + ag) for ag in STOCK_AGENCIES}}
    target_body = []
    for k, (ag, proc) in enumerate(SUBMIT_TARGETS):
        target_body.append(os.path.join(tmp, f"submission-{k}.json"))
        with open(target_body[-1], "w") as f:
            json.dump(dict(SUBMISSION, procedure=proc, agency=ag), f, ensure_ascii=False)
    admin = token(env, "admin")
    if SPREAD:
        ctx["bodies"] = ";".join(target_body[k] for k, (ag, _) in enumerate(SUBMIT_TARGETS) if SUBMIT_TARGETS.index((ag, SPREAD[ag])) == k)
    stock_day = [datetime.date(2026, 1, 5)]

    def import_stock(n):
        """n submitted dossiers at AGENCY, 1,000 per request, one past day each."""
        docs = SUBMISSION["documents"]
        made = 0
        targets = list(SPREAD.items()) or [(AGENCY, PROCEDURE)]
        while made < n:
            day = stock_day[0]
            stock_day[0] += datetime.timedelta(days=1)
            batch = [{"procedure": targets[(made + i) % len(targets)][1], "agency": targets[(made + i) % len(targets)][0], "channel": "online",
                      "applicant": dict(SUBMISSION["applicant"], id_number=f"0010990{(made + i) % 100000:05d}"),
                      "summary": "stock", "submitted_at": f"{day.isoformat()}T{8 + i // 3600 % 9:02d}:{i // 60 % 60:02d}:{i % 60:02d}+07:00",
                      "events": [], "documents": docs} for i in range(min(1000, n - made))]
            out = call(ctx["base"], "POST", "/api/v1/imports/dossiers", admin, {"dossiers": batch})
            if out["rejected"]:
                raise SystemExit(f"stock import rejected: {out['rejected'][:2]}")
            made += len(out["imported"])
        return made

    def query(q):
        if a.db == "postgres":
            return [tuple(l.split("|")) for l in psql(q, db).split("\n") if l]
        c = sqlite3.connect(sqlite_path)
        try:
            return [tuple(str(x) for x in r) for r in c.execute(q)]
        finally:
            c.close()

    def codes_where(cond, with_agency=False):
        rows = query(f"SELECT code, receiving_agency FROM dossiers WHERE {cond} ORDER BY submitted_at, code")
        return [f"{r[0]} {r[1]}" if with_agency else r[0] for r in rows]

    def counter(agency):
        rows = query(f"SELECT max(last) FROM dossier_counters WHERE agency_code = '{agency}'")
        return int(rows[0][0]) if rows and rows[0][0] not in ("", "None") else 0

    unreceived = "status = 'submitted' AND receiving_agency IN (" + ", ".join(f"'{x}'" for x in STOCK_AGENCIES) + ")"
    best = {}
    submit_runs = [0]
    handed_out = set()
    made_tables = []
    # the read path walks the seeded dossiers of AGENCY (before any write)
    get_codes = codes_where(f"receiving_agency = '{AGENCY}'")
    random.Random(1).shuffle(get_codes)
    res["get_codes"] = len(get_codes)
    if a.db == "postgres":
        scripts = {w: pgbench_script(w, tpl[w], cap_codes["submit"], tmp) for w in WORKLOADS}
        scripts["get"][1]["ncodes"] = str(len(get_codes))
        for w in WORKLOADS:
            res["statements"][w]["pgbench_script"] = open(scripts[w][0]).read()
    else:
        plans = {w: sqlite_plan(w, tpl[w]) for w in WORKLOADS}
        for w in WORKLOADS:
            res["statements"][w]["sqlite_replay"] = [f"{s}   -- binds {b}" if b else s for _, s, b in plans[w]]

    def api_phase(ws):
        srv = Server(env, port)
        res["memory_mb"]["after_start"] = srv.status("VmRSS")
        try:
            for w in [w for w in WORKLOADS if w in ws]:
                res["memory_mb"]["reset_works"] = srv.reset_peak()
                res["api"][w] = {}
                for c in clients:
                    runs = []
                    for r in range(a.repeats):
                        codes_file = None
                        if w == "receive":
                            # a run at more clients can be several times faster than the last
                            rate = max(2 * best.get("receive", 0), 3 * best.get("submit", 0), 300)
                            need = int(rate * a.duration * 1.2) + 500
                            time.sleep(1)  # the last run's requests in flight when wrk stopped
                            codes = [x for x in codes_where(unreceived, True) if x not in handed_out]
                            if len(codes) < need:
                                t = time.time()
                                got = import_stock(need - len(codes))
                                log(f"  stock: {len(codes)} submitted dossiers, need {need}: imported {got} in {time.time() - t:.0f} s")
                                res.setdefault("stock_imported", 0)
                                res["stock_imported"] += got
                                codes = [x for x in codes_where(unreceived, True) if x not in handed_out]
                            codes_file = os.path.join(tmp, "receive.codes")
                            with open(codes_file, "w") as f:
                                f.write("\n".join(codes) + "\n")
                        body, secs = None, a.duration
                        if w == "submit" and SPREAD:
                            body = ctx["body_file"]  # the requests rotate over BENCH_BODIES
                        elif w == "submit":
                            k = next((k for k, (ag, _) in enumerate(SUBMIT_TARGETS) if k >= submit_runs[0] and counter(ag) < 10), None)
                            if k is None:
                                raise SystemExit("every agency of SUBMIT_TARGETS has numbered dossiers today")
                            submit_runs[0] = k + 1
                            body = target_body[k]
                            if best.get("submit"):  # stay under the day's 9,999 codes
                                secs = max(3, min(a.duration, int((MAX_COUNTER - 100) / (1.25 * best["submit"]))))
                        elif w == "get":
                            codes_file = os.path.join(tmp, "get.codes")
                            with open(codes_file, "w") as f:
                                f.write("\n".join(get_codes) + "\n")
                        m = machine()
                        srv.reset_peak()  # the peak of this run only (not the stock's import)
                        x = wrk(ctx, w, c, secs, codes_file, body)
                        x["vmhwm_mb"] = srv.status("VmHWM")
                        x["machine_before"] = m
                        x["seconds"] = secs
                        if body and SPREAD:
                            x["submitted_to"] = f"{len(SPREAD)} agencies in turn"
                        elif body:
                            x["submitted_to"] = "/".join(SUBMIT_TARGETS[submit_runs[0] - 1])
                        runs.append(x)
                        if w == "receive":  # those walked (and those in flight): never twice, a 409 is no reception
                            handed_out.update(codes[:x["requests"] + c + 10])
                        if x["non2xx"] == 0:
                            best[w] = max(best.get(w, 0), x["rps"])
                        log(f"api {w:8} c={c:2} run {r + 1} ({secs} s{' → ' + x['submitted_to'] if body else ''}): {x['rps']:8.1f} req/s  p50 {x['p50_ms']:7.2f} ms  p99 {x['p99_ms']:7.2f} ms  "
                            f"non-2xx {x['non2xx']} {x['bad_by_status'] or ''} {x['first_bad'][:80]}  load {m['loadavg'][0]}")
                    res["api"][w][c] = runs
                res["memory_mb"][w] = max(x["vmhwm_mb"] for runs in res["api"][w].values() for x in runs)
                log(f"  VmHWM after {w}: {res['memory_mb'][w]} MB")
            res["memory_mb"]["VmRSS_at_end_" + ws[0]] = srv.status("VmRSS")
            res["counts_after_api_" + ws[0]] = {"dossiers": len(codes_where("1 = 1")), "submitted": len(codes_where(unreceived))}
        finally:
            srv.stop()

    # 4. the ceiling: the same statements, the same concurrency, no API
    def ceiling_phase(ws):
        order = [w for w in WORKLOADS if w in ws]
        if a.db == "postgres" and not made_tables:
            made_tables.append(True)
            psql("DROP TABLE IF EXISTS bench_codes; CREATE TABLE bench_codes (i int PRIMARY KEY, code text NOT NULL);"
                 "DROP TABLE IF EXISTS bench_queue; CREATE TABLE bench_queue (i bigserial PRIMARY KEY, code text NOT NULL, agency text NOT NULL);"
                 "DROP SEQUENCE IF EXISTS bench_take; CREATE SEQUENCE bench_take;", db)
            with open(os.path.join(tmp, "codes.csv"), "w") as f:
                f.write("\n".join(f"{i + 1},{c}" for i, c in enumerate(get_codes)) + "\n")
            subprocess.run(["psql", f"{PG}/{db}", "-qc", f"\\copy bench_codes FROM '{tmp}/codes.csv' CSV"], check=True)
        if a.db == "postgres":
            for w in order:
                res["ceiling"][w] = {}
                for c in clients:
                    runs = []
                    for r in range(a.repeats):
                        if w == "receive":
                            rate = max(3 * best.get("ceil_receive", 0), 3 * best.get("ceil_submit", 0), 500)
                            need = int(rate * a.duration * 1.2) + 500
                            taken = int(psql("SELECT last_value FROM bench_take", db))
                            psql(f"INSERT INTO bench_queue (code, agency) SELECT code, receiving_agency FROM dossiers WHERE {unreceived} "
                                 "AND code NOT IN (SELECT code FROM bench_queue) ORDER BY submitted_at, code", db)
                            stock = int(psql(f"SELECT count(*) FROM bench_queue WHERE i > {taken}", db))
                            if stock < need and SPREAD:
                                log(f"  ceiling stock {stock}, need {need}: {need - stock} more imported across the agencies")
                                srv = Server(env, port)
                                try:
                                    import_stock(need - stock)
                                finally:
                                    srv.stop()
                            elif stock < need:
                                log(f"  ceiling stock {stock}, need {need}: {need - stock} more submissions through pgbench")
                                pgbench(db, *scripts["submit"], 8, transactions=(need - stock) // 8 + 1)
                                psql(f"INSERT INTO bench_queue (code, agency) SELECT code, receiving_agency FROM dossiers WHERE {unreceived} "
                                     "AND code NOT IN (SELECT code FROM bench_queue) ORDER BY submitted_at, code", db)
                        m = machine()
                        x = pgbench(db, *scripts[w], c, duration=a.duration)
                        x["machine_before"] = m
                        runs.append(x)
                        best["ceil_" + w] = max(best.get("ceil_" + w, 0), x["tps"])
                        log(f"ceiling {w:8} c={c:2} run {r + 1}: {x['tps']:8.1f} tps  avg {x['latency_avg_ms']} ms  failed {x['failed']}  load {m['loadavg'][0]}")
                    res["ceiling"][w][c] = runs
        else:
            for w in order:
                res["ceiling"][w] = {}
                for c in clients:
                    runs = []
                    for r in range(a.repeats):
                        codes = get_codes
                        if w == "receive":
                            rate = max(3 * best.get("ceil_receive", 0), 3 * best.get("ceil_submit", 0), 500)
                            need = int(rate * a.duration * 1.2) + 500
                            codes = codes_where(unreceived)
                            if len(codes) < need:
                                log(f"  ceiling stock {len(codes)}, need {need}: submitting through sqlite3")
                                sqlite_ceiling(sqlite_path, "submit", plans["submit"], prefix, 8,
                                               max(2, (need - len(codes)) / max(best.get("ceil_submit", 100), 50) + 1))
                                codes = codes_where(unreceived)
                        m = machine()
                        x = sqlite_ceiling(sqlite_path, w, plans[w], prefix, c, a.duration, codes)
                        x["machine_before"] = m
                        runs.append(x)
                        best["ceil_" + w] = max(best.get("ceil_" + w, 0), x["tps"])
                        log(f"ceiling {w:8} c={c:2} run {r + 1}: {x['tps']:8.1f} tps  p50 {x['p50_ms']:.2f} ms  p99 {x['p99_ms']:.2f} ms  errors {x['errors']} {x['first_errors']}  load {m['loadavg'][0]}")
                    res["ceiling"][w][c] = runs

    # reads first, on the seeded database; then the writes
    for ws in (["get", "list"], ["submit", "receive"]):
        ws = [w for w in ws if w in workloads]
        if not ws:
            continue
        api_phase(ws)
        res["machine"].append(machine())
        if "list" in ws:
            try:
                res["list_plan"] = explain_list(a.db, db if a.db == "postgres" else None, None if a.db == "postgres" else sqlite_path, cap["list"])
                log("list plan:\n" + res["list_plan"])
            except Exception as e:  # the plan is evidence, not the measurement
                res["list_plan"] = f"not available: {e}"
        ceiling_phase(ws)
        res["machine"].append(machine())
        os.makedirs(a.out, exist_ok=True)  # partial results, should a later phase fail
        with open(os.path.join(a.out, f"load-{a.db}-{started.strftime('%Y-%m-%d-%H%M')}.json"), "w") as f:
            json.dump(res, f, ensure_ascii=False, indent=1, default=str)

    res["machine"].append(machine())

    # 5. results
    if True:
        try:
            res["pg_started_at_end"] = psql("SELECT pg_postmaster_start_time()")
        except Exception as e:
            res["pg_started_at_end"] = f"not reachable: {e}"
        if res["pg_started_at_end"] != res["pg_started_at"]:
            log("WARNING: PostgreSQL restarted during the run: " + res["pg_started_at"] + " -> " + res["pg_started_at_end"])
    os.makedirs(a.out, exist_ok=True)
    stem = os.path.join(a.out, f"load-{a.db}-{started.strftime('%Y-%m-%d-%H%M')}")
    with open(stem + ".json", "w") as f:
        json.dump(res, f, ensure_ascii=False, indent=1, default=str)
    text = summary(res, clients, workloads)
    with open(stem + ".txt", "w") as f:
        f.write(text)
    print(text)
    print(f"(full results: {os.path.relpath(stem, ROOT)}.json / .txt)")


def spread(xs, fmt="{:.0f}"):
    if len(xs) == 1:
        return fmt.format(xs[0])
    return fmt.format(sum(xs) / len(xs)) + " (" + "–".join(fmt.format(v) for v in (min(xs), max(xs))) + ")"


def clat(runs):
    if not runs:
        return "—"
    if "p99_ms" in runs[0]:  # the SQLite replay times each transaction
        return f"p50 {spread([x['p50_ms'] for x in runs], '{:.1f}')}, p99 {spread([x['p99_ms'] for x in runs], '{:.1f}')}"
    return f"avg {spread([x['latency_avg_ms'] for x in runs], '{:.1f}')}"  # pgbench


def summary(res, clients, workloads):
    db = "PostgreSQL 15" if res["db"] == "postgres" else "SQLite (WAL)"
    lines = [f"## {db} — {res['date']}, binary built {res['binary_mtime']}", "",
             f"seed: {res['seed']}; read path over {res.get('counts_after_api_get')}; get walks {res.get('get_codes')} codes; "
             f"after the writes: {res.get('counts_after_api_submit')}; receive stock imported: {res.get('stock_imported')}", "",
             f"PostgreSQL started at {res['pg_started_at']}" + ("" if res["pg_started_at"] == res.get("pg_started_at_end") else f" — RESTARTED during the run ({res.get('pg_started_at_end')}): numbers spoilt"), "",
             "| workload | clients | API req/s | p50 ms | p99 ms | non-2xx | ceiling tps | ceiling latency ms | API ÷ ceiling | server VmHWM MB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    excluded = []
    for w in [w for w in WORKLOADS if w in workloads]:
        for c in clients:
            every = res["api"].get(w, {}).get(c, [])
            # a run whose answers were not 2xx measured something else (e.g. 409 on an exhausted stock)
            api = [x for x in every if x["non2xx"] <= 0.01 * x["requests"]]
            if len(api) < len(every):
                excluded.append(f"{w} at {c}: {len(every) - len(api)} of {len(every)} runs (non-2xx: {[x['bad_by_status'] for x in every if x not in api]})")
            ceil = res["ceiling"].get(w, {}).get(c, [])
            if not api:
                if every:
                    lines.append(f"| {w} | {c} | — every run left out * | | | {sum(x['non2xx'] for x in every)} | | | | |")
                continue
            rps = [x["rps"] for x in api]
            tps = [x["tps"] for x in ceil]
            ratio = (sum(rps) / len(rps)) / (sum(tps) / len(tps)) if tps else None
            lines.append(f"| {w} | {c} | {spread(rps)}{' *' if len(api) < len(every) else ''} | {spread([x['p50_ms'] for x in api], '{:.1f}')} | "
                         f"{spread([x['p99_ms'] for x in api], '{:.1f}')} | {sum(x['non2xx'] for x in api)} | "
                         f"{spread(tps) if tps else '—'} | {clat(ceil)} | {f'{ratio:.0%}' if ratio else '—'} | {res['memory_mb'].get(w, '')} |")
    lines += ["", "values: mean of the runs (min–max); ratio: mean API req/s ÷ mean ceiling tps.", ""]
    if excluded:
        lines += ["* runs left out of the mean: " + "; ".join(excluded), ""]
    lines += [
              "statements per request (captured): " + "; ".join(
                  f"{w} {s['total']} ({s['pool_checkouts_select_1']} × pool `SELECT 1`, {s['in_transaction']} inside BEGIN…COMMIT)"
                  for w, s in res["statements"].items()), "",
              "list page plan: " + " / ".join(l.strip() for l in str(res.get("list_plan", "")).splitlines()[:4]), "",
              "machine: " + "; ".join(f"{m['at']} load {' '.join(m['loadavg'])} [{', '.join(m['top'][:3])}]" for m in res["machine"]), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
