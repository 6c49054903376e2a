"""Shared pieces of the fault drills: start and stop `dvc serve`, mint
tokens, set up a minimal catalogue, submit online dossiers with an
Idempotency-Key, and read the database behind the API (Python's sqlite3
for SQLite, `psql` for PostgreSQL). Standard library only; 127.0.0.1 only.
"""
import base64, hashlib, json, os, socket, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "drill-secret-0123456789abcdef"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PROVINCE, DEPT, PROCEDURE = "000.00.00.H56", "000.00.05.H56", "2.001610"


def binary():
    """The `dvc` binary: $DVC_BIN, else the release build of this checkout."""
    if os.environ.get("DVC_BIN"):
        return os.environ["DVC_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "dvc")


BIN = binary()


class Failed(Exception):
    pass


class Proof:
    """Collects the checks a drill makes; prints each; fails at the end if any failed."""

    def __init__(self, name):
        self.name, self.failures, self.passed = name, [], 0

    def check(self, ok, what):
        print(("  ok    " if ok else "  FAIL  ") + what, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
        return ok

    def finish(self):
        if self.failures:
            print(f"{self.name}: FAILED {len(self.failures)} of {self.passed + len(self.failures)} checks")
            for f in self.failures:
                print("  - " + f)
            sys.exit(1)
        print(f"{self.name}: PROVED ({self.passed} checks)")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---- databases ----

def fresh_database(kind, name, directory=None):
    """A DATABASE_URL for an empty database: a new SQLite file, or a
    PostgreSQL database dropped and made again."""
    if kind == "sqlite":
        directory = directory or tempfile.mkdtemp(prefix="dvc-drill-")
        return f"sqlite://{directory}/{name}.db"
    psql_server("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql_server("postgres", f"CREATE DATABASE {name}")
    return f"{PG_SERVER}/{name}"


def drop_database(url):
    if url.startswith("postgres"):
        psql_server("postgres", f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def psql_server(db, sql):
    return subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          check=True, capture_output=True, text=True).stdout


def sql_rows(url, sql):
    """Rows of a query (a list of tuples of strings/numbers)."""
    if url.startswith("sqlite://"):
        import sqlite3
        conn = sqlite3.connect(url[len("sqlite://"):], timeout=30)
        try:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
        finally:
            conn.close()
    out = psql_server(url.rsplit("/", 1)[1], sql)
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def sql_value(url, sql):
    return int(sql_rows(url, sql)[0][0])


def consistency(url):
    """Half-written dossiers: each count must be 0."""
    q = {
        "dossiers without a history row": "SELECT count(*) FROM dossiers d WHERE NOT EXISTS (SELECT 1 FROM dossier_history h WHERE h.dossier_code = d.code)",
        "dossiers without an outbox change": "SELECT count(*) FROM dossiers d WHERE NOT EXISTS (SELECT 1 FROM changes c WHERE c.dossier_code = d.code)",
        "documents without their content": "SELECT count(*) FROM dossier_documents x WHERE NOT EXISTS (SELECT 1 FROM document_contents c WHERE c.sha256 = x.sha256)",
        "history rows of no dossier": "SELECT count(*) FROM dossier_history h WHERE NOT EXISTS (SELECT 1 FROM dossiers d WHERE d.code = h.dossier_code)",
        "changes of no dossier": "SELECT count(*) FROM changes c WHERE NOT EXISTS (SELECT 1 FROM dossiers d WHERE d.code = c.dossier_code)",
        "duplicated dossier codes": "SELECT count(*) FROM (SELECT code FROM dossiers GROUP BY code HAVING count(*) > 1) x",
        "duplicated drill keys (one request, two dossiers)": "SELECT count(*) FROM (SELECT summary FROM dossiers GROUP BY summary HAVING count(*) > 1) x",
    }
    return {what: sql_value(url, sql) for what, sql in q.items()}


# ---- the server ----

class Server:
    def __init__(self, url, port=None, extra_env=None, user=None):
        self.url, self.port = url, port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, DATABASE_URL=url, DVC_BIND=f"127.0.0.1:{self.port}", DVC_JWT_SECRET=SECRET,
                        DVC_DEMO="false", DVC_WORKERS="2", RUST_LOG="warn")
        self.env.update(extra_env or {})
        self.user = user
        self.proc = None
        self.log_path = tempfile.mktemp(prefix="dvc-drill-", suffix=".log")

    def start(self, wait=True, timeout=60):
        cmd = [BIN, "serve"]
        if self.user:
            cmd = ["setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--clear-groups", "--"] + cmd
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self.log_file, stderr=self.log_file)
        if wait:
            t0 = time.time()
            while True:
                if self.proc.poll() is not None:
                    raise Failed(f"dvc exited with {self.proc.returncode} at start-up; log: {self.log_path}\n" + self.log_tail())
                try:
                    if urllib.request.urlopen(self.base + "/health/ready", timeout=2).status == 200:
                        break
                except Exception:
                    pass
                if time.time() - t0 > timeout:
                    raise Failed("dvc did not become ready")
                time.sleep(0.05)
        return self

    def log_tail(self, n=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def kill(self):
        """SIGKILL: no shutdown hook runs."""
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def token(self, role, agency=None, sub=None):
        args = [BIN, "token", "--role", role, "--ttl", "2h"]
        if agency:
            args += ["--agency", agency]
        if sub:
            args += ["--sub", sub]
        return subprocess.check_output(args, env=self.env).decode().strip()


class Answer:
    def __init__(self, status, headers, body, took, error=None):
        self.status, self.headers, self.body, self.took, self.error = status, headers, body, took, error

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def problem(self):
        return (self.headers.get("content-type") or "").startswith("application/problem+json")

    def __repr__(self):
        return f"<{self.status or self.error} in {self.took:.2f}s>"


def call(base, method, path, token=None, body=None, headers=None, timeout=30):
    """One HTTP call; a transport error (refused, reset, timeout) is an
    Answer with status None and the error."""
    data = None if body is None else json.dumps(body).encode()
    h = {"content-type": "application/json"}
    if token:
        h["authorization"] = "Bearer " + token
    h.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    t0 = time.time()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Answer(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read(), time.time() - t0)
    except urllib.error.HTTPError as e:
        return Answer(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read(), time.time() - t0)
    except Exception as e:  # refused, reset, timed out
        return Answer(None, {}, b"", time.time() - t0, error=f"{type(e).__name__}: {e}")


def must(answer, status, what):
    if answer.status != status:
        raise Failed(f"{what}: expected {status}, got {answer.status or answer.error}: {answer.body[:300]!r}")
    return answer.json()


def set_up_catalogue(server):
    """Two agencies and one published procedure with two components."""
    admin = server.token("admin")
    b = server.base
    must(call(b, "POST", "/api/v1/agencies", admin, {"code": PROVINCE, "name": "UBND tỉnh", "level": "province", "parent": None}), 201, "province")
    must(call(b, "POST", "/api/v1/agencies", admin, {"code": DEPT, "name": "Sở KH&ĐT", "level": "department", "parent": PROVINCE}), 201, "department")
    content = {"name": "Đăng ký doanh nghiệp", "sector": {"code": "DKKD", "name": "DKKD"}, "implementing_agencies": [DEPT],
               "level": "province", "service_level": "full", "processing_time": {"amount": 3, "unit": "working_days"},
               "components": [{"case": "", "code": "TP01", "name": "Giấy đề nghị", "originals": 1, "copies": 0},
                              {"case": "", "code": "TP02", "name": "CCCD", "originals": 0, "copies": 1}],
               "channels": ["online", "in_person"]}
    must(call(b, "POST", "/api/v1/procedures", admin, {"code": PROCEDURE, "agency": DEPT, "content": content}), 201, "procedure")
    must(call(b, "POST", f"/api/v1/procedures/{PROCEDURE}/versions/1/publish", admin, {"effective_from": "2025-01-01"}), 200, "publish")


def citizen_id(i):
    return f"0010990{i:05d}"


class Submission:
    """One online submission: its key, its body, the SHA-256 of each document."""

    def __init__(self, citizen, doc_bytes=64):
        self.key = str(uuid.uuid4())
        self.citizen = citizen
        docs, self.sha = [], {}
        for comp, name, media, head in (("TP01", "giay-de-nghi.pdf", "application/pdf", b"%PDF-1.4\n"),
                                        ("TP02", "cccd.jpg", "image/jpeg", b"\xff\xd8\xff\xe0")):
            raw = head + (f"drill {self.key} {comp} ".encode() * (doc_bytes // 40 + 1))[:doc_bytes]
            self.sha[name] = hashlib.sha256(raw).hexdigest()
            docs.append({"component_code": comp, "name": name, "media_type": media, "content_base64": base64.b64encode(raw).decode()})
        self.body = {"procedure": PROCEDURE, "summary": f"drill {self.key}",
                     "applicant": {"kind": "citizen", "id_number": citizen, "name": "Nguyễn Văn An"}, "documents": docs}
        self.answers = []  # every Answer this submission got
        self.code = None   # the dossier code once a 201 was received

    @property
    def acknowledged(self):
        return self.code is not None

    def send(self, base, token, timeout=30):
        a = call(base, "POST", "/api/v1/dossiers", token, self.body, {"idempotency-key": self.key}, timeout=timeout)
        self.answers.append(a)
        if a.status == 201:
            code = (a.json() or {}).get("code")
            if self.code is not None and code != self.code:
                raise Failed(f"key {self.key}: first {self.code}, replayed as {code}")
            self.code = code
        return a


def check_acknowledged(proof, server, subs, tokens):
    """Every acknowledged dossier reads back over the API with its two
    documents, whose SHA-256 match what was sent."""
    acked = [s for s in subs if s.acknowledged]
    missing, wrong_docs = [], []
    for s in acked:
        a = call(server.base, "GET", f"/api/v1/dossiers/{s.code}", tokens[s.citizen])
        if a.status != 200:
            missing.append((s.code, a.status))
            continue
        d = a.json()
        got = {doc["name"]: doc["sha256"] for doc in d.get("documents", [])}
        if got != s.sha or d.get("summary") != s.body["summary"]:
            wrong_docs.append(s.code)
    proof.check(not missing, f"all {len(acked)} acknowledged dossiers read back over the API (missing: {missing[:5]})")
    proof.check(not wrong_docs, f"each has its 2 documents with the SHA-256 sent (wrong: {wrong_docs[:5]})")
    codes = [s.code for s in acked]
    proof.check(len(codes) == len(set(codes)), f"{len(codes)} acknowledgements name {len(set(codes))} distinct dossier codes")


def check_database(proof, url, subs):
    """SQL: nothing half-written, no duplicates, one dossier per key that got a 201."""
    for what, n in consistency(url).items():
        proof.check(n == 0, f"SQL: {what}: {n}")
    if url.startswith("sqlite://"):
        check = sql_rows(url, "PRAGMA integrity_check")
        proof.check(check == [("ok",)], f"SQLite PRAGMA integrity_check = {check}")
    acked = [s for s in subs if s.acknowledged]
    n = sql_value(url, "SELECT count(*) FROM dossiers WHERE summary LIKE 'drill %'")
    proof.check(n == len(acked), f"SQL: {n} drill dossiers in the database = {len(acked)} keys answered 201 (no lost, no extra)")
    docs = sql_value(url, "SELECT count(*) FROM dossier_documents x JOIN dossiers d ON d.code = x.dossier_code WHERE d.summary LIKE 'drill %'")
    proof.check(docs == 2 * n, f"SQL: {docs} document rows = 2 per dossier")
