#!/usr/bin/env python3
"""Scoring a month of 1,000,000 responses: pingyi against the plain GROUP BY.

Usage: python3 bench/scoring.py [--responses 1000000] [--departments 100] [--runs 10]
                                [--postgres postgres://postgres@127.0.0.1:5432/postgres]

For each backend: `pingyi demo` fills a fresh database with one month (2026-10) of responses
(6 rating answers each, a comment on about 10%) for the given number of departments; then
`pingyi results 2026-10 --repeat N` times the whole scoring of the month (tallies read, scoring,
the previous month for 环比, channel breakdown) inside one process; then the reference: the plain
aggregate over the answers (department x indicator x level of valid responses in the month), run
directly by the sqlite3 shell / psql on the same database, timed the same number of times.
Prints medians.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "pingyi")

# October 2026 in Asia/Shanghai, as UTC bounds.
START, END = "2026-09-30 16:00:00", "2026-10-31 16:00:00"
REFERENCE = f"""
SELECT r.department_id, q.indicator_id, a.level, COUNT(*)
FROM answers a
JOIN responses r ON r.id = a.response_id
JOIN questions q ON q.id = a.question_id
WHERE r.status = 'valid' AND r.excluded = {{false}}
  AND r.submitted_at >= '{START}' AND r.submitted_at < '{END}'
  AND q.indicator_id IS NOT NULL AND a.level BETWEEN 1 AND 5
GROUP BY r.department_id, q.indicator_id, a.level;
"""


def run(cmd, env=None):
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)


def median_ms(cmd, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        run(cmd)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times), max(times)


def bench(name, url, reference_cmd, args, cwd):
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": url, "PINGYI_TIME_ZONE": "Asia/Shanghai",
           "RUST_LOG": "warn"}
    t = time.perf_counter()
    out = run([BIN, "demo", "--responses", str(args.responses), "--departments", str(args.departments),
               "--days", "2026-10-01", "2026-10-31"], env)
    load_s = time.perf_counter() - t
    print(f"[{name}] {out.stdout.strip().splitlines()[0]} (load {load_s:.0f} s)")
    scored = subprocess.run([BIN, "results", "2026-10", "--repeat", str(args.runs)], env=env, cwd=cwd,
                            check=True, capture_output=True, text=True)
    timing = [l for l in scored.stderr.splitlines() if l.startswith("scoring")][0]
    pingyi_ms = float(timing.split("median ")[1].split(" ms")[0])
    ref = median_ms(reference_cmd, args.runs)
    print(f"[{name}] pingyi scoring: {timing.split(': ', 1)[1]}")
    print(f"[{name}] reference GROUP BY: median {ref[0]:.1f} ms (min {ref[1]:.1f}, max {ref[2]:.1f}, "
          f"{args.runs} runs, includes the shell's start-up)")
    print(f"[{name}] ratio pingyi / reference: {pingyi_ms / ref[0]:.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--responses", type=int, default=1_000_000)
    ap.add_argument("--departments", type=int, default=100)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--postgres", default=os.environ.get("PINGYI_TEST_POSTGRES_URL"))
    ap.add_argument("--skip-sqlite", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(BIN):
        raise SystemExit(f"build first: cargo build --release ({BIN} missing)")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_sqlite:
            path = os.path.join(tmp, "bench.db")
            bench("sqlite", path, ["sqlite3", path, REFERENCE.format(false="0")], args, tmp)
        if args.postgres:
            name = "pingyi_bench_scoring"
            run(["psql", args.postgres, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
            run(["psql", args.postgres, "-qc", f"CREATE DATABASE {name}"])
            parts = urllib.parse.urlsplit(args.postgres)
            url = urllib.parse.urlunsplit(parts._replace(path="/" + name))
            try:
                run(["psql", url, "-qc", "SELECT 1"])
                bench("postgresql", url, ["psql", url, "-qAtc", REFERENCE.format(false="false")], args, tmp)
            finally:
                run(["psql", args.postgres, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])


if __name__ == "__main__":
    main()
