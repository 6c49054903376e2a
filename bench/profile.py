#!/usr/bin/env python3
"""Where a read spends its time: `perf` on `dvc serve` while wrk reads dossiers.

    python3 bench/profile.py --db sqlite            # or --db postgres

What it does: a fresh database with the demo catalogue and
`dvc seed synthetic --dossiers 3000 --seed 1` (as bench/load.py), `dvc serve`
(DVC_BIN), wrk at --clients connections for --duration seconds on the
workload (`get`: GET /api/v1/dossiers/{code} walking the agency's codes,
`list`: GET LIST_PATH), and meanwhile `perf record --call-graph dwarf` on the
server. Writes bench/results/profile-<db>-<workload>-<UTC date>.txt: the
share of the 25 busiest functions (self time, and with their callees) and
the request rate under perf; and the flame graph as .svg next to it.

The binary needs symbols: build it with
    CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only cargo build --release
Needs perf, wrk and inferno (`cargo install inferno`); talks to 127.0.0.1 only.
"""
import argparse, datetime, os, shutil, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402  (its server, tokens, seeding conventions and wrk scripts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    ap.add_argument("--workload", choices=["get", "list"], default="get")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--duration", type=int, default=12)
    ap.add_argument("--out", default=os.path.join(load.ROOT, "bench", "results"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="dvc-profile-")
    port = load.free_port()
    if a.db == "postgres":
        db = "dvc_bench_profile"
        load.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        load.psql(f"CREATE DATABASE {db}")
        url = f"{load.PG}/{db}"
    else:
        url = f"sqlite://{os.path.join(tmp, 'profile.db')}"
    env = dict(os.environ, DATABASE_URL=url, DVC_BIND=f"127.0.0.1:{port}", DVC_JWT_SECRET=load.SECRET,
               DVC_DEMO="true", DVC_DEMO_DOSSIERS="0", RUST_LOG="warn")
    subprocess.check_output([load.BIN, "seed", "synthetic", "--dossiers", "3000", "--seed", "1"], env=env)
    srv = load.Server(env, port)
    try:
        base = f"http://127.0.0.1:{port}"
        off = load.token(env, "officer", agency=load.AGENCY, sub="officer.khdt")
        codes_file = None
        if a.workload == "get":
            page = load.call(base, "GET", "/api/v1/dossiers?limit=500", off)
            codes_file = os.path.join(tmp, "codes.txt")
            with open(codes_file, "w") as f:
                f.write("\n".join(d["code"] for d in page["items"]))
        lua = os.path.join(tmp, f"{a.workload}.lua")
        with open(lua, "w") as f:
            f.write(load.LUA[a.workload])
        ctx = {"base": base, "body_file": "", "lua": {a.workload: lua},
               "tokens": {"officer": off, "citizen": off, "agencies": {}}}
        result = {}

        def drive():
            result["wrk"] = load.wrk(ctx, a.workload, a.clients, a.duration + 2, codes_file=codes_file)

        driver = threading.Thread(target=drive)
        driver.start()
        time.sleep(1)
        data = os.path.join(tmp, "perf.data")
        subprocess.run(["perf", "record", "-q", "-F", "499", "--call-graph", "dwarf,16384", "-p", str(srv.p.pid),
                        "-o", data, "--", "sleep", str(a.duration)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        driver.join()
    finally:
        srv.stop()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d-%H%M")
    name = os.path.join(a.out, f"profile-{a.db}-{a.workload}-{stamp}")

    script = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True).stdout
    folded = subprocess.run(["inferno-collapse-perf"], input=script, capture_output=True, text=True).stdout
    w = result.get("wrk", {})
    with open(name + ".txt", "w") as f:
        f.write(f"{a.workload} on {a.db}, {a.clients} connections, {a.duration} s under perf "
                f"(binary {os.path.basename(load.BIN)}): {w.get('rps', 0):.0f} req/s, p99 {w.get('p99_ms', 0):.1f} ms\n")
        f.write(hot_spots(folded))
    svg = subprocess.run(["inferno-flamegraph", "--minwidth", "1.5", "--title", f"dvc {a.workload} ({a.db})"],
                         input=folded, capture_output=True, text=True).stdout
    with open(name + ".svg", "w") as f:
        f.write(svg.replace(load.ROOT, "<repo>").replace(os.path.expanduser("~"), "~"))
    print(name + ".txt")
    shutil.rmtree(tmp, ignore_errors=True)


def hot_spots(folded, top=25):
    """Self and inclusive shares of the functions in `folded` (inferno's
    collapsed stacks: `frame;frame;...;leaf count`), largest first."""
    own, total, samples = {}, {}, 0
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [short(f) for f in stack.split(";")]
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for fn in set(frames):
            total[fn] = total.get(fn, 0) + n
    out = ["shares of perf's samples, each weighted by its period\n"]
    for title, table in (("self time", own), ("with callees", total)):
        out.append(f"\n## {title}\n")
        for fn, n in sorted(table.items(), key=lambda kv: -kv[1])[:top]:
            out.append(f"{100 * n / max(samples, 1):6.2f}%  {fn}\n")
    return "".join(out)


def short(frame):
    """A frame without generic arguments, at most 110 characters
    (`<a::B as c::D>::e` keeps its path; `f<T>` loses `<T>`)."""
    stack, out = [], []
    for i, ch in enumerate(frame):
        if ch == "<":
            generic = i > 0 and (frame[i - 1].isalnum() or frame[i - 1] in "_>")
            stack.append(generic)
            if not generic and not any(stack[:-1]):
                out.append(ch)
        elif ch == ">" and stack:
            if not stack.pop() and not any(stack):
                out.append(ch)
        elif not any(stack):
            out.append(ch)
    text = "".join(out)
    return text if len(text) <= 110 else text[:107] + "..."


if __name__ == "__main__":
    main()
