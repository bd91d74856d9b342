"""Prometheus text-format metrics kept in process: requests and latency per
route, responses by status, and errors by ApkDepot error code. Each server
process reports its own counters (label ``pid``), as Prometheus expects of
separate targets."""

from __future__ import annotations

import os
import threading
from collections import defaultdict

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_lock = threading.Lock()
_requests: dict[tuple[str, str, int], int] = defaultdict(int)
_latency_buckets: dict[tuple[str, str], list[int]] = {}
_latency_sum: dict[tuple[str, str], float] = defaultdict(float)
_latency_count: dict[tuple[str, str], int] = defaultdict(int)
_errors: dict[str, int] = defaultdict(int)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method)
    with _lock:
        _requests[(route, method, status)] += 1
        buckets = _latency_buckets.get(key)
        if buckets is None:
            buckets = _latency_buckets[key] = [0] * len(LATENCY_BUCKETS)
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                buckets[i] += 1
        _latency_sum[key] += seconds
        _latency_count[key] += 1


def count_error(code: str) -> None:
    with _lock:
        _errors[code] += 1


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render() -> str:
    pid = os.getpid()
    lines = [
        "# HELP apkdepot_process_info The server process this scrape describes (one per worker).",
        "# TYPE apkdepot_process_info gauge",
        f'apkdepot_process_info{{pid="{pid}"}} 1',
        "# HELP apkdepot_http_requests_total HTTP requests by route, method and status code.",
        "# TYPE apkdepot_http_requests_total counter",
    ]
    with _lock:
        for (route, method, status), n in sorted(_requests.items()):
            lines.append(f'apkdepot_http_requests_total{{pid="{pid}",route="{_label(route)}",method="{method}",status="{status}"}} {n}')
        lines += [
            "# HELP apkdepot_http_request_duration_seconds Request latency by route.",
            "# TYPE apkdepot_http_request_duration_seconds histogram",
        ]
        for (route, method), buckets in sorted(_latency_buckets.items()):
            labels = f'pid="{pid}",route="{_label(route)}",method="{method}"'
            for bound, n in zip(LATENCY_BUCKETS, buckets):
                lines.append(f'apkdepot_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {n}')
            lines.append(f'apkdepot_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {_latency_count[(route, method)]}')
            lines.append(f"apkdepot_http_request_duration_seconds_sum{{{labels}}} {_latency_sum[(route, method)]:.6f}")
            lines.append(f"apkdepot_http_request_duration_seconds_count{{{labels}}} {_latency_count[(route, method)]}")
        lines += [
            "# HELP apkdepot_errors_total Errors answered, by ApkDepot error code.",
            "# TYPE apkdepot_errors_total counter",
        ]
        for code, n in sorted(_errors.items()):
            lines.append(f'apkdepot_errors_total{{pid="{pid}",code="{code}"}} {n}')
    return "\n".join(lines) + "\n"
