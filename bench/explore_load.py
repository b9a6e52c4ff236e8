#!/usr/bin/env python3
"""Load test of `starvation explore` (issue 21): loopback only, every loop bounded.

Starts the explorer on a free port, measures the latency of normal requests alone, then runs for
DURATION seconds: concurrent clients, slow header senders, idle connections, oversized request
heads, expensive queries (5 000-feature couplings, large phase diagrams), foreign Host/Origin,
while a probe keeps sending normal requests and the server's resident memory (RSS) is sampled.
Prints one summary: status counts per attack, probe latency percentiles alone and under load,
peak RSS.

    python3 bench/explore_load.py [--binary target/release/starvation] [--duration 20]
"""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

NORMAL = "/api/portrait?s1=6&s2=2&delta=0.5"


def request(port, raw, timeout=60.0):
    """Sends raw bytes to 127.0.0.1:port; returns (status, seconds)."""
    t = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            try:
                s.sendall(raw)
            except OSError:
                pass
            data = b""
            while len(data) < 16:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            while s.recv(65536):
                pass
    except OSError:
        return 0, time.monotonic() - t
    try:
        return int(data[9:12]), time.monotonic() - t
    except ValueError:
        return 0, time.monotonic() - t


def get(port, path, headers=None):
    head = {"Host": f"127.0.0.1:{port}"}
    head.update(headers or {})
    lines = "".join(f"{k}: {v}\r\n" for k, v in head.items())
    return request(port, f"GET {path} HTTP/1.1\r\n{lines}\r\n".encode())


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def percentiles(xs):
    if not xs:
        return "none"
    xs = sorted(xs)
    pick = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))] * 1e3
    return f"n={len(xs)} p50={pick(0.5):.1f} ms p90={pick(0.9):.1f} ms p99={pick(0.99):.1f} ms max={xs[-1]*1e3:.1f} ms"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/starvation")
    ap.add_argument("--duration", type=float, default=20.0)
    args = ap.parse_args()

    proc = subprocess.Popen(
        [args.binary, "explore", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        port = int(line.split("127.0.0.1:")[1].split("/")[0])
        run(proc.pid, port, args.duration)
    finally:
        proc.kill()
        proc.wait()


def run(pid, port, duration):
    # Normal requests alone.
    alone = [get(port, NORMAL)[1] for _ in range(30)]
    rss_idle = rss_mb(pid)

    stop = time.monotonic() + duration
    counts = {}
    lock = threading.Lock()

    def count(name, status):
        with lock:
            counts.setdefault(name, Counter())[status] += 1

    five_thousand = (
        "features=%7B%22random%22%3A%7B%22examples%22%3A5000%2C%22seed%22%3A1%2C"
        "%22power_law%22%3A%7B%22largest%22%3A5%2C%22exponent%22%3A1%7D%7D%7D"
    )
    skew = "features=" + (
        "%7B%22skew_exponential%22%3A%7B%22strengths%22%3A%5B"
        + "%2C".join(["1"] * 5000)
        + "%5D%2C%22delta%22%3A0.1%2C%22generator%22%3A%7B%22seed%22%3A1%7D%7D%7D"
    )
    attacks = {
        "concurrent normal": lambda: get(port, "/api/portrait?s1=5&s2=2&delta=0.3"),
        "expensive diagram (400 cells, toy)": lambda: get(port, "/api/diagram?cells=400"),
        "expensive diagram (400 asked, general model)": lambda: get(
            port, "/api/diagram?cells=400&loss=quadratic"
        ),
        "5000-feature random coupling": lambda: get(port, "/api/portrait?" + five_thousand),
        "5000-feature skew coupling (20 KB)": lambda: get(port, "/api/portrait?" + skew),
        "oversized request line (200 KB)": lambda: get(port, "/api/check?s1=" + "1" * 200_000),
        "oversized headers (500 lines)": lambda: get(
            port, "/", {f"X-{i}": "a" * 100 for i in range(500)}
        ),
        "foreign Host": lambda: get(port, "/api/portrait", {"Host": "evil.example"}),
        "foreign Origin": lambda: get(port, "/api/portrait", {"Origin": "http://evil.example"}),
    }

    def attacker(name, fn):
        while time.monotonic() < stop:
            status, _ = fn()
            count(name, status)

    def slow_client():
        # Sends one header byte per second until the server cuts it.
        while time.monotonic() < stop:
            t = time.monotonic()
            status = 0
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                    for b in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa":
                        if time.monotonic() > stop + 10:
                            break
                        s.sendall(bytes([b]))
                        time.sleep(1.0)
            except OSError:
                pass
            count("slow header sender (1 byte/s)", f"cut after {time.monotonic() - t:.0f} s")

    def idle_client():
        # Opens a connection and sends nothing.
        while time.monotonic() < stop:
            status, _ = request(port, b"", timeout=30)
            count("idle connection", status)

    threads = []
    for name, fn in attacks.items():
        for _ in range(2):
            threads.append(threading.Thread(target=attacker, args=(name, fn)))
    for _ in range(20):
        threads.append(threading.Thread(target=slow_client))
    for _ in range(20):
        threads.append(threading.Thread(target=idle_client))

    under_load = []
    probe_status = Counter()
    peak = [rss_idle]

    def probe():
        while time.monotonic() < stop:
            status, dt = get(port, NORMAL)
            probe_status[status] += 1
            if status == 200:
                under_load.append(dt)
            time.sleep(0.05)

    def sampler():
        while time.monotonic() < stop + 5:
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.1)

    threads += [threading.Thread(target=probe), threading.Thread(target=sampler)]
    for t in threads:
        t.daemon = True
        t.start()
    for t in threads:
        t.join(timeout=duration + 60)
    after = [get(port, NORMAL)[1] for _ in range(30)]

    print(f"load test: {duration:.0f} s on 127.0.0.1:{port}, {len(threads) - 2} attacking clients")
    for name in sorted(counts):
        print(f"  {name}: {dict(counts[name])}")
    print(f"  normal request alone:      {percentiles(alone)}")
    print(f"  normal request under load: {percentiles(under_load)} statuses {dict(probe_status)}")
    print(f"  normal request after load: {percentiles(after)}")
    print(f"  RSS idle {rss_idle:.1f} MB, peak {peak[0]:.1f} MB, after {rss_mb(pid):.1f} MB")


if __name__ == "__main__":
    sys.exit(main())
