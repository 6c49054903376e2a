#!/usr/bin/env python3
"""Drill 2: stop PostgreSQL for 10 s while clients submit and read dossiers.

Proves, without restarting `dvc serve`:
- every answer given while the database is down is a 503 problem document
  (application/problem+json, code database_unavailable, Retry-After) within
  a bounded time (the pool's checkout timeout, DVC_DB_TIMEOUT_SECS=2 here,
  plus a margin: at most --limit seconds); nothing hangs, nothing is a 500;
- /health/ready answers 503 while it is down;
- within 5 s of PostgreSQL accepting connections again, the API serves again
  by itself (reads, writes, readiness), and every request started later
  succeeds;
- no acknowledged write is lost; a write answered 503, retried with its
  Idempotency-Key, makes exactly one dossier.

Needs root (or the postgres user's rights) to run pg_ctlcluster; the outage
lasts 10 s (stop + start included: a little more). PostgreSQL is started again
whatever happens.

Usage (after `cargo build --release`):
    python3 bench/drills/postgres_outage.py
"""
import argparse, os, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *  # noqa: E402,F403


def cluster():
    version = sorted(os.listdir("/etc/postgresql"), key=lambda v: float(v))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def pg(action):
    subprocess.run(cluster() + [action], check=True, capture_output=True)


def pg_is_up():
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0


def drill(a):
    proof = Proof("PostgreSQL outage")
    url = fresh_database("postgres", "dvc_drill_outage")
    server = Server(url, extra_env={"DVC_POOL_SIZE": "4", "DVC_DB_TIMEOUT_SECS": str(a.db_timeout)}).start()
    pid = server.proc.pid
    events = []  # (kind, start, Answer, Submission or None)
    lock, stop = threading.Lock(), threading.Event()
    subs = []
    try:
        set_up_catalogue(server)
        citizens = [citizen_id(i) for i in range(a.clients)]
        tokens = {c: server.token("citizen", sub=c) for c in citizens}
        first = Submission(citizens[0])
        first.send(server.base, tokens[citizens[0]])
        subs.append(first)
        read_code = first.code

        def record(kind, t, ans, sub=None):
            with lock:
                events.append((kind, t, ans, sub))

        def writer(c):
            while not stop.is_set():
                s = Submission(c)
                with lock:
                    subs.append(s)
                t = time.time()
                record("write", t, s.send(server.base, tokens[c], timeout=a.hang), s)
                time.sleep(0.02)

        def reader():
            while not stop.is_set():
                t = time.time()
                record("read", t, call(server.base, "GET", f"/api/v1/dossiers/{read_code}", tokens[citizens[0]], timeout=a.hang))
                time.sleep(0.05)

        def prober():
            while not stop.is_set():
                t = time.time()
                record("ready", t, call(server.base, "GET", "/health/ready", timeout=a.hang))
                time.sleep(0.2)

        threads = [threading.Thread(target=writer, args=(c,)) for c in citizens]
        threads += [threading.Thread(target=reader), threading.Thread(target=prober)]
        for t in threads:
            t.start()
        time.sleep(3)
        t_stop = time.time()
        try:
            pg("stop")
            t_down = time.time()
            log(f"PostgreSQL stopped ({t_down - t_stop:.2f} s to stop)")
            time.sleep(max(0.0, a.outage - (t_down - t_stop)))
        finally:
            t_start = time.time()
            pg("start")
            t_up = time.time()
        log(f"PostgreSQL started ({t_up - t_start:.2f} s to start); outage {t_up - t_stop:.1f} s from stop to accepting")
        time.sleep(a.after)
        stop.set()
        for t in threads:
            t.join()

        def done(ev):
            return ev[1] + ev[2].took

        # Answered while PostgreSQL was stopped (half a second after the stop
        # command returned, to leave out answers already on their way).
        down = [e for e in events if t_down + 0.5 <= done(e) <= t_start]
        print(f"{len(events)} requests; {len(down)} answered while PostgreSQL was down")
        for kind in ("write", "read", "ready"):
            ds = [e[2] for e in down if e[0] == kind]
            statuses = sorted(set(x.status for x in ds), key=str)
            print(f"  while down, {kind}: {len(ds)} answers, statuses {statuses}, slowest {max([x.took for x in ds] or [0]):.2f} s")
        bad = [e for e in down if not (e[2].status == 503 and e[2].problem and (e[2].json() or {}).get("code") == "database_unavailable"
                                        and e[2].headers.get("retry-after"))]
        proof.check(len(down) > 0 and not bad, f"every answer while down is a 503 problem document, code database_unavailable, "
                    f"with Retry-After ({len(bad)} not: {[(e[0], e[2].status, e[2].error) for e in bad][:5]})")
        slowest = max(e[2].took for e in events)
        proof.check(slowest <= a.limit, f"slowest answer of the whole run {slowest:.2f} s <= {a.limit} s (DVC_DB_TIMEOUT_SECS={a.db_timeout}): nothing hangs")
        no_answer = [e for e in events if e[2].status is None]
        proof.check(not no_answer, f"every request got an HTTP answer ({len(no_answer)} did not: {[e[2].error for e in no_answer][:3]})")
        five = [e for e in events if e[2].status and e[2].status >= 500 and e[2].status != 503]
        proof.check(not five, f"no 5xx other than 503 ({[(e[0], e[2].status, e[2].body[:120]) for e in five][:3]})")
        proof.check(any(e[0] == "ready" and e[2].status == 503 for e in down), "/health/ready answers 503 while down")
        for kind in ("write", "read", "ready"):
            ok = [done(e) for e in events if e[0] == kind and e[1] >= t_up and 200 <= (e[2].status or 0) < 300]
            back = (min(ok) - t_up) if ok else float("inf")
            proof.check(back <= 5.0, f"{kind}: first success {back:.2f} s after PostgreSQL accepts connections again (<= 5 s)")
        late = [e for e in events if e[1] >= t_up + 5 and not (200 <= (e[2].status or 0) < 300)]
        proof.check(not late, f"every request started 5 s after the return succeeds ({len(late)} did not)")
        proof.check(server.alive() and server.proc.pid == pid, f"the same dvc process (pid {pid}) served throughout: no restart")

        acked = [s for s in subs if s.acknowledged]
        refused = [s for s in subs if not s.acknowledged]
        print(f"  writes: {len(subs)} submissions, {len(acked)} acknowledged, {len(refused)} answered 503")
        check_acknowledged(proof, server, subs, tokens)
        in_db = sql_value(url, "SELECT count(*) FROM dossiers WHERE summary LIKE 'drill %'")
        print(f"  {in_db} drill dossiers in the database ({in_db - len(acked)} committed although answered 503)")
        retried = [s.send(server.base, tokens[s.citizen]) for s in refused]
        proof.check(all(x.status == 201 for x in retried), f"all {len(refused)} refused writes retried with their key answer 201")
        check_database(proof, url, subs)
    finally:
        stop.set()
        if not pg_is_up():
            try:
                pg("start")
            except Exception as e:  # report, never leave it down silently
                print(f"could not start PostgreSQL again: {e}")
        server.stop()
        if server.log_path:
            print(f"  server log: {server.log_path}")
    drop_database(url)
    return proof


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--outage", type=float, default=10.0, help="seconds PostgreSQL stays down (at most 15)")
    ap.add_argument("--after", type=float, default=8.0, help="seconds of load after it returns")
    ap.add_argument("--clients", type=int, default=3, help="concurrent submitting clients")
    ap.add_argument("--db-timeout", type=int, default=2, help="DVC_DB_TIMEOUT_SECS for the server")
    ap.add_argument("--limit", type=float, default=5.0, help="longest acceptable answer, in seconds")
    ap.add_argument("--hang", type=float, default=30.0, help="client timeout: a request this slow is a hang")
    a = ap.parse_args()
    a.outage = min(a.outage, 15.0)
    try:
        drill(a).finish()
    except Failed as e:
        print(f"FAILED: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
