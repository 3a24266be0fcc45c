"""Load test of the HTTP service on loopback: requests/s and latency percentiles.

    python bench/load_service.py                       # starts `docanalyzer serve` itself, 2 workers
    python bench/load_service.py --workers 1 --concurrency 4
    python bench/load_service.py --url http://127.0.0.1:8000 --token "$DOCANALYZER_API_TOKEN"

Bounded in count and time: at most --requests requests (default 500) and --duration seconds
(default 20), whichever comes first; then it stops by itself (and stops the server it started).
Only loopback addresses are accepted as targets. The notes sent are sample_notes/*.txt, round robin,
to POST /v1/analyze (or /v1/analyze/batch with --batch N notes per request).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
NOTES = sorted((REPO / "sample_notes").glob("*.txt"))


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(host: str, port: int, deadline: float, process: subprocess.Popen | None) -> None:
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the server exited with code {process.returncode}")
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise SystemExit("the server did not become ready in time")


def connect(host: str, port: int) -> http.client.HTTPConnection:
    """A keep-alive connection with Nagle off, as HTTP client libraries do (urllib3, httpx): else
    headers and body go out in two packets and the body waits for a delayed ACK (~40 ms)."""
    conn = http.client.HTTPConnection(host, port, timeout=120)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running service (loopback only); default: start one")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes when starting one")
    parser.add_argument("--concurrency", type=int, default=4, help="client connections in parallel")
    parser.add_argument("--requests", type=int, default=500, help="stop after this many requests")
    parser.add_argument("--duration", type=float, default=20.0, help="stop after this many seconds")
    parser.add_argument("--batch", type=int, default=0, help="notes per request to /v1/analyze/batch (0: single)")
    parser.add_argument("--token", default=os.environ.get("DOCANALYZER_API_TOKEN"), help="bearer token, if any")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.duration <= 0 or args.concurrency < 1:
        parser.error("--requests, --duration and --concurrency must be positive")
    args.duration = min(args.duration, 120.0)  # a hard cap, whatever is asked

    process = None
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "", parts.port or 80
        if parts.scheme != "http" or not is_loopback(host):
            parser.error("--url must be http:// on a loopback address (127.0.0.0/8, ::1, localhost)")
    else:
        host, port = "127.0.0.1", free_port()
        env = {**os.environ}
        if args.token:
            env["DOCANALYZER_API_TOKEN"] = args.token
        command = [sys.executable, "-m", "docanalyzer.cli", "serve", "--host", host, "--port", str(port),
                   "--workers", str(args.workers), "--log-level", "warning"]
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(host, port, time.monotonic() + 120, process)
        return run(host, port, args)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def run(host: str, port: int, args: argparse.Namespace) -> int:
    texts = [path.read_text(encoding="utf-8") for path in NOTES]
    if args.batch:
        path = "/v1/analyze/batch"
        bodies = [json.dumps({"notes": [{"text": texts[(i + j) % len(texts)]} for j in range(args.batch)]}).encode()
                  for i in range(len(texts))]
    else:
        path = "/v1/analyze"
        bodies = [json.dumps({"text": text, "document_id": f"bench-{i}"}).encode() for i, text in enumerate(texts)]
    headers = {"Content-Type": "application/json"}
    if args.token:
        headers["Authorization"] = f"Bearer {args.token}"

    # warm-up, not measured: every worker process has analyzed a note
    warm = connect(host, port)
    for body in bodies[: max(4, args.workers * 2)]:
        warm.request("POST", path, body=body, headers=headers)
        warm.getresponse().read()
    warm.close()

    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    start = time.perf_counter()
    stop_at = start + args.duration

    def worker() -> None:
        nonlocal issued
        conn = connect(host, port)
        while True:
            with lock:
                if issued >= args.requests or time.perf_counter() >= stop_at:
                    break
                index = issued
                issued += 1
            body = bodies[index % len(bodies)]
            began = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = connect(host, port)
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.duration + 180)
    wall = time.perf_counter() - start

    done = len(latencies)
    notes_per_request = args.batch or 1
    figures = {
        "endpoint": path, "server_workers": args.workers, "concurrency": args.concurrency,
        "notes_per_request": notes_per_request, "requests": done, "seconds": round(wall, 2),
        "requests_per_s": round(done / wall, 1) if wall else 0.0,
        "notes_per_s": round(done * notes_per_request / wall, 1) if wall else 0.0,
        "latency_ms": {"p50": round(percentile(latencies, 50), 1), "p95": round(percentile(latencies, 95), 1),
                       "p99": round(percentile(latencies, 99), 1), "max": round(max(latencies, default=0.0), 1),
                       "mean": round(statistics.fmean(latencies), 1) if latencies else None},
        "statuses": statuses,
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        lat = figures["latency_ms"]
        print(f"{path} x{done} ({notes_per_request} note(s)/request), {args.concurrency} connections, "
              f"{args.workers} server worker(s), {figures['cpus']} CPUs")
        print(f"  {figures['requests_per_s']} requests/s ({figures['notes_per_s']} notes/s) "
              f"over {figures['seconds']} s")
        print(f"  latency ms: p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}")
        print(f"  statuses: {statuses}")
    ok = statuses.get("200", 0) == done
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
