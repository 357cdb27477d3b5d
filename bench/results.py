"""Reads a run directory of scripts/bench.sh (run-info.tsv, results-*.json,
floor-sysbench-*.txt) into one summary: each scenario's runs folded into
the median and range of throughput and latencies, and the medians of the
cost columns (statements, CPU time, gRPC calls per request); with
`--galera`, also the conflict counters around each phase (conflicts-*.tsv).
The summary is also what `--save-summary` writes and `--million` reads back.
"""

import glob
import json
import os
import re
import statistics
from collections import Counter

SYSTEMS = ["mariadb", "sqlite", "peer"]
TITLES = {
    "mariadb": "ours (MariaDB)",
    "sqlite": "ours (SQLite)",
    "peer": "peer (scim2-server, in memory)",
    "galera-1x1": "Galera cluster, 1 edge + 1 core",
    "galera-2x2": "Galera cluster, 2 edges + 2 cores",
}
# The topologies of `scripts/bench.sh --galera`, side by side: single-node
# MariaDB (the `mariadb` system) and the three-node cluster.
GALERA_TOPOLOGIES = ["mariadb", "galera-1x1", "galera-2x2"]
GALERA_TITLES = {
    "mariadb": "single-node MariaDB, 1 edge + 1 core",
    "galera-1x1": TITLES["galera-1x1"],
    "galera-2x2": TITLES["galera-2x2"],
}


def spread(values):
    """{"median", "min", "max"} of the values that are known, or None."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def total_of(values):
    """The sum, or None when any value is unknown (or there is none)."""
    values = list(values)
    if not values or any(v is None for v in values):
        return None
    return sum(values)


def median_of(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def aggregate(result):
    """One scenario's runs folded into medians and ranges."""
    runs = result.get("runs") or [dict(result, summary=result["summary"])]
    summaries = [r["summary"] for r in runs]
    processes = sorted({p for r in runs for p in (r.get("cpu_us_per_request") or {})})
    methods = sorted({m for r in runs for m in (r.get("calls_per_request") or {})})
    kinds = Counter()
    for s in summaries:
        kinds.update(s.get("error_kinds", {}))
    return {
        "runs": len(runs),
        "ops": sum(s["ops"] for s in summaries),
        "errors": sum(s["errors"] for s in summaries),
        "error_kinds": dict(kinds),
        "throughput": spread(s["throughput"] for s in summaries),
        "p50_ms": spread(s["p50_ms"] for s in summaries),
        "p99_ms": spread(s["p99_ms"] for s in summaries),
        "statements_per_request": median_of(r.get("statements_per_request") for r in runs),
        # Summed over the runs (a count, not a rate), like the errors.
        "transaction_retries": total_of(r.get("transaction_retries") for r in runs),
        "cpu_us_per_request": {
            p: median_of((r.get("cpu_us_per_request") or {}).get(p) for r in runs) for p in processes
        },
        "calls_per_request": {
            m: {
                key: median_of(((r.get("calls_per_request") or {}).get(m) or {}).get(key) for r in runs)
                for key in ("calls", "statements_per_call")
            }
            for m in methods
        },
    }


def read_info(run_dir):
    info = {}
    path = os.path.join(run_dir, "run-info.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("\t")
                info[key] = value
    return info


def parse_sysbench(path):
    """qps, p50 and p99 (ms) of one sysbench run with --histogram=on --percentile=99."""
    text = open(path).read()
    qps = re.search(r"queries:\s+\d+\s+\(([\d.]+) per sec", text)
    p99 = re.search(r"99th percentile:\s+([\d.]+)", text)
    hist = [(float(v), int(c)) for v, c in re.findall(r"^\s+([\d.]+) \|\**\s+(\d+)$", text, re.M)]
    total = sum(c for _, c in hist)
    p50, acc = None, 0
    for value, count in hist:
        acc += count
        if acc * 2 >= total:
            p50 = value
            break
    return {"qps": float(qps.group(1)) if qps else None, "p50_ms": p50, "p99_ms": float(p99.group(1)) if p99 else None}


def read_floor(run_dir):
    runs = [parse_sysbench(p) for p in sorted(glob.glob(os.path.join(run_dir, "floor-sysbench*.txt")))]
    if not runs:
        return None
    return {"runs": len(runs), **{k: spread(r[k] for r in runs) for k in ("qps", "p50_ms", "p99_ms")}}


def number(text):
    try:
        return int(text)
    except ValueError:
        return None


def read_conflicts(run_dir):
    """label -> phase -> the change of each counter from `before` to `after`
    (None when either side is unknown), from conflicts-LABEL.tsv lines
    "PHASE WHEN CERT_FAILURES BF_ABORTS CORE_RETRIES"."""
    out = {}
    keys = ("cert_failures", "bf_aborts", "core_retries")
    for path in sorted(glob.glob(os.path.join(run_dir, "conflicts-*.tsv"))):
        label = os.path.basename(path)[len("conflicts-") : -len(".tsv")]
        marks = {}
        with open(path) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) != 5:
                    continue
                phase, when, *values = fields
                marks.setdefault(phase, {})[when] = [number(v) for v in values]
        phases = {}
        for phase, m in marks.items():
            before, after = m.get("before"), m.get("after")
            if not (before and after):
                continue
            phases[phase] = {
                k: (a - b if a is not None and b is not None else None) for k, b, a in zip(keys, before, after)
            }
        out[label] = phases
    return out


def summarize(run_dir):
    """Everything the report needs from a run directory (also summary.json)."""
    systems = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "results-*.json"))):
        with open(path) as f:
            doc = json.load(f)
        system = systems.setdefault(doc["label"], {"scenarios": {}, "rss": {}, "meta": {}})
        for s in doc["scenarios"]:
            if s.get("status") == "ok":
                entry = aggregate(s)
            else:
                entry = {"na": s.get("reason", "n/a")}
            entry["request"] = s.get("request", "")
            entry["group_size"] = s.get("group_size")
            system["scenarios"][s["scenario"]] = entry
        for name, mem in doc.get("rss", {}).items():
            if (mem.get("vm_hwm_kib") or 0) >= (system["rss"].get(name, {}).get("vm_hwm_kib") or 0):
                system["rss"][name] = mem
        # The later file (groups) has every load step and the final user count.
        meta = {k: v for k, v in doc.items() if k not in ("scenarios", "rss")}
        if len(meta.get("load_steps", [])) >= len(system["meta"].get("load_steps", [])):
            system["meta"] = meta
    summary = {"info": read_info(run_dir), "systems": systems, "floor": read_floor(run_dir)}
    conflicts = read_conflicts(run_dir)
    if conflicts:
        summary["conflicts"] = conflicts
    return summary


def load_summary(path):
    if os.path.isdir(path):
        return summarize(path)
    with open(path) as f:
        return json.load(f)


# ------------------------------------------------------------------ reading a summary


def fmt(x, digits=1):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}"


def fmt_spread(s, digits=1):
    """median (min-max), or the value alone for a single run."""
    if s is None:
        return "n/a"
    if s["min"] == s["max"]:
        return fmt(s["median"], digits)
    return f"{fmt(s['median'], digits)} ({fmt(s['min'], digits)}-{fmt(s['max'], digits)})"


def med(stat):
    return stat["median"] if stat else None


def scenario(summary, system, name):
    """The aggregated scenario, or None when it did not run or was n/a."""
    s = summary["systems"].get(system, {}).get("scenarios", {}).get(name)
    return None if s is None or "na" in s else s


def na_reason(summary, system, name):
    s = summary["systems"].get(system, {}).get("scenarios", {}).get(name)
    return "not run" if s is None else s.get("na", "n/a")


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r, digits=1):
    return "n/a" if r is None else f"{r:,.{digits}f}x"


def cpu(s, process):
    return (s or {}).get("cpu_us_per_request", {}).get(process)


def group_sizes(summary):
    return sorted(
        {
            s["group_size"]
            for system in summary["systems"].values()
            for s in system["scenarios"].values()
            if s.get("group_size")
        }
    )
