#!/usr/bin/env python3
"""Drill 1: SIGKILL `dvc serve` while several clients submit online dossiers
(each with an Idempotency-Key and two documents), restart it, repeat.

Proves, on each database:
- every dossier whose 201 reached its client exists after the restart, with
  both documents (SHA-256 as sent), read back over the API;
- no dossier code is given twice; no request made two dossiers;
- nothing is half-written: every dossier has its history row and its outbox
  change, every document row its content (SQL);
- a request whose answer was lost in the kill, retried with the same key,
  gets one dossier: the one committed before the kill, or a new one.

Usage (after `cargo build --release`; DVC_BIN names another binary):
    python3 bench/drills/kill_during_submissions.py --db both
"""
import argparse, os, random, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *  # noqa: E402,F403


def load(server, tokens, citizens, subs, stop, lock):
    """One client: submits until the server stops answering."""
    def client(citizen):
        while not stop.is_set():
            s = Submission(citizen)
            with lock:
                subs.append(s)
            a = s.send(server.base, tokens[citizen], timeout=30)
            if a.status is None:
                return  # the server is gone
    threads = [threading.Thread(target=client, args=(c,)) for c in citizens]
    for t in threads:
        t.start()
    return threads


def drill(db, rounds, clients, seed):
    rng = random.Random(seed)
    proof = Proof(f"kill during submissions ({db})")
    url = fresh_database(db, "dvc_drill_kill")
    server = Server(url, extra_env={"DVC_POOL_SIZE": "4"}).start()
    try:
        set_up_catalogue(server)
        citizens = [citizen_id(i) for i in range(clients)]
        tokens = {c: server.token("citizen", sub=c) for c in citizens}
        subs, lock = [], threading.Lock()
        other_answers = []
        for r in range(rounds):
            stop = threading.Event()
            before = len(subs)
            threads = load(server, tokens, citizens, subs, stop, lock)
            wait = rng.uniform(1.0, 3.0)
            time.sleep(wait)
            server.kill()
            stop.set()
            for t in threads:
                t.join()
            made = subs[before:]
            acked = sum(1 for s in made if s.acknowledged)
            cut = sum(1 for s in made if not s.acknowledged)
            other_answers += [a for s in made for a in s.answers if a.status not in (201, None)]
            log(f"round {r + 1}: killed after {wait:.2f} s; {len(made)} submissions: {acked} acknowledged, {cut} cut off by the kill")
            t0 = time.time()
            server.start()
            log(f"restarted in {time.time() - t0:.2f} s")
        proof.check(not other_answers, f"no answer other than 201 before the kills ({[a.status for a in other_answers][:5]})")
        acked = [s for s in subs if s.acknowledged]
        cut = [s for s in subs if not s.acknowledged]
        print(f"{db}: {len(subs)} submissions over {rounds} kills: {len(acked)} acknowledged, {len(cut)} without an answer")
        check_acknowledged(proof, server, subs, tokens)
        in_db = sql_value(url, "SELECT count(*) FROM dossiers WHERE summary LIKE 'drill %'")
        committed_unacked = in_db - len(acked)
        print(f"  {in_db} drill dossiers in the database: {committed_unacked} committed whose 201 was lost in a kill")
        proof.check(committed_unacked >= 0, "no acknowledged dossier is missing from the database")
        for what, n in consistency(url).items():
            proof.check(n == 0, f"after the kills, SQL: {what}: {n}")
        # Retry what had no answer, with the same key and body.
        retried = [s.send(server.base, tokens[s.citizen]) for s in cut]
        proof.check(all(a.status == 201 for a in retried),
                    f"all {len(cut)} cut-off requests retried with their key answer 201 ({sorted(set(a.status for a in retried))})")
        after = sql_value(url, "SELECT count(*) FROM dossiers WHERE summary LIKE 'drill %'")
        proof.check(after == len(subs), f"after the retries: {after} dossiers for {len(subs)} keys "
                    f"({committed_unacked} retries replayed the dossier committed before the kill)")
        check_database(proof, url, subs)
    finally:
        server.stop()
    drop_database(url)
    return proof


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--rounds", type=int, default=3, help="kills")
    ap.add_argument("--clients", type=int, default=6, help="concurrent submitting clients")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    failed = False
    for db in (["sqlite", "postgres"] if a.db == "both" else [a.db]):
        try:
            p = drill(db, a.rounds, a.clients, a.seed)
            p.finish()
        except SystemExit as e:
            failed = failed or e.code != 0
        except Failed as e:
            print(f"{db}: FAILED: {e}")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
