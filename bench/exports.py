#!/usr/bin/env python3
"""Exports at scale: seeds N synthetic dossiers of 2025, then exports the
drill-down of the year's `received` figure (every dossier received in 2025)
as XLSX and as CSV, and for comparison asks its JSON (one page of codes),
each once on a freshly started server, reporting wall time, the file's
size and rows, and the server's peak resident memory (VmHWM from
/proc/<pid>/status) before and after.

Usage (after `cargo build --release`; DVC_BIN=target/debug/dvc for a debug build):
    python3 bench/exports.py --db postgres --dossiers 100000
    python3 bench/exports.py --db sqlite --dossiers 100000
    python3 bench/exports.py --db postgres --keep   # the database a previous run seeded
Talks to 127.0.0.1 only; standard library only.
"""
import argparse, io, os, subprocess, tempfile, time, urllib.request, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("DVC_BIN", os.path.join(ROOT, "target", "release", "dvc"))
SECRET = "bench-secret-0123456789abcdef"
PATH = "/api/v1/reports/dossiers?from=2025-01-01&to=2025-12-31&metric=received"


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def serve(env):
    p = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = env["DVC_BIND"].rsplit(":", 1)[1]
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready")
            return p
        except Exception:
            time.sleep(0.05)
    p.terminate()
    raise SystemExit("the server did not start")


def rows_of(kind, body):
    if kind == "csv":
        return body.count(b"\r\n") - 1
    if kind == "xlsx":
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return z.read("xl/worksheets/sheet1.xml").count(b"<row ") - 1
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--dossiers", type=int, default=100000)
    ap.add_argument("--keep", action="store_true", help="PostgreSQL: export from the database a previous run seeded")
    ap.add_argument("--pg-port", type=int, default=5432, help="PostgreSQL on 127.0.0.1 at this port")
    a = ap.parse_args()
    if a.db == "sqlite":
        url = f"sqlite://{tempfile.mkdtemp()}/bench.db"
    elif a.keep:
        url = f"postgres://postgres@127.0.0.1:{a.pg_port}/dvc_bench_exports"
    else:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(a.pg_port), "-U", "postgres", "-qc", "DROP DATABASE IF EXISTS dvc_bench_exports WITH (FORCE)", "-c", "CREATE DATABASE dvc_bench_exports"], check=True)
        url = f"postgres://postgres@127.0.0.1:{a.pg_port}/dvc_bench_exports"
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, DVC_BIND=f"127.0.0.1:{port}", DVC_JWT_SECRET=SECRET, DVC_DEMO="true", DVC_DEMO_DOSSIERS="0", RUST_LOG="warn")
    if not a.keep:
        t = time.time()
        out = subprocess.check_output([BIN, "seed", "synthetic", "--dossiers", str(a.dossiers), "--seed", "1"], env=env).decode().strip()
        print(f"{a.db}: seed: {out} (wall {time.time() - t:.0f} s)")
    viewer = subprocess.check_output([BIN, "token", "--role", "viewer", "--ttl", "2h"], env=env).decode().strip()
    for kind, query in [("xlsx", "&format=xlsx"), ("csv", "&format=csv"), ("json", "&limit=10000")]:
        p = serve(env)
        try:
            base_hwm, base_rss = status_kib(p.pid, "VmHWM"), status_kib(p.pid, "VmRSS")
            req = urllib.request.Request(f"http://127.0.0.1:{port}{PATH}{query}", headers={"authorization": "Bearer " + viewer})
            t = time.perf_counter()
            with urllib.request.urlopen(req) as r:
                first = None
                chunks = []
                while True:
                    c = r.read(1 << 16)
                    if not c:
                        break
                    if first is None:
                        first = time.perf_counter() - t
                    chunks.append(c)
            wall = time.perf_counter() - t
            body = b"".join(chunks)
            hwm = status_kib(p.pid, "VmHWM")
            rows = rows_of(kind, body)
            print(
                f"{a.db} {a.dossiers}: drill-down `received` 2025 as {kind}: {wall:.1f} s "
                f"(first byte {first or 0:.1f} s), {len(body) / 1e6:.1f} MB"
                + (f", {rows} rows" if rows is not None else "")
                + f"; server peak RSS {base_hwm / 1024:.0f} MiB after start "
                f"(RSS {base_rss / 1024:.0f} MiB) → {hwm / 1024:.0f} MiB after the export"
            )
        finally:
            p.terminate()
            p.wait()


if __name__ == "__main__":
    main()
