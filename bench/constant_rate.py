#!/usr/bin/env python3
"""Latency at a realistic load, sent at a constant rate.

A mixed traffic of four streams against one `dvc serve`, each sent by its own
oha process: submissions spread over the eight agencies of the demo's
submission targets, receptions of submitted dossiers (an officer of the
province's people's committee, above every agency), dossier reads, and list
pages, in the shares of MIX.

1. The maximum: all four streams closed-loop at once (each with its share of
   CLOSED_LOOP_CLIENTS connections) for --duration seconds; the sum of their
   rates is the mix's maximum on this machine.
2. Each level of --levels (default 50% and 80% of that maximum): the four
   streams at a fixed rate each (`oha -q`), with `--latency-correction`: a
   request's latency counts from when it was due to be sent, not from when
   a busy client got round to sending it (no coordinated omission).

oha picks a body (-Z) and a URL (--urls-from-file) at random for each
request: a reception may hit a dossier already received (409, counted apart
its share of the statuses; its latency is in the stream's), so the stock is
ten times what the run receives.

Usage:
  cargo install oha          # or any oha with -q and --latency-correction
  DVC_BIN=target/release/dvc python3 bench/constant_rate.py --db postgres
  DVC_BIN=target/release/dvc python3 bench/constant_rate.py --db sqlite
Options: --duration 30 (seconds per level), --levels 0.5,0.8, --dossiers 3000.
Talks to 127.0.0.1 only. Writes bench/results/rate-<db>-<date>.json and .txt.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402  (the server, tokens, the demo's targets)

# share of the requests per stream
MIX = {"submit": 0.15, "receive": 0.15, "get": 0.50, "list": 0.20}
CLOSED_LOOP_CLIENTS = 32
ROOT_AGENCY = "000.00.00.H56"  # Ủy ban nhân dân tỉnh: above every agency of the demo
LIST_PATH = "/api/v1/dossiers?limit=20"
# receptions pick their dossier at random among STOCK_FACTOR times as many
# as they receive: about 1 in 2 × STOCK_FACTOR finds one already received (409)
STOCK_FACTOR = 10


def oha(url, token, duration, rate=None, clients=8, method="GET", bodies=None, urls=None):
    cmd = ["oha", "--no-tui", "--output-format", "json", "-z", f"{duration}s", "-c", str(clients),
           "-H", f"authorization: Bearer {token}", "-m", method, "-t", "10s"]
    if rate:
        cmd += ["-q", str(rate), "--latency-correction"]
    if bodies:
        cmd += ["-T", "application/json", "-Z", bodies]
    if urls:
        cmd += ["--urls-from-file", urls]
    else:
        cmd += [url]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def summary_of(p):
    out, err = p.communicate()
    if p.returncode != 0:
        raise SystemExit(f"oha failed: {err[:400]}")
    r = json.loads(out)
    codes = {str(k): v for k, v in (r.get("statusCodeDistribution") or {}).items()}
    pct = r.get("latencyPercentiles") or {}
    s = r["summary"]
    return {"rps": s.get("requestsPerSec"), "success_rate": s.get("successRate"),
            "p50_ms": (pct.get("p50") or 0) * 1000, "p90_ms": (pct.get("p90") or 0) * 1000,
            "p99_ms": (pct.get("p99") or 0) * 1000, "p99.9_ms": (pct.get("p99.9") or 0) * 1000,
            "max_ms": (s.get("slowest") or 0) * 1000, "codes": codes, "errors": r.get("errorDistribution") or {}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    ap.add_argument("--duration", type=int, default=30)
    ap.add_argument("--levels", default="0.5,0.8")
    ap.add_argument("--dossiers", type=int, default=3000)
    ap.add_argument("--out", default=os.path.join(load.ROOT, "bench", "results"))
    a = ap.parse_args()
    started = datetime.datetime.now(datetime.timezone.utc)
    tmp = tempfile.mkdtemp(prefix="dvc-rate-")
    port = load.free_port()
    if a.db == "postgres":
        db = "dvc_bench_rate"
        load.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        load.psql(f"CREATE DATABASE {db}")
        url = f"{load.PG}/{db}"
    else:
        url = f"sqlite://{os.path.join(tmp, 'rate.db')}"
    env = dict(os.environ, DATABASE_URL=url, DVC_BIND=f"127.0.0.1:{port}", DVC_JWT_SECRET=load.SECRET,
               DVC_DEMO="true", DVC_DEMO_DOSSIERS="0", RUST_LOG="warn")
    load.BIN = os.environ.get("DVC_BIN", load.BIN)
    subprocess.check_output([load.BIN, "seed", "synthetic", "--dossiers", str(a.dossiers), "--seed", "1"], env=env)
    base = f"http://127.0.0.1:{port}"
    citizen = load.token(env, "citizen", sub=load.CITIZEN)
    officer = load.token(env, "officer", agency=ROOT_AGENCY, sub="officer.tinh")
    admin = load.token(env, "admin")
    targets = {}
    for ag, proc in load.SUBMIT_TARGETS:
        targets.setdefault(ag, proc)
    bodies = os.path.join(tmp, "submissions.jsonl")
    with open(bodies, "w") as f:
        for ag, proc in targets.items():
            f.write(json.dumps(dict(load.SUBMISSION, procedure=proc, agency=ag), ensure_ascii=False) + "\n")
    res = {"db": a.db, "date": started.strftime("%Y-%m-%d %H:%M UTC"), "binary": os.path.basename(load.BIN),
           "mix": MIX, "args": {**vars(a), "out": os.path.relpath(a.out, load.ROOT)}, "levels": {}}
    srv = load.Server(env, port)
    stock_day = [datetime.date(2025, 1, 6)]

    def stock(n):
        """n submitted dossiers across the agencies, as URLs of their reception."""
        items = list(targets.items())
        made = []
        while len(made) < n:
            day = stock_day[0]
            stock_day[0] += datetime.timedelta(days=1)
            batch = [{"procedure": items[i % len(items)][1], "agency": items[i % len(items)][0], "channel": "online",
                      "applicant": dict(load.SUBMISSION["applicant"], id_number=f"0010990{(len(made) + i) % 100000:05d}"),
                      "summary": "stock", "submitted_at": f"{day.isoformat()}T{8 + i // 3600 % 9:02d}:{i // 60 % 60:02d}:{i % 60:02d}+07:00",
                      "events": [], "documents": load.SUBMISSION["documents"]} for i in range(min(1000, n - len(made)))]
            out = load.call(base, "POST", "/api/v1/imports/dossiers", admin, {"dossiers": batch})
            made += [d["code"] for d in out["imported"]]
        path = os.path.join(tmp, f"receive-{time.time_ns()}.urls")
        with open(path, "w") as f:
            f.write("\n".join(f"{base}/api/v1/dossiers/{c}/receive" for c in made) + "\n")
        return path

    get_urls = os.path.join(tmp, "get.urls")
    codes = load.call(base, "GET", "/api/v1/dossiers?limit=100", officer)["items"]
    with open(get_urls, "w") as f:
        f.write("\n".join(f"{base}/api/v1/dossiers/{d['code']}" for d in codes) + "\n")

    def streams(duration, total_rate=None, receive_stock=None):
        ps = {}
        for name, share in MIX.items():
            rate = round(total_rate * share, 1) if total_rate else None
            clients = max(1, round(CLOSED_LOOP_CLIENTS * share)) if not total_rate else max(4, round(CLOSED_LOOP_CLIENTS * share))
            if name == "submit":
                ps[name] = oha(base + "/api/v1/dossiers", citizen, duration, rate, clients, "POST", bodies=bodies)
            elif name == "receive":
                ps[name] = oha(None, officer, duration, rate, clients, "POST", bodies=os.path.join(tmp, "empty.jsonl"), urls=receive_stock)
            elif name == "get":
                ps[name] = oha(None, officer, duration, rate, clients, urls=get_urls)
            else:
                ps[name] = oha(base + LIST_PATH, officer, duration, rate, clients)
        return {n: summary_of(p) for n, p in ps.items()}

    def settle():
        if a.db == "postgres":
            load.psql("VACUUM ANALYZE", db)
            load.psql("CHECKPOINT", db)
        else:
            import sqlite3
            c = sqlite3.connect(url.removeprefix("sqlite://"))
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            c.execute("ANALYZE")
            c.close()
        time.sleep(5)

    with open(os.path.join(tmp, "empty.jsonl"), "w") as f:
        f.write("{}\n")
    try:
        # 1. the maximum, closed loop
        load.log("stock for the maximum …")
        urls = stock(STOCK_FACTOR * 100 * a.duration)
        settle()
        t = time.time()
        top = streams(a.duration, receive_stock=urls)
        res["maximum"] = top
        total = sum(s["rps"] for s in top.values())
        res["maximum_total_rps"] = total
        load.log(f"maximum (closed loop, {CLOSED_LOOP_CLIENTS} connections): {total:.0f} req/s in all: "
                 + ", ".join(f"{n} {s['rps']:.0f}/s p99 {s['p99_ms']:.0f} ms" for n, s in top.items()) + f" ({time.time() - t:.0f} s)")
        # 2. the levels, open loop at a constant rate; the stock of every
        # level imported first, then the database left to settle (VACUUM
        # ANALYZE, a checkpoint), so that no level measures the import's wake
        levels = [float(x) for x in a.levels.split(",")]
        stocks = {lv: stock(int(STOCK_FACTOR * total * lv * MIX["receive"] * a.duration) + 500) for lv in levels}
        settle()
        for level in levels:
            rate = total * level
            got = streams(a.duration, rate, receive_stock=stocks[level])
            res["levels"][str(level)] = {"total_rate": rate, "streams": got}
            load.log(f"{level:.0%} of the maximum ({rate:.0f} req/s): " + ", ".join(
                f"{n} {s['rps']:.1f}/s p50 {s['p50_ms']:.1f} p99 {s['p99_ms']:.1f} ms {s['codes']}" for n, s in got.items()))
    finally:
        srv.stop()
        if a.db == "postgres":
            load.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    os.makedirs(a.out, exist_ok=True)
    stem = os.path.join(a.out, f"rate-{a.db}-{started.strftime('%Y-%m-%d-%H%M')}")
    with open(stem + ".json", "w") as f:
        json.dump(res, f, indent=1, ensure_ascii=False)
    lines = [f"## {a.db} — {res['date']}", "",
             f"maximum of the mix (closed loop, {CLOSED_LOOP_CLIENTS} connections): {res['maximum_total_rps']:.0f} req/s", "",
             "| level | stream | rate asked /s | sent /s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | statuses |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for level, lv in res["levels"].items():
        for n, s in lv["streams"].items():
            lines.append(f"| {float(level):.0%} | {n} | {lv['total_rate'] * MIX[n]:.1f} | {s['rps']:.1f} | {s['p50_ms']:.1f} | "
                         f"{s['p90_ms']:.1f} | {s['p99_ms']:.1f} | {s['p99.9_ms']:.1f} | {s['max_ms']:.1f} | {s['codes']} |")
    text = "\n".join(lines) + "\n"
    with open(stem + ".txt", "w") as f:
        f.write(text)
    print(text)
    print(f"(full results: {os.path.relpath(stem, load.ROOT)}.json / .txt)")


if __name__ == "__main__":
    main()
