#!/usr/bin/env python3
"""The cost of one row every writer locks, measured by PostgreSQL alone.

Two pgbench scripts of the same shape, each client writing its own rows
(an update of "its dossier" and one change row of 500 bytes, then commit):

- `counter`: the change's place taken from a one-row counter as the last
  write before commit (what dvc did before the sequencer): every commit
  waits for the one before it to be flushed;
- `sequence`: the change's id from a sequence, no shared row (what dvc does
  now; the places are given after commit by the sequencer, which readers run).

Usage: python3 bench/write_lock.py [--duration 8] [--clients 1,8,32]
Prints a Markdown table; talks to 127.0.0.1:5432 only (database
dvc_bench_lock, dropped at the end).
"""
import argparse
import os
import re
import subprocess
import tempfile

PG = "postgres://postgres@127.0.0.1:5432"
DB = "dvc_bench_lock"

SETUP = """
CREATE TABLE counter (id int PRIMARY KEY, last bigint NOT NULL);
INSERT INTO counter VALUES (1, 0);
CREATE TABLE dossiers (id int PRIMARY KEY, version int NOT NULL);
INSERT INTO dossiers SELECT g, 0 FROM generate_series(0, 255) g;
CREATE TABLE changes_counter (seq bigint PRIMARY KEY, dossier int NOT NULL, payload text NOT NULL);
CREATE TABLE changes_sequence (id bigserial PRIMARY KEY, seq bigint UNIQUE, dossier int NOT NULL, payload text NOT NULL);
CREATE INDEX ON changes_sequence (id) WHERE seq IS NULL;
"""

SCRIPTS = {
    "counter": """BEGIN;
UPDATE dossiers SET version = version + 1 WHERE id = :client_id;
UPDATE counter SET last = last + 1 WHERE id = 1 RETURNING last \\gset
INSERT INTO changes_counter VALUES (:last, :client_id, repeat('x', 500));
COMMIT;
""",
    "sequence": """BEGIN;
UPDATE dossiers SET version = version + 1 WHERE id = :client_id;
INSERT INTO changes_sequence (dossier, payload) VALUES (:client_id, repeat('x', 500));
COMMIT;
""",
}


def psql(sql, db="postgres"):
    subprocess.run(["psql", f"{PG}/{db}", "-qAtc", sql], check=True, capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--clients", default="1,8,32")
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB}")
    psql(SETUP, DB)
    tmp = tempfile.mkdtemp(prefix="dvc-lock-")
    rows = []
    try:
        for c in [int(x) for x in a.clients.split(",")]:
            for name, script in SCRIPTS.items():
                path = os.path.join(tmp, f"{name}.sql")
                with open(path, "w") as f:
                    f.write(script)
                tps, lat = [], []
                for _ in range(a.repeats):
                    out = subprocess.run(["pgbench", "-n", "-M", "prepared", "-f", path, "-c", str(c), "-j", str(min(c, 2)),
                                          "-T", str(a.duration), f"{PG}/{DB}"], check=True, capture_output=True, text=True).stdout
                    tps.append(float(re.search(r"tps = ([\d.]+) \(without", out).group(1)))
                    lat.append(float(re.search(r"latency average = ([\d.]+) ms", out).group(1)))
                rows.append((name, c, tps, lat))
                print(f"{name:9} c={c:2}: {' / '.join(f'{t:.0f}' for t in tps)} tps, avg {' / '.join(f'{l:.1f}' for l in lat)} ms", flush=True)
    finally:
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    print()
    print("| clients | counter tps | counter avg ms | sequence tps | sequence avg ms | sequence ÷ counter |")
    print("|---|---|---|---|---|---|")
    by = {(n, c): (sum(t) / len(t), sum(l) / len(l)) for n, c, t, l in rows}
    for c in [int(x) for x in a.clients.split(",")]:
        (ct, cl), (st, sl) = by[("counter", c)], by[("sequence", c)]
        print(f"| {c} | {ct:.0f} | {cl:.1f} | {st:.0f} | {sl:.1f} | {st / ct:.2f}× |")


if __name__ == "__main__":
    main()
