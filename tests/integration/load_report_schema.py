# SPDX-License-Identifier: MIT
"""Checks an `eddy load --json` report (stdin) against schema eddy.load/1 (README "Load
testing"); prints `requests=N` and exits 0 if it conforms, else prints the problem, exits 1."""
import json
import sys

PERCENTILES = ["p50", "p75", "p90", "p99", "p99.9", "p99.99"]
ERRORS = ["connect", "read", "write", "timeout", "reset", "protocol"]


def fail(msg):
    print("schema: " + msg)
    sys.exit(1)


def need(obj, key, types, where):
    if key not in obj:
        fail(f"{where}: missing '{key}'")
    if not isinstance(obj[key], types) or isinstance(obj[key], bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        fail(f"{where}.{key}: {obj[key]!r} is not {types}")
    return obj[key]


def histogram(h, where):
    for key in ["count", "min", "max"] + PERCENTILES:
        need(h, key, int, where)
    for key in ["mean", "stddev"]:
        need(h, key, (int, float), where)
    previous = 0
    total = 0
    for i, b in enumerate(need(h, "distribution", list, where)):
        if not (isinstance(b, list) and len(b) == 3 and all(isinstance(x, int) for x in b)):
            fail(f"{where}.distribution[{i}] is not [low, high, count]")
        low, high, count = b
        if not (previous <= low <= high and count > 0):
            fail(f"{where}.distribution[{i}] out of order: {b}")
        previous = high + 1
        total += count
    if total != h["count"]:
        fail(f"{where}: distribution sums to {total}, count is {h['count']}")
    values = [h[p] for p in PERCENTILES] + [h["max"]]
    if values != sorted(values):
        fail(f"{where}: percentiles not increasing: {values}")


doc = json.load(sys.stdin)
if doc.get("schema") != "eddy.load/1":
    fail("schema is not eddy.load/1")
config = need(doc, "config", dict, "report")
for key in ["url", "method"]:
    need(config, key, str, "config")
for key in ["threads", "connections", "pipeline", "timeout_ms", "scenario_requests"]:
    need(config, key, int, "config")
need(config, "latency_correction", bool, "config")
need(config, "insecure", bool, "config")
if config.get("cacert") is not None and not isinstance(config["cacert"], str):
    fail("config.cacert is neither null nor a string")
if need(doc, "mode", str, "report") not in ("closed", "rate"):
    fail("mode is neither closed nor rate")
need(doc, "interrupted", bool, "report")
for key in ["requests", "warmup_requests", "bytes_in", "bytes_out", "non_2xx", "connects"]:
    need(doc, key, int, "report")
for key in ["elapsed_s", "requests_per_s", "achieved_rate", "bytes_in_per_s", "bytes_out_per_s"]:
    need(doc, key, (int, float), "report")
if doc["mode"] == "rate":
    need(doc, "target_rate", (int, float), "report")
elif doc["target_rate"] is not None:
    fail("target_rate must be null in closed mode")
status = need(doc, "status", dict, "report")
if sum(status.values()) != doc["requests"]:
    fail(f"status counts sum to {sum(status.values())}, requests is {doc['requests']}")
non_2xx = sum(n for code, n in status.items() if not code.startswith("2"))
if non_2xx != doc["non_2xx"]:
    fail(f"non_2xx is {doc['non_2xx']}, status says {non_2xx}")
errors = need(doc, "errors", dict, "report")
for key in ERRORS:
    need(errors, key, int, "errors")
histogram(need(doc, "latency_us", dict, "report"), "latency_us")
histogram(need(doc, "latency_uncorrected_us", dict, "report"), "latency_uncorrected_us")
if doc["latency_us"]["count"] != doc["requests"]:
    fail("latency_us.count differs from requests")
if "tls" not in doc:
    fail("report: missing 'tls'")
tls = doc["tls"]
if tls is not None:
    if not isinstance(tls, dict):
        fail("tls is neither null nor an object")
    for key in ["protocol", "alpn"]:
        if tls.get(key) is not None and not isinstance(tls[key], str):
            fail(f"tls.{key} is neither null nor a string")
    need(tls, "handshakes", int, "tls")
    histogram(need(tls, "handshake_us", dict, "tls"), "tls.handshake_us")
    if tls["handshake_us"]["count"] != tls["handshakes"]:
        fail("tls.handshake_us.count differs from tls.handshakes")
    if tls["handshakes"] < 1 or tls["protocol"] is None:
        fail("an https run without a TLS session")
if "max_rate_search" in doc:
    search = need(doc, "max_rate_search", dict, "report")
    for key in ["p99_target_us"]:
        need(search, key, int, "max_rate_search")
    for key in ["step_s", "closed_loop_rate", "found_rate"]:
        need(search, key, (int, float), "max_rate_search")
    need(search, "confirmed", bool, "max_rate_search")
    for i, step in enumerate(need(search, "steps", list, "max_rate_search")):
        for key in ["rate", "achieved_rate"]:
            need(step, key, (int, float), f"steps[{i}]")
        for key in ["p99_us", "errors"]:
            need(step, key, int, f"steps[{i}]")
        need(step, "meets", bool, f"steps[{i}]")
    if doc["target_rate"] != search["found_rate"]:
        fail("the confirmation run's target_rate is not found_rate")
    print(f"found_rate={search['found_rate']:.0f} steps={len(search['steps'])}")
print(f"requests={doc['requests']} interrupted={str(doc['interrupted']).lower()}")
