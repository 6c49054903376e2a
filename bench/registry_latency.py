#!/usr/bin/env python3
"""Submission latency with the applicant check against the population
database (docs/NATIONAL-DATABASES.md), against the same submissions with no
database connected, and with a database that answers too late.

For each case: a fresh SQLite database, `dvc serve` (the release build, or
$DVC_BIN), the minimal catalogue of bench/drills/common.py, then N online
submissions one after another, each by another citizen (so the connector's
cache never answers), timed from request to 201. The simulator is a
threaded Python server on 127.0.0.1 that answers every ID number with the
name the submission gives, after the case's delay.

Cases:
  off     no DVC_POPULATION_URL: no check;
  50ms    the simulator answers in 50 ms: every dossier ends `verified`;
  10s     the simulator answers in 10 s: with the defaults (2 s timeout,
          1 retry) each submission is bounded by about 4.2 s, ends
          `pending`, and the breaker opens after 5 such requests, after
          which submissions fail fast (still 201, still `pending`).

Usage: python3 bench/registry_latency.py [--n 200] [--slow-n 12] [--cases off,50ms,10s]
Standard library only.
"""
import argparse, http.server, json, os, statistics, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "drills"))
import common  # noqa: E402


def simulator(delay):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            time.sleep(delay)
            out = json.dumps({"id_number": body.get("id_number"), "full_name": "Nguyễn Văn An",
                              "date_of_birth": None, "permanent_address": "Thủ Dầu Một"}).encode()
            try:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
            except (BrokenPipeError, ConnectionResetError):
                pass  # dvc gave up waiting

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_case(name, n, delay):
    env = {}
    sim = None
    if delay is not None:
        sim = simulator(delay)
        env["DVC_POPULATION_URL"] = f"http://127.0.0.1:{sim.server_address[1]}"
    url = common.fresh_database("sqlite", f"bench_registry_{name}")
    server = common.Server(url, extra_env=env).start()
    try:
        common.set_up_catalogue(server)
        times, states = [], {}
        for i in range(n):
            citizen = common.citizen_id(i)
            token = server.token("citizen", sub=citizen)
            s = common.Submission(citizen)
            a = common.call(server.base, "POST", "/api/v1/dossiers", token, s.body, timeout=60)
            d = common.must(a, 201, f"{name} submission {i}")
            times.append(a.took * 1000)
            state = (d.get("applicant_check") or {}).get("state", "none")
            states[state] = states.get(state, 0) + 1
        in_order = list(times)
        times.sort()
        p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
        row = {"case": name, "n": n, "p50_ms": round(statistics.median(times), 1), "p95_ms": round(p(0.95), 1),
               "max_ms": round(times[-1], 1), "mean_ms": round(statistics.mean(times), 1), "states": states}
        if name == "10s":
            row["each_ms_in_order"] = [round(t) for t in in_order]
        print(json.dumps(row, ensure_ascii=False), flush=True)
        return row
    finally:
        server.stop()
        if sim:
            sim.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--slow-n", type=int, default=12)
    ap.add_argument("--cases", default="off,50ms,10s")
    args = ap.parse_args()
    print(f"binary: {common.BIN}", flush=True)
    for case in args.cases.split(","):
        delay = {"off": None, "50ms": 0.05, "10s": 10.0}[case]
        run_case(case, args.slow_n if case == "10s" else args.n, delay)


if __name__ == "__main__":
    main()
