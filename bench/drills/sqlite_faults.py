#!/usr/bin/env python3
"""Drill 3: the SQLite file turns read-only, and its disk fills up.

read-only: a database with acknowledged dossiers is made read-only
(chmod 0444; the server runs as the unprivileged user `nobody`, since root
ignores permission bits) and `dvc serve` is started on it. Proves: it
starts and reads work (a dossier, the list, readiness); every write is a 503
problem document (code database_read_only, Retry-After) answered at once;
after chmod 0644 and a restart, PRAGMA integrity_check is ok, every
acknowledged dossier is there and writes work again.

full disk: the database lives on a tmpfs of a few MB (mounted by this
script: needs root); clients submit dossiers with 64 KB documents until the
disk is full. Proves: every refused write is a 507 problem document (code
storage_full) answered within a bounded time, the process keeps running,
reads keep working while the disk is full; after the tmpfs is grown
(remount, no restart) writes work again, refused writes retried with their
Idempotency-Key make one dossier each; PRAGMA integrity_check is ok and every
acknowledged dossier is there.

Usage (as root, after `cargo build --release`):
    python3 bench/drills/sqlite_faults.py
    python3 bench/drills/sqlite_faults.py --fault full
"""
import argparse, os, pwd, sqlite3, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *  # noqa: E402,F403


def integrity(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


def is_problem(a, status, code):
    return a.status == status and a.problem and (a.json() or {}).get("code") == code


def read_only(limit):
    proof = Proof("read-only SQLite file")
    nobody = pwd.getpwnam("nobody")
    directory = tempfile.mkdtemp(prefix="dvc-drill-ro-")
    os.chown(directory, nobody.pw_uid, nobody.pw_gid)
    url = fresh_database("sqlite", "dvc", directory)
    path = url[len("sqlite://"):]
    server = Server(url, user=str(nobody.pw_uid))
    try:
        server.start()
        set_up_catalogue(server)
        citizen = citizen_id(1)
        tokens = {citizen: server.token("citizen", sub=citizen)}
        subs = [Submission(citizen) for _ in range(40)]
        for s in subs:
            must(s.send(server.base, tokens[citizen]), 201, "a submission before the fault")
        server.stop()
        os.chmod(path, 0o444)
        log(f"{len(subs)} dossiers acknowledged; {path} is now mode 0444; starting dvc as nobody on it")
        server.start()
        ready = call(server.base, "GET", "/health/ready")
        proof.check(ready.status == 200, f"dvc starts on the read-only file; /health/ready {ready.status} (reads work)")
        one = call(server.base, "GET", f"/api/v1/dossiers/{subs[0].code}", tokens[citizen])
        proof.check(one.status == 200, f"a dossier reads: {one.status}")
        page = call(server.base, "GET", "/api/v1/dossiers?limit=50", tokens[citizen])
        proof.check(page.status == 200 and len((page.json() or {}).get("items", [])) == 40, f"the list reads: {page.status}, {len((page.json() or {}).get('items', []))} items")
        refused = [Submission(citizen) for _ in range(10)]
        answers = [s.send(server.base, tokens[citizen]) for s in refused]
        a = answers[0]
        print(f"  a write on the read-only file: {a.status} {a.headers.get('content-type')} Retry-After {a.headers.get('retry-after')} "
              f"in {a.took * 1000:.0f} ms: {a.body.decode()[:200]}")
        proof.check(all(is_problem(x, 503, "database_read_only") and x.headers.get("retry-after") for x in answers),
                    f"all {len(answers)} writes: 503 problem, code database_read_only, Retry-After ({sorted(set(x.status for x in answers), key=str)})")
        slowest = max(x.took for x in answers)
        proof.check(slowest <= limit, f"slowest refusal {slowest:.2f} s <= {limit} s")
        proof.check(server.alive(), "the process is still running")
        server.stop()
        os.chmod(path, 0o644)
        check = integrity(path)
        proof.check(check == [("ok",)], f"after chmod 0644: PRAGMA integrity_check = {check}")
        server.start()
        check_acknowledged(proof, server, subs, tokens)
        back = [s.send(server.base, tokens[citizen]) for s in refused]
        proof.check(all(x.status == 201 for x in back), f"after a restart writes work: the {len(refused)} refused writes, retried, answer 201")
        check_database(proof, url, subs + refused)
    finally:
        server.stop()
        try:
            os.chmod(path, 0o644)
        except OSError:
            pass
    return proof


def full_disk(size_mb, limit):
    proof = Proof("full disk under SQLite")
    mount = tempfile.mkdtemp(prefix="dvc-drill-full-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", mount], check=True)
    server = None
    try:
        url = fresh_database("sqlite", "dvc", mount)
        path = url[len("sqlite://"):]
        server = Server(url, extra_env={"DVC_POOL_SIZE": "4"}).start()
        set_up_catalogue(server)
        citizens = [citizen_id(i) for i in range(2)]
        tokens = {c: server.token("citizen", sub=c) for c in citizens}
        st = os.statvfs(mount)
        log(f"tmpfs of {size_mb} MB at {mount}; {(st.f_blocks - st.f_bfree) * st.f_frsize / 1e6:.2f} MB used after the set-up")
        subs, lock = [], threading.Lock()

        def client(c):
            refusals = 0
            while refusals < 5 and len(subs) < 2000:
                s = Submission(c, doc_bytes=64 * 1024)
                with lock:
                    subs.append(s)
                a = s.send(server.base, tokens[c], timeout=60)
                refusals = 0 if a.status == 201 else refusals + 1
        threads = [threading.Thread(target=client, args=(c,)) for c in citizens]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        answers = [a for s in subs for a in s.answers]
        acked = [s for s in subs if s.acknowledged]
        refused = [s for s in subs if not s.acknowledged]
        statuses = {}
        for a in answers:
            statuses[a.status] = statuses.get(a.status, 0) + 1
        print(f"  {len(subs)} submissions until the disk was full: {len(acked)} acknowledged, {len(refused)} refused; statuses {statuses}")
        first = next(a for a in answers if a.status != 201)
        print(f"  first refusal: {first.status} {first.headers.get('content-type')} Retry-After {first.headers.get('retry-after')} "
              f"in {first.took * 1000:.0f} ms: {first.body.decode()[:220]}")
        bad = [a for a in answers if a.status != 201 and not is_problem(a, 507, "storage_full")]
        proof.check(refused and not bad, f"every refused write is a 507 problem document, code storage_full ({[(a.status, a.body[:120]) for a in bad][:3]})")
        slowest = max(a.took for a in answers)
        proof.check(slowest <= limit, f"slowest answer {slowest:.2f} s <= {limit} s: nothing hangs")
        proof.check(server.alive(), "the process is still running")
        reads = [call(server.base, "GET", f"/api/v1/dossiers/{s.code}", tokens[s.citizen]) for s in acked[-20:]]
        proof.check(all(r.status == 200 for r in reads), f"while full, the last 20 acknowledged dossiers read: {sorted(set(r.status for r in reads))}")
        page = call(server.base, "GET", "/api/v1/dossiers?limit=50", tokens[citizens[0]])
        proof.check(page.status == 200, f"while full, the list reads: {page.status}")
        ready = call(server.base, "GET", "/health/ready")
        proof.check(ready.status == 200, f"while full, /health/ready: {ready.status}")
        subprocess.run(["mount", "-o", f"remount,size={size_mb * 8}m", mount], check=True)
        log(f"tmpfs grown to {size_mb * 8} MB (no restart)")
        t0 = time.time()
        back = refused[0].send(server.base, tokens[refused[0].citizen])
        while back.status != 201 and time.time() - t0 < 10:
            time.sleep(0.2)
            back = refused[0].send(server.base, tokens[refused[0].citizen])
        proof.check(back.status == 201, f"writes work again {time.time() - t0:.2f} s after the disk has room, without a restart")
        again = [s.send(server.base, tokens[s.citizen]) for s in refused[1:]]
        proof.check(all(a.status == 201 for a in again), f"all {len(refused)} refused writes, retried with their key, answer 201")
        check_acknowledged(proof, server, subs, tokens)
        server.stop()
        check = integrity(path)
        proof.check(check == [("ok",)], f"PRAGMA integrity_check = {check}")
        check_database(proof, url, subs)
    finally:
        if server:
            server.stop()
        subprocess.run(["umount", mount])
        os.rmdir(mount)
    return proof


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fault", choices=["read-only", "full", "both"], default="both")
    ap.add_argument("--size-mb", type=int, default=6, help="size of the tmpfs that fills up")
    ap.add_argument("--limit", type=float, default=5.0, help="longest acceptable answer, in seconds")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the drill mounts a tmpfs and runs dvc as nobody")
    failed = False
    for fault in (["read-only", "full"] if a.fault == "both" else [a.fault]):
        try:
            (read_only(a.limit) if fault == "read-only" else full_disk(a.size_mb, a.limit)).finish()
        except SystemExit as e:
            failed = failed or e.code != 0
        except Failed as e:
            print(f"{fault}: FAILED: {e}")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
