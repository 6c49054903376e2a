#!/usr/bin/env python3
"""Notifications: delivered per second to an SMS gateway simulator, and an
outage of the gateway that loses nothing.

1. Starts `dvc serve` (release build, or $DVC_BIN) on a fresh SQLite or
   PostgreSQL database with DVC_SMS_GATEWAY_URL pointing at a threaded
   Python gateway on 127.0.0.1 that answers 503 (the outage).
2. Submits and receives N dossiers over HTTP, each applicant with a phone
   number and `notify_by: ["sms"]`: each reception writes one notification
   to the outbox, whose deliveries now fail and are retried.
3. Keeps the gateway down for --outage-secs more, then brings it back and
   times until it has accepted one message for each of the N receptions.
4. Checks that nothing was lost and nothing sent twice: N distinct
   Idempotency-Keys accepted, none accepted more than once, each dossier's
   delivery state `sent`.

Usage: python3 bench/notify_throughput.py --db sqlite --dossiers 1000 --outage-secs 60
Standard library only; talks to 127.0.0.1 only.
"""
import argparse, collections, http.server, json, os, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "drills"))
import common  # noqa: E402

state = {"up": False, "attempts": 0}
accepted = collections.Counter()
lock = threading.Lock()


class Gateway(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        key = self.headers.get("idempotency-key", "")
        with lock:
            state["attempts"] += 1
            up = state["up"]
            if up:
                accepted[key] += 1
        self.send_response(200 if up else 503)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--dossiers", type=int, default=1000)
    ap.add_argument("--outage-secs", type=float, default=60)
    a = ap.parse_args()
    sim = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    sim.daemon_threads = True
    threading.Thread(target=sim.serve_forever, daemon=True).start()
    url = common.fresh_database(a.db, "dvc_bench_notify")
    env = {"DVC_SMS_GATEWAY_URL": f"http://127.0.0.1:{sim.server_address[1]}/sms",
           "DVC_NOTIFY_MAX_BACKOFF_SECS": "5", "DVC_NOTIFY_POLL_MS": "100"}
    server = common.Server(url, extra_env=env).start()
    try:
        common.set_up_catalogue(server)
        officer = server.token("officer", agency=common.DEPT)
        t0 = time.time()
        codes = []
        for i in range(a.dossiers):
            citizen = common.citizen_id(i)
            s = common.Submission(citizen)
            s.body["applicant"].update({"phone": f"09{i:08d}", "notify_by": ["sms"]})
            d = common.must(common.call(server.base, "POST", "/api/v1/dossiers", server.token("citizen", sub=citizen), s.body), 201, "submit")
            common.must(common.call(server.base, "POST", f"/api/v1/dossiers/{d['code']}/receive", officer, {}), 200, "receive")
            codes.append(d["code"])
        made = time.time() - t0
        common.log(f"{a.dossiers} dossiers submitted and received in {made:.1f} s; gateway down, {state['attempts']} attempts refused")
        time.sleep(a.outage_secs)
        with lock:
            refused = state["attempts"]
            state["up"] = True
        t1 = time.time()
        while True:
            with lock:
                if len(accepted) >= a.dossiers:
                    break
            if time.time() - t1 > 600:
                raise SystemExit(f"only {len(accepted)} of {a.dossiers} delivered")
            time.sleep(0.01)
        took = time.time() - t1
        time.sleep(2)  # anything sent twice would arrive now
        with lock:
            twice = sum(1 for n in accepted.values() if n > 1)
            distinct = len(accepted)
        admin = server.token("admin")
        states = collections.Counter()
        for code in codes[:: max(1, len(codes) // 50)]:
            got = common.must(common.call(server.base, "GET", f"/api/v1/dossiers/{code}/notifications", admin), 200, "state")
            for n in got.get("items", got if isinstance(got, list) else []):
                states[n["status"]] += 1
        print(json.dumps({"db": a.db, "dossiers": a.dossiers, "made_secs": round(made, 1),
                          "outage_secs": round(a.outage_secs + made, 1), "attempts_refused": refused,
                          "delivered": distinct, "accepted_twice": twice,
                          "delivery_secs_after_recovery": round(took, 2),
                          "per_second": round(a.dossiers / took, 1), "sampled_states": dict(states)}), flush=True)
        if distinct != a.dossiers or twice:
            raise SystemExit("lost or doubled notifications")
    finally:
        server.stop()
        sim.shutdown()
        common.drop_database(url)


if __name__ == "__main__":
    main()
