#!/usr/bin/env python3
"""Delivery throughput to the national portal: changes per second from the
outbox to a local portal simulator.

1. Starts `dvc serve` without a portal and makes N changes over HTTP (they
   wait in the outbox).
2. Restarts it with DVC_NATIONAL_PORTAL_URL pointing at a simulator on this
   machine and times how long until the simulator holds every change.

Usage (after `cargo build --release`):
    python3 bench/sync_throughput.py --db sqlite --dossiers 400
    python3 bench/sync_throughput.py --db postgres --dossiers 400
Standard library only; talks to 127.0.0.1 only.
"""
import argparse, http.server, json, os, subprocess, sys, tempfile, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("DVC_BIN", os.path.join(ROOT, "target", "release", "dvc"))
SECRET = "bench-secret-0123456789abcdef"
received = set()
lock = threading.Lock()


class Portal(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with lock:
            received.add(json.loads(body)["MaThayDoi"])
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(base, method, path, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"authorization": "Bearer " + token, "content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def token(env, role, agency=None, sub=None):
    args = [BIN, "token", "--role", role, "--ttl", "2h"]
    if agency:
        args += ["--agency", agency]
    if sub:
        args += ["--sub", sub]
    return subprocess.check_output(args, env=env).decode().strip()


def serve(env, port):
    p = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready")
            return p
        except Exception:
            time.sleep(0.05)
    raise SystemExit("dvc did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--dossiers", type=int, default=400)
    ap.add_argument("--batch", type=int, default=200)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    if a.db == "sqlite":
        url = f"sqlite://{tmp}/bench.db"
    else:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "DROP DATABASE IF EXISTS dvc_bench_sync WITH (FORCE)", "-c", "CREATE DATABASE dvc_bench_sync"], check=True)
        url = "postgres://postgres@127.0.0.1:5432/dvc_bench_sync"
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, DVC_BIND=f"127.0.0.1:{port}", DVC_JWT_SECRET=SECRET, DVC_DEMO="false", RUST_LOG="warn")
    base = f"http://127.0.0.1:{port}"
    p = serve(env, port)
    admin = token(env, "admin")
    call(base, "POST", "/api/v1/agencies", admin, {"code": "000.00.00.H56", "name": "UBND tỉnh", "level": "province", "parent": None})
    call(base, "POST", "/api/v1/agencies", admin, {"code": "000.00.05.H56", "name": "Sở KH&ĐT", "level": "department", "parent": "000.00.00.H56"})
    content = {"name": "Đăng ký doanh nghiệp", "sector": {"code": "DKKD", "name": "DKKD"}, "implementing_agencies": ["000.00.05.H56"],
               "level": "province", "service_level": "full", "processing_time": {"amount": 3, "unit": "working_days"},
               "components": [{"case": "", "code": "TP01", "name": "Giấy đề nghị", "originals": 1, "copies": 0}], "channels": ["online", "in_person"]}
    call(base, "POST", "/api/v1/procedures", admin, {"code": "2.001610", "agency": "000.00.05.H56", "content": content})
    call(base, "POST", "/api/v1/procedures/2.001610/versions/1/publish", admin, {"effective_from": "2025-01-01"})
    citizen = token(env, "citizen", sub="001099012345")
    officer = token(env, "officer", agency="000.00.05.H56")
    approver = token(env, "approver", agency="000.00.05.H56")
    t0 = time.time()
    for _ in range(a.dossiers):
        d = call(base, "POST", "/api/v1/dossiers", citizen, {"procedure": "2.001610", "summary": "bench",
                 "applicant": {"kind": "citizen", "id_number": "001099012345", "name": "Nguyễn Văn An"}})
        c = d["code"]
        call(base, "POST", f"/api/v1/dossiers/{c}/receive", officer, {})
        call(base, "POST", f"/api/v1/dossiers/{c}/hand-off", officer, {"to_agency": "000.00.05.H56"})
        call(base, "POST", f"/api/v1/dossiers/{c}/resolve", approver, {"outcome": "granted"})
        call(base, "POST", f"/api/v1/dossiers/{c}/return", officer, {"channel": "in_person"})
    n = a.dossiers * 5
    made = time.time() - t0
    p.terminate()
    p.wait()
    sim = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    threading.Thread(target=sim.serve_forever, daemon=True).start()
    env["DVC_NATIONAL_PORTAL_URL"] = f"http://127.0.0.1:{sim.server_address[1]}/portal"
    env["DVC_SYNC_BATCH"] = str(a.batch)
    t1 = time.time()
    p = serve(env, port)
    while True:
        with lock:
            if len(received) >= n:
                break
        if time.time() - t1 > 600:
            raise SystemExit(f"only {len(received)} of {n} delivered")
        time.sleep(0.01)
    took = time.time() - t1
    p.terminate()
    p.wait()
    sim.shutdown()
    print(f"{a.db}: {n} changes made over HTTP in {made:.1f} s ({n / made:.0f}/s); "
          f"delivered to the local portal in {took:.2f} s (start-up included) = {n / took:.0f} changes/s, batch {a.batch}")


if __name__ == "__main__":
    main()
