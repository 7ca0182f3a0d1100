#!/usr/bin/env python3
"""Load benchmark of the example service: 1000 cameras x 5 fps through the batcher.

Runs the release build twice for the same duration, telemetry enabled and then disabled
(OTEL_SDK_DISABLED=true), and reports for each run: frames/s, p95 batch latency (queue + model,
from the service's own summary lines), the process's CPU time per second of wall time, and for
the enabled run the p95 of client-observed request latency from /metrics. The difference in CPU
is the cost of telemetry. Usage:

    cargo build --release -p example-inference-service
    python3 scripts/bench-example.py [--seconds 60] [--cameras 1000] [--fps 5]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

BINARY = os.path.join(os.path.dirname(__file__), "..", "target", "release", "example-inference-service")
CLIENT_BUCKETS = "http_client_request_duration_seconds_bucket"


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def buckets(text, name):
    """Cumulative bucket counts of one histogram, summed over label sets, by upper bound."""
    out = {}
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        le = re.search(r'le="([^"]+)"', line).group(1)
        bound = float("inf") if le == "+Inf" else float(le)
        out[bound] = out.get(bound, 0.0) + float(line.rsplit(" ", 1)[1])
    return out


def quantile(before, after, q):
    """The upper bound of the bucket holding quantile q of the samples between two scrapes."""
    delta = sorted((b, after.get(b, 0.0) - before.get(b, 0.0)) for b in after)
    total = delta[-1][1] if delta else 0.0
    if total <= 0:
        return None
    for bound, count in delta:
        if count >= q * total:
            return bound
    return None


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode()


def run(args, telemetry):
    env = dict(os.environ)
    env["ITS_TELEMETRY_METRICS_LISTEN"] = f"127.0.0.1:{args.metrics_port}"
    env["RUST_LOG"] = "warn"
    if not telemetry:
        env["OTEL_SDK_DISABLED"] = "true"
    # The admin API is not used here: any free loopback port, so a running service's 8081 is no clash.
    cmd = [BINARY, "--listen", f"127.0.0.1:{args.api_port}", "--admin-listen", "127.0.0.1:0",
           "--cameras", str(args.cameras),
           "--fps", str(args.fps), "--summary-seconds", "5"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(args.warmup)
        before_text = scrape(args.metrics_port) if telemetry else ""
        cpu0, wall0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(args.seconds)
        cpu1, wall1 = cpu_seconds(proc.pid), time.monotonic()
        after_text = scrape(args.metrics_port) if telemetry else ""
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    lines = [l for l in err.splitlines() if l.startswith("cameras online")]
    # Skip the summaries that cover the warm-up.
    measured = lines[int(args.warmup // 5):]
    fps = [float(re.search(r"frames/s\s+(\d+)", l).group(1)) for l in measured]
    p95 = [float(m.group(1)) for l in measured if (m := re.search(r"p95 batch latency\s+([\d.]+) ms", l))]
    failed = sum(int(re.search(r"failed requests\s+(\d+)", l).group(1)) for l in measured)
    result = {
        "cpu_cores": (cpu1 - cpu0) / (wall1 - wall0),
        "frames_per_s": sum(fps) / max(len(fps), 1),
        "batch_p95_ms_max": max(p95) if p95 else None,
        "batch_p95_ms_mean": sum(p95) / len(p95) if p95 else None,
        "failed_requests": failed,
    }
    if telemetry:
        q = quantile(buckets(before_text, CLIENT_BUCKETS), buckets(after_text, CLIENT_BUCKETS), 0.95)
        result["client_request_p95_le_s"] = q
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--warmup", type=float, default=10)
    p.add_argument("--cameras", type=int, default=1000)
    p.add_argument("--fps", type=int, default=5)
    p.add_argument("--api-port", type=int, default=18080)
    p.add_argument("--metrics-port", type=int, default=19464)
    args = p.parse_args()
    if not os.path.exists(BINARY):
        sys.exit("build first: cargo build --release -p example-inference-service")
    enabled = run(args, telemetry=True)
    disabled = run(args, telemetry=False)
    cost = enabled["cpu_cores"] - disabled["cpu_cores"]
    print(f"cameras={args.cameras} fps={args.fps} measured={args.seconds:.0f}s after {args.warmup:.0f}s warm-up")
    for name, r in (("telemetry enabled", enabled), ("telemetry disabled", disabled)):
        print(f"{name:>19}: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    print(f"telemetry CPU cost: {cost * 100:.2f} % of one core")


if __name__ == "__main__":
    main()
