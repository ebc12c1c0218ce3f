#!/usr/bin/env python3
"""Submissions under load, and after a crash: the survey's front door (issue 3).

Usage: python3 bench/load.py [--clients 64] [--seconds 10] [--postgres postgres://postgres@127.0.0.1:5432/postgres]

Builds the release server and the load generator (benches/load.rs). For each backend, on a fresh
database with a link (quality.min_seconds = 0 so that the generator's instant posts are not held
back as suspect; the per-client rate limit raised since every client is 127.0.0.1):

1. /healthz rate at --clients concurrent clients (the reference), then complete submissions
   (GET the form, POST it) at --clients for --seconds: submissions/s, p50/p99 of the POST, and
   acknowledged receipts == responses stored.
2. Crash mode: the same load, the server killed with SIGKILL after a third of the time, then
   every receipt code a client was given is looked up in the database, with its answers.
"""
import argparse
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "pingyi")


def generator():
    out = subprocess.run(["cargo", "bench", "--bench", "load", "--no-run", "--message-format=json"],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "load" and msg.get("executable"):
            return msg["executable"]
    raise SystemExit("load generator not built")


def sql(url, query):
    if url.startswith("postgres"):
        cmd = ["psql", url, "-qAtc", query]
    else:
        cmd = ["sqlite3", url, query]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def start(env, cwd):
    proc = subprocess.Popen([BIN, "serve"], env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        if "running at" in line:
            return proc, line.split("running at", 1)[1].strip()
    raise SystemExit("server did not start")


def run(load, *args):
    out = subprocess.run([load, *map(str, args)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench(name, url, args, load, tmp):
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": url, "PINGYI_TIME_ZONE": "Asia/Shanghai",
           "PINGYI_BIND": "127.0.0.1:0", "RUST_LOG": "error", "PINGYI_RATE_LIMIT_PER_MINUTE": "100000",
           "PINGYI_RATE_LIMIT_BURST": "100000"}
    subprocess.run([BIN, "demo", "--responses", "1000", "--departments", "10", "--months", "1"], env=env,
                   cwd=tmp, check=True, capture_output=True)
    out = subprocess.run([BIN, "link", "add", "--department", "D001", "--questionnaire", "disclosure"],
                         env=env, cwd=tmp, check=True, capture_output=True, text=True).stdout
    code = out.strip().rsplit("/s/", 1)[1]
    now = "CURRENT_TIMESTAMP"
    sql(url, f"INSERT INTO settings (key, value, updated_at) VALUES ('quality.min_seconds', '0', {now})")
    before = int(sql(url, "SELECT COUNT(*) FROM responses"))

    server, base = start(env, tmp)
    health = run(load, "health", base, args.clients, 5)
    receipts = os.path.join(tmp, f"{name}-receipts.txt")
    sub = run(load, "submit", base, args.clients, args.seconds, code, receipts)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    stored = int(sql(url, "SELECT COUNT(*) FROM responses")) - before
    acked = sum(1 for _ in open(receipts))
    print(f"[{name}] /healthz: {health['rate']:,.0f} req/s (p50 {health['p50_ms']:.1f} ms, p99 {health['p99_ms']:.1f} ms)")
    print(f"[{name}] submissions: {sub['rate']:,.0f}/s = {100 * sub['rate'] / health['rate']:.1f}% of /healthz; "
          f"POST p50 {sub['p50_ms']:.1f} ms, p99 {sub['p99_ms']:.1f} ms; errors {sub['errors']}; "
          f"acknowledged {acked}, stored {stored}")

    # Crash mode.
    before = int(sql(url, "SELECT COUNT(*) FROM responses"))
    server, base = start(env, tmp)
    receipts = os.path.join(tmp, f"{name}-crash-receipts.txt")
    gen = subprocess.Popen([load, "submit", base, str(args.clients), str(args.seconds), code, receipts],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(args.seconds / 3)
    server.send_signal(signal.SIGKILL)
    server.wait()
    gen.wait()
    acked = [l.strip() for l in open(receipts) if l.strip()]
    missing = []
    for chunk in range(0, len(acked), 500):
        codes = acked[chunk:chunk + 500]
        listed = ",".join(f"'{c}'" for c in codes)
        found = set(sql(url, f"SELECT r.receipt_code FROM responses r WHERE r.receipt_code IN ({listed}) "
                             f"AND (SELECT COUNT(*) FROM answers a WHERE a.response_id = r.id) >= 6").split())
        missing += [c for c in codes if c not in found]
    stored = int(sql(url, "SELECT COUNT(*) FROM responses")) - before
    print(f"[{name}] crash (SIGKILL after {args.seconds / 3:.1f} s): receipts served {len(acked)}, "
          f"stored with answers {len(acked) - len(missing)}, missing {len(missing)}; rows stored {stored}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--postgres", default=os.environ.get("PINGYI_TEST_POSTGRES_URL"))
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True, capture_output=True)
    load = generator()
    with tempfile.TemporaryDirectory() as tmp:
        bench("sqlite", os.path.join(tmp, "load.db"), args, load, tmp)
        if args.postgres:
            name = "pingyi_bench_load"
            sql(args.postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            sql(args.postgres, f"CREATE DATABASE {name}")
            parts = urllib.parse.urlsplit(args.postgres)
            try:
                bench("postgresql", urllib.parse.urlunsplit(parts._replace(path="/" + name)), args, load, tmp)
            finally:
                sql(args.postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
