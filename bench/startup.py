#!/usr/bin/env python3
"""Start-up to ready, and idle resident memory, of the release binary on an existing database.

Usage: python3 bench/startup.py [--runs 20] [--postgres postgres://postgres@127.0.0.1:5432/postgres]

For each backend: migrate a fresh database once (so later starts find an existing one), then
start `pingyi serve` --runs times. Each run measures the wall time from spawning the process
to the first 200 from /readyz, then, after 2 s idle, VmRSS from /proc. Prints medians.
"""
import argparse
import os
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "pingyi")


def ready(base):
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def one_run(env, cwd):
    started = time.perf_counter()
    proc = subprocess.Popen([BIN, "serve"], env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    base = None
    for line in proc.stdout:
        if "running at" in line:
            base = line.split("running at", 1)[1].strip()
            break
    while not ready(base):
        time.sleep(0.001)
    elapsed = time.perf_counter() - started
    time.sleep(2)
    rss = rss_kib(proc.pid)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)
    return elapsed, rss


def bench(name, database_url, runs, cwd):
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": database_url, "PINGYI_BIND": "127.0.0.1:0",
           "RUST_LOG": "warn"}
    subprocess.run([BIN, "migrate"], env=env, cwd=cwd, check=True, capture_output=True)
    results = [one_run(env, cwd) for _ in range(runs)]
    times = sorted(r[0] * 1000 for r in results)
    rss = sorted(r[1] / 1024 for r in results)
    print(f"{name:10} start-up to ready: median {statistics.median(times):.1f} ms "
          f"(min {times[0]:.1f}, max {times[-1]:.1f}, n={runs}); "
          f"idle RSS: median {statistics.median(rss):.1f} MiB (max {rss[-1]:.1f})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--postgres", default=os.environ.get("PINGYI_TEST_POSTGRES_URL"))
    args = ap.parse_args()
    if not os.path.exists(BIN):
        raise SystemExit(f"build first: cargo build --release ({BIN} missing)")
    with tempfile.TemporaryDirectory() as tmp:
        bench("sqlite", os.path.join(tmp, "data", "pingyi.db"), args.runs, tmp)
        if args.postgres:
            name = "pingyi_bench_startup"
            admin = args.postgres
            subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
            subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
            parts = urllib.parse.urlsplit(admin)
            url = urllib.parse.urlunsplit(parts._replace(path="/" + name))
            try:
                bench("postgresql", url, args.runs, tmp)
            finally:
                subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
        else:
            print("postgresql skipped: pass --postgres URL or set PINGYI_TEST_POSTGRES_URL")


if __name__ == "__main__":
    main()
