#!/usr/bin/env python3
"""Figures at scale: import time of N synthetic dossiers, then the latency of
a province-wide year summary grouped by agency, the Decision 766 index, and
a filtered dossier list page (median and p95 over repeated runs).

Usage (after `cargo build --release`):
    python3 bench/reports.py --db postgres --dossiers 100000 --runs 20
    python3 bench/reports.py --db sqlite --dossiers 100000 --runs 20
    bench/tuned_pg.sh start && python3 bench/reports.py --db postgres --pg-port 5433 \
        --dossiers 10000000 --days 700 --parallel 2 --batch 2000 --runs 10
Talks to 127.0.0.1 only; standard library only.
"""
import argparse, os, statistics, subprocess, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("DVC_BIN", os.path.join(ROOT, "target", "release", "dvc"))
SECRET = "bench-secret-0123456789abcdef"


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def timed(url, token, runs):
    times = []
    for _ in range(runs):
        req = urllib.request.Request(url, headers={"authorization": "Bearer " + token})
        t = time.perf_counter()
        with urllib.request.urlopen(req) as r:
            r.read()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--dossiers", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--keep", action="store_true", help="PostgreSQL: time the queries on the database a previous run seeded")
    ap.add_argument("--pg-port", type=int, default=5432, help="PostgreSQL on 127.0.0.1 at this port")
    ap.add_argument("--days", type=int, default=360, help="submissions spread over this many days from 2 January 2025")
    ap.add_argument("--parallel", type=int, default=1, help="import batches side by side (connections)")
    ap.add_argument("--batch", type=int, default=1000, help="dossiers per import batch")
    a = ap.parse_args()
    if a.db == "sqlite":
        url = f"sqlite://{tempfile.mkdtemp()}/bench.db"
    elif a.keep:
        url = f"postgres://postgres@127.0.0.1:{a.pg_port}/dvc_bench_reports"
    else:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(a.pg_port), "-U", "postgres", "-qc", "DROP DATABASE IF EXISTS dvc_bench_reports WITH (FORCE)", "-c", "CREATE DATABASE dvc_bench_reports"], check=True)
        url = f"postgres://postgres@127.0.0.1:{a.pg_port}/dvc_bench_reports"
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, DVC_BIND=f"127.0.0.1:{port}", DVC_JWT_SECRET=SECRET, DVC_DEMO="true", DVC_DEMO_DOSSIERS="0", RUST_LOG="warn")
    if not a.keep:
        t = time.time()
        out = subprocess.check_output([BIN, "seed", "synthetic", "--dossiers", str(a.dossiers), "--seed", "1", "--days", str(a.days), "--parallel", str(a.parallel), "--batch", str(a.batch)], env=env).decode().strip()
        print(f"{a.db}: seed: {out} (wall {time.time() - t:.0f} s)")
    p = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready")
                break
            except Exception:
                time.sleep(0.05)
        viewer = subprocess.check_output([BIN, "token", "--role", "viewer", "--ttl", "2h"], env=env).decode().strip()
        base = f"http://127.0.0.1:{port}/api/v1"
        for name, path in [
            ("summary, year, by agency", "/reports/summary?from=2025-01-01&to=2025-12-31&group_by=agency"),
            ("766 index, province, year", "/reports/index-766?from=2025-01-01&to=2025-12-31"),
            ("dossier list page (status, 50)", "/dossiers?status=returned&limit=50"),
            ("drill-down, one month, resolved late", "/reports/dossiers?from=2025-12-01&to=2025-12-31&metric=resolved_late"),
            ("drill-down, open overdue at the year's end (1,000)", "/reports/dossiers?from=2025-01-01&to=2025-12-31&metric=open_overdue&limit=1000"),
            ("drill-down, open within deadline at the year's end (1,000)", "/reports/dossiers?from=2025-01-01&to=2025-12-31&metric=open_within_deadline&limit=1000"),
            ("summary, this year by agency (not ended: judged now)", f"/reports/summary?from={time.strftime('%Y')}-01-01&to={time.strftime('%Y')}-12-31&group_by=agency"),
        ]:
            med, p95 = timed(base + path, viewer, a.runs)
            print(f"{a.db} {a.dossiers}: {name}: median {med:.1f} ms, p95 {p95:.1f} ms ({a.runs} runs)")
    finally:
        p.terminate()
        p.wait()


if __name__ == "__main__":
    main()
