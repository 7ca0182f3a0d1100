#!/usr/bin/env python3
"""Concurrent scrapers against /metrics: latency percentiles and renders per second.

Starts the release example service with N cameras (or uses --url of a running one), waits for
its series to appear, then runs S scraper threads for a bounded time, each on one keep-alive
connection as Prometheus does, back to back. Loopback only. Prints p50/p95/p99/max scrape
latency, scrapes/s, and distinct expositions per second: bodies differ from one render to the
next while counters move, so that count is the renders the endpoint made (an upper bound).
Usage:

    cargo build --release -p example-inference-service
    python3 scripts/bench-scrape.py [--cameras 1000] [--scrapers 20] [--seconds 20]
"""

import argparse
import hashlib
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

BINARY = os.path.join(os.path.dirname(__file__), "..", "target", "release", "example-inference-service")


def scraper(host, port, path, stop_at, latencies, bodies, errors):
    conn = None
    while time.monotonic() < stop_at:
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=10)
            t0 = time.monotonic()
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            elapsed = time.monotonic() - t0
            if resp.status != 200:
                errors.append(f"status {resp.status}")
                continue
            latencies.append(elapsed)
            bodies.append((int(time.monotonic()), hashlib.blake2b(body, digest_size=8).digest(), len(body)))
        except (OSError, http.client.HTTPException) as e:
            errors.append(type(e).__name__)
            if conn is not None:
                conn.close()
            conn = None
    if conn is not None:
        conn.close()


def pct(sorted_values, q):
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[i]


def wait_for_series(url, cameras, limit_s=60):
    """Until the exposition carries series for (nearly) every camera, or limit_s passes."""
    u = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
            conn.request("GET", u.path)
            text = conn.getresponse().read().decode()
            conn.close()
            ids = {l.split('camera_id="', 1)[1].split('"', 1)[0] for l in text.splitlines() if 'camera_id="' in l}
            if len(ids) >= cameras * 0.95:
                return len(text), len(ids)
        except OSError:
            pass
        time.sleep(1)
    sys.exit(f"no series for {cameras} cameras at {url} after {limit_s}s")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cameras", type=int, default=1000)
    p.add_argument("--scrapers", type=int, default=20)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--url", help="scrape a running service instead of starting the example")
    p.add_argument("--binary", default=BINARY, help="the example service binary (default: the release build)")
    p.add_argument("--api-port", type=int, default=18081)
    p.add_argument("--metrics-port", type=int, default=19465)
    args = p.parse_args()

    proc = None
    url = args.url or f"http://127.0.0.1:{args.metrics_port}/metrics"
    if not args.url:
        if not os.path.exists(args.binary):
            sys.exit("build first: cargo build --release -p example-inference-service")
        env = dict(os.environ, ITS_TELEMETRY_METRICS_LISTEN=f"127.0.0.1:{args.metrics_port}", RUST_LOG="warn")
        cmd = [args.binary, "--listen", f"127.0.0.1:{args.api_port}", "--cameras", str(args.cameras)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        size, ids = wait_for_series(url, args.cameras)
        u = urllib.parse.urlsplit(url)
        stop_at = time.monotonic() + args.seconds
        latencies, bodies, errors = [], [], []
        threads = [
            threading.Thread(target=scraper, args=(u.hostname, u.port, u.path, stop_at, latencies, bodies, errors))
            for _ in range(args.scrapers)
        ]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    lat = sorted(latencies)
    distinct = len({h for _, h, _ in bodies})
    ms = lambda v: f"{v * 1000:.1f} ms"
    print(f"cameras={args.cameras} ({ids} camera ids, exposition {size / 1e6:.2f} MB) "
          f"scrapers={args.scrapers} seconds={wall:.1f}")
    print(f"scrapes={len(lat)} ({len(lat) / wall:.1f}/s) errors={len(errors)} {sorted(set(errors))}")
    print(f"latency p50={ms(pct(lat, 0.50))} p95={ms(pct(lat, 0.95))} p99={ms(pct(lat, 0.99))} max={ms(lat[-1]) if lat else '-'}")
    print(f"distinct expositions={distinct} ({distinct / wall:.1f}/s, an upper bound of renders/s)")


if __name__ == "__main__":
    main()
