#!/usr/bin/env python3
"""Exporting 1,000,000 raw responses as CSV, and the scoring sheet of 100 departments as XLSX.

Usage: python3 bench/export.py [--responses 1000000] [--departments 100] [--runs 3]

Fills a fresh SQLite database with one month (2026-10) by `pingyi demo`, starts the release
server, creates an API key, then:
- downloads GET /api/v1/exports/responses?period=2026-10&format=csv --runs times with curl,
  timing each download to the last byte and reading the server's peak resident memory (VmHWM) afterwards;
- runs the reference in the same run: `sqlite3 -csv` dumping the same rows and columns (one row
  per response, answers pivoted into columns, same order) into a file;
- downloads GET /api/v1/exports/sheet/2026-10?format=xlsx&version=live (scoring included).
Prints medians and the throughput ratio.
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "pingyi")
START, END = "2026-09-30 16:00:00", "2026-10-31 16:00:00"


def proc_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def download(url, key):
    """curl to /dev/null: a native client, so the measurement is the server's, not Python's
    chunked-transfer decoding (which alone took longer than the export)."""
    t = time.perf_counter()
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download} %{http_code}",
                          "-H", f"Authorization: Bearer {key}", url], check=True, capture_output=True,
                         text=True).stdout.split()
    elapsed = time.perf_counter() - t
    if out[1] != "200":
        raise SystemExit(f"{url}: HTTP {out[1]}")
    return elapsed, int(out[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--responses", type=int, default=1_000_000)
    ap.add_argument("--departments", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "bench.db")
        env = {"PATH": os.environ["PATH"], "DATABASE_URL": db, "PINGYI_TIME_ZONE": "Asia/Shanghai",
               "PINGYI_BIND": "127.0.0.1:0", "RUST_LOG": "warn"}
        out = subprocess.run([BIN, "demo", "--responses", str(args.responses), "--departments",
                              str(args.departments), "--days", "2026-10-01", "2026-10-31"],
                             env=env, check=True, capture_output=True, text=True).stdout
        print(out.splitlines()[0])
        out = subprocess.run([BIN, "api-key", "add", "bench", "--scope", "responses:read", "--scope",
                              "exports:read"], env=env, check=True, capture_output=True, text=True).stdout
        key = re.search(r"pk_\S+", out).group(0)

        server = subprocess.Popen([BIN, "serve"], env=env, cwd=tmp, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        base = None
        for line in server.stdout:
            if "running at" in line:
                base = line.split("running at", 1)[1].strip()
                break
        try:
            rss_idle = proc_kib(server.pid, "VmRSS") / 1024
            times = []
            for _ in range(args.runs):
                elapsed, size = download(f"{base}/api/v1/exports/responses?period=2026-10&format=csv", key)
                times.append(elapsed)
            peak = proc_kib(server.pid, "VmHWM") / 1024
            rows = args.responses
            med = statistics.median(times)
            print(f"pingyi CSV export: {size / 1e6:.0f} MB, median {med:.2f} s over {args.runs} runs "
                  f"(min {min(times):.2f}, max {max(times):.2f}), {rows / med:,.0f} rows/s; "
                  f"server RSS idle {rss_idle:.1f} MiB, peak (VmHWM) {peak:.1f} MiB")

            qids = subprocess.run(["sqlite3", db, "SELECT id, kind FROM questions ORDER BY id"], check=True,
                                  capture_output=True, text=True).stdout.split()
            cols = []
            for row in qids:
                qid, kind = row.split("|")
                value = "a.level" if kind != "text" else "a.text_value"
                cols.append(f"MAX(CASE WHEN a.question_id = {qid} THEN {value} END)")
            query = (
                "SELECT r.receipt_code, r.submitted_at, d.code, d.name, r.channel, r.respondent_group, r.status, "
                "r.duration_ms / 1000, r.flags, " + ", ".join(cols) +
                " FROM responses r JOIN departments d ON d.id = r.department_id "
                "LEFT JOIN answers a ON a.response_id = r.id "
                f"WHERE r.submitted_at >= '{START}' AND r.submitted_at < '{END}' "
                "GROUP BY r.id ORDER BY r.submitted_at, r.id;")
            ref_times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                with open(os.path.join(tmp, "ref.csv"), "w") as f:
                    subprocess.run(["sqlite3", "-csv", db, query], stdout=f, check=True)
                ref_times.append(time.perf_counter() - t)
            ref = statistics.median(ref_times)
            ref_size = os.path.getsize(os.path.join(tmp, "ref.csv"))
            print(f"sqlite3 -csv reference: {ref_size / 1e6:.0f} MB, median {ref:.2f} s "
                  f"(min {min(ref_times):.2f}, max {max(ref_times):.2f}), {rows / ref:,.0f} rows/s")
            print(f"throughput ratio pingyi / sqlite3: {ref / med:.2f}")

            sheet = [download(f"{base}/api/v1/exports/sheet/2026-10?format=xlsx&version=live", key)[0]
                     for _ in range(5)]
            print(f"scoring sheet XLSX ({args.departments} departments, live scoring included): "
                  f"median {statistics.median(sheet) * 1000:.0f} ms (min {min(sheet) * 1000:.0f}, "
                  f"max {max(sheet) * 1000:.0f}, 5 runs)")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
