"""Renders BENCHMARKS.md and the latency-by-group-size chart from a run
directory of scripts/bench.sh (results-*.json, floor-sysbench.txt, *.log).

Run with the bench venv's Python (it needs matplotlib and reads the
installed scim2-server's version):

    target/bench-venv/bin/python bench/render.py --run-dir DIR --md BENCHMARKS.md \
        --png bench/latency_by_group_size.png --command "scripts/bench.sh ..."
"""

import argparse
import datetime
import glob
import json
import os
import re
import subprocess
from collections import Counter
from importlib import metadata

SYSTEMS = ["mariadb", "sqlite", "peer"]
TITLES = {
    "mariadb": "ours (MariaDB)",
    "sqlite": "ours (SQLite)",
    "peer": "peer (scim2-server, in memory)",
}
USER_SCENARIOS = [
    ("lookup_username", "Okta lookup: userName eq"),
    ("lookup_email", 'Entra lookup: emails[type eq "work"].value eq'),
    ("filter_familyname_active", 'Filter: name.familyName sw "A" and active eq true'),
    ("page_index", "List paging by index (startIndex, count=100)"),
    ("page_cursor", "List paging by cursor (RFC 9865, count=100)"),
    ("provision", "Provisioning: POST /Users"),
    ("deactivate", "Deactivate: path-less PATCH active=false"),
]


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unavailable"


def load_results(run_dir):
    """{system: {"scenarios": {name: result}, "rss": {...}, "meta": {...}}}."""
    out = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "results-*.json"))):
        with open(path) as f:
            doc = json.load(f)
        system = out.setdefault(doc["label"], {"scenarios": {}, "rss": {}, "meta": doc})
        for s in doc["scenarios"]:
            system["scenarios"][s["scenario"]] = s
        for name, mem in doc.get("rss", {}).items():
            prev = system["rss"].get(name, {}).get("vm_hwm_kib") or 0
            if (mem.get("vm_hwm_kib") or 0) >= prev:
                system["rss"][name] = mem
        # The later file (groups) has every load step and the final user count.
        if len(doc.get("load_steps", [])) >= len(system["meta"].get("load_steps", [])):
            system["meta"] = doc
    return out


def parse_sysbench(path):
    """qps, p50 and p99 (ms) of a sysbench run with --histogram=on --percentile=99."""
    if not os.path.exists(path):
        return None
    text = open(path).read()
    qps = re.search(r"queries:\s+\d+\s+\(([\d.]+) per sec", text)
    p99 = re.search(r"99th percentile:\s+([\d.]+)", text)
    hist = [(float(v), int(c)) for v, c in re.findall(r"^\s+([\d.]+) \|\**\s+(\d+)$", text, re.M)]
    total = sum(c for _, c in hist)
    p50 = None
    acc = 0
    for value, count in hist:
        acc += count
        if acc * 2 >= total:
            p50 = value
            break
    return {
        "qps": float(qps.group(1)) if qps else None,
        "p50_ms": p50,
        "p99_ms": float(p99.group(1)) if p99 else None,
    }


def fmt(x, digits=1):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}"


def summary(results, system, scenario):
    r = results.get(system, {}).get("scenarios", {}).get(scenario)
    if r is None or r.get("status") != "ok":
        return None
    return r["summary"]


def na_reason(results, system, scenario):
    r = results.get(system, {}).get("scenarios", {}).get(scenario)
    if r is None:
        return "not run"
    return r.get("reason", "n/a")


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def scenario_table(results, scenario):
    peer = summary(results, "peer", scenario)
    lines = [
        "| system | ops | throughput (req/s) | p50 (ms) | p99 (ms) | errors | throughput vs peer | p50 vs peer |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for system in SYSTEMS:
        if system not in results:
            continue
        s = summary(results, system, scenario)
        if s is None:
            lines.append(f"| {TITLES[system]} | n/a: {na_reason(results, system, scenario)} | | | | | | |")
            continue
        vs_thr = vs_p50 = ""
        if system != "peer":
            t = ratio(s["throughput"], peer and peer["throughput"])
            p = ratio(s["p50_ms"], peer and peer["p50_ms"])
            vs_thr = f"{t:,.1f}x" if t is not None else "n/a"
            vs_p50 = f"{p:,.3f}x" if p is not None else "n/a"
        lines.append(
            f"| {TITLES[system]} | {fmt(s['ops'])} | {fmt(s['throughput'])} | {fmt(s['p50_ms'], 2)} "
            f"| {fmt(s['p99_ms'], 2)} | {fmt(s['errors'])} | {vs_thr} | {vs_p50} |"
        )
    errors = []
    for system in SYSTEMS:
        s = summary(results, system, scenario)
        for kind, n in (s or {}).get("error_kinds", {}).items():
            errors.append(f"- {TITLES[system]}: {n} x `{kind}`")
    return "\n".join(lines) + ("\n\nErrors:\n\n" + "\n".join(errors) if errors else "")


def group_sizes(results):
    sizes = set()
    for system in results.values():
        for s in system["scenarios"].values():
            if s.get("group_size"):
                sizes.add(s["group_size"])
    return sorted(sizes)


def chart(results, sizes, png):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    styles = {"mariadb": "tab:blue", "sqlite": "tab:green", "peer": "tab:red"}
    for ax, kind, title in (
        (axes[0], "member_add_remove", "PATCH add/remove one member"),
        (axes[1], "get_group", "GET group ?excludedAttributes=members"),
    ):
        for system in SYSTEMS:
            if system not in results:
                continue
            for pct, style in (("p50_ms", "-o"), ("p99_ms", ":^")):
                xs, ys = [], []
                for n in sizes:
                    s = summary(results, system, f"{kind}/{n}")
                    if s and s[pct] is not None:
                        xs.append(n)
                        ys.append(s[pct])
                if xs:
                    ax.plot(xs, ys, style, color=styles[system], label=f"{TITLES[system]} {pct[:3]}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xticks(sizes)
        ax.set_xticklabels([f"{n:,}" for n in sizes])
        ax.set_xlabel("group size (members)")
        ax.set_ylabel("latency (ms, log)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    if any(summary(results, s, f"member_add_remove/{n}") for s in results for n in sizes):
        axes[0].axhline(5, color="grey", linestyle="--", linewidth=1)
        axes[0].annotate("5 ms target", (sizes[0], 5), textcoords="offset points", xytext=(2, 3), fontsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(png, dpi=110)


def log_errors(run_dir):
    """ERROR/WARN lines of the services' logs, counted by message."""
    out = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "*.log"))):
        name = os.path.basename(path)
        if name.startswith("peer"):
            continue
        counts = Counter()
        with open(path, errors="replace") as f:
            for line in f:
                if " ERROR " in line or " WARN " in line:
                    msg = re.sub(r"^\S+\s+", "", line.strip())
                    msg = re.sub(r"latency=\d+ ms", "latency=N ms", msg)
                    counts[msg] += 1
        if counts:
            out[name] = counts
    return out


def targets(results, sizes, floor):
    rows = []

    def add(goal, measured, met):
        rows.append(f"| {goal} | {measured} | {met} |")

    for system in ("mariadb", "sqlite"):
        if system not in results:
            continue
        p50s = {n: (summary(results, system, f"member_add_remove/{n}") or {}).get("p50_ms") for n in sizes}
        known = {n: v for n, v in p50s.items() if v is not None}
        if known:
            worst = max(known.values())
            add(
                f"{TITLES[system]}: member add/remove p50 < 5 ms",
                ", ".join(f"{n:,}: {v:.2f} ms" for n, v in known.items()),
                "yes" if worst < 5 else "no",
            )
        if len(known) >= 2:
            lo, hi = min(known), max(known)
            r = known[hi] / known[lo] if known[lo] else None
            add(
                f"{TITLES[system]}: p50 at {hi:,} members <= 1.5x p50 at {lo:,}",
                f"{r:.2f}x" if r is not None else "n/a",
                "yes" if r is not None and r <= 1.5 else "no",
            )
        for scenario, label in (("lookup_username", "userName eq"), ("lookup_email", "emails[type eq work] eq")):
            ours, peer = summary(results, system, scenario), summary(results, "peer", scenario)
            r = ratio(ours and ours["throughput"], peer and peer["throughput"])
            add(
                f"{TITLES[system]}: {label} >= 10x peer throughput",
                f"{r:,.1f}x" if r is not None else "n/a",
                "yes" if r is not None and r >= 10 else ("n/a" if r is None else "no"),
            )
    prov = summary(results, "mariadb", "provision")
    if prov:
        add(
            "provisioning >= 1,000 users/s on MariaDB",
            f"{prov['throughput']:,.0f}/s",
            "yes" if prov["throughput"] >= 1000 else "no",
        )
    for system in ("mariadb", "sqlite"):
        rss = results.get(system, {}).get("rss", {})
        users = results.get(system, {}).get("meta", {}).get("total_users")
        for proc, limit in (("scim-edge", 64), ("identity-core", 256)):
            hwm = rss.get(proc, {}).get("vm_hwm_kib")
            if hwm:
                add(
                    f"{TITLES[system]}: {proc} peak RSS < {limit} MB (goal stated at 1,000,000 users)",
                    f"{hwm / 1024:.1f} MiB with {users:,} users",
                    "yes" if hwm / 1024 < limit else "no",
                )
    add(
        "lookups flat from 10,000 to 1,000,000 users",
        "compare this run's lookup rows with a `--users 1000000` run",
        "see runs",
    )
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--run-dir", required=True)
    p.add_argument("--md", required=True)
    p.add_argument("--png", required=True)
    p.add_argument("--command", required=True)
    p.add_argument("--sqlite-version", default="unknown")
    p.add_argument("--started", default="")
    args = p.parse_args()

    results = load_results(args.run_dir)
    sizes = group_sizes(results)
    floor = parse_sysbench(os.path.join(args.run_dir, "floor-sysbench.txt"))
    if sizes:
        chart(results, sizes, args.png)
    png_rel = os.path.relpath(os.path.abspath(args.png), os.path.dirname(os.path.abspath(args.md)))

    any_meta = next(iter(results.values()))["meta"] if results else {}
    conc, secs, warm = any_meta.get("concurrency"), any_meta.get("seconds"), any_meta.get("warmup")
    try:
        peer_version = metadata.version("scim2-server")
    except metadata.PackageNotFoundError:
        peer_version = "not installed"
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    md = []
    w = md.append
    w("# Benchmarks\n")
    w(
        f"Generated by `scripts/bench.sh` (started {args.started}, rendered "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}). Exact command:\n"
    )
    w(f"```sh\n{args.command}\n```\n")
    w(
        f"Every scenario ran for {secs} s (after {warm} s of unmeasured warm-up) with {conc} requests in "
        "flight, on one machine: client, services and database share its cores. Throughput counts "
        "successful requests; p50/p99 are exact percentiles of their latencies; errors are non-2xx "
        "answers, transport errors, or lookups that did not return exactly one user.\n"
    )
    w("## Machine and versions\n")
    w("| | |\n| --- | --- |")
    w(f"| cores (`nproc`) | {sh('nproc')} |")
    w(f"| CPU | {cpu} |")
    mem = sh("free", "-h").splitlines()
    w(f"| memory (`free -h`) | {' '.join(mem[1].split()[1:2]) if len(mem) > 1 else 'unknown'} total |")
    w(f"| OS | {sh('sh', '-c', '. /etc/os-release && echo $PRETTY_NAME')} |")
    w(f"| rustc | {sh('rustc', '--version')} |")
    w(f"| MariaDB | {sh('mariadb', '-uroot', '-h127.0.0.1', '-N', '-e', 'select version()')} |")
    w(f"| SQLite (bundled in our binary) | {args.sqlite_version} |")
    w(f"| peer | scim2-server {peer_version} (PyPI, `InMemoryStorage`, threaded wsgiref server) |")
    w(f"| sysbench | {sh('sysbench', '--version')} |")
    w(f"| commit | {sh('git', 'rev-parse', '--short', 'HEAD')}{' (dirty tree)' if sh('git', 'status', '--porcelain') else ''} |")
    w("")
    w("```\n" + sh("free", "-h") + "\n```\n")

    w("## Data set and loading\n")
    w(
        "User `i` is `user{i}@example.com` (also its work email), family name from a list of 16 "
        "(3 start with \"A\"). The lookup, filter and paging scenarios ran while the tenant held "
        "exactly the lookup users; the group scenarios ran later, after extra users were created so "
        "that the largest group can be filled and 1,000 non-members remain for add/remove "
        "(the group of n members holds users 0..n). Ours was loaded through identity-core's gRPC API, "
        "the peer through its SCIM API (the `via` column).\n"
    )
    w("| system | lookup users | users in all | step | count | seconds | rate (/s) | via |")
    w("| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |")
    for system in SYSTEMS:
        meta = results.get(system, {}).get("meta")
        if not meta:
            continue
        for step in meta.get("load_steps", []):
            rate = step["count"] / step["seconds"] if step["seconds"] else 0
            w(
                f"| {TITLES[system]} | {fmt(meta['lookup_users'])} | {fmt(meta['total_users'])} | {step['what']} "
                f"| {fmt(step['count'])} | {step['seconds']:.1f} | {rate:,.0f} | {step['via']} |"
            )
        for g in meta.get("groups", []):
            if g.get("skipped"):
                w(f"| {TITLES[system]} | | | group of {g['size']:,} | | | | {g['skipped']} |")
    w("")

    w("## Targets (goals, not asserts)\n")
    w("| goal | measured | met |\n| --- | --- | --- |")
    md.extend(targets(results, sizes, floor))
    w("")

    w("## Summary (throughput in requests/s; ratio = ours / peer)\n")
    lookup = {s: results[s]["meta"].get("lookup_users") for s in SYSTEMS if s in results}
    if len(set(lookup.values())) > 1:
        w(
            "Note: the systems did not hold the same number of users during the user scenarios ("
            + ", ".join(f"{TITLES[s]}: {n:,}" for s, n in lookup.items())
            + "); the peer is bounded by `--peer-users`.\n"
        )
    header = "| scenario | MariaDB | SQLite | peer | MariaDB/peer | SQLite/peer |"
    w(header + "\n| --- | ---: | ---: | ---: | ---: | ---: |")
    all_scenarios = [s for s, _ in USER_SCENARIOS] + [
        f"{k}/{n}" for n in sizes for k in ("member_add_remove", "get_group")
    ]
    for sc in all_scenarios:
        t = {s: (summary(results, s, sc) or {}).get("throughput") for s in SYSTEMS}
        rm, rs = ratio(t["mariadb"], t["peer"]), ratio(t["sqlite"], t["peer"])
        w(
            f"| {sc} | {fmt(t['mariadb'])} | {fmt(t['sqlite'])} | {fmt(t['peer'])} "
            f"| {fmt(rm) + 'x' if rm else 'n/a'} | {fmt(rs) + 'x' if rs else 'n/a'} |"
        )
    w("")

    w("## The floor: raw MariaDB point selects\n")
    if floor and floor["qps"]:
        w(
            f"`sysbench oltp_point_select` (1 table of 10,000 rows, {conc} threads, {secs} s) against the "
            f"same MariaDB: **{floor['qps']:,.0f} queries/s**, p50 {fmt(floor['p50_ms'], 3)} ms, "
            f"p99 {fmt(floor['p99_ms'], 3)} ms.\n"
        )
        w("| SCIM scenario on MariaDB | throughput (req/s) | fraction of the floor |")
        w("| --- | ---: | ---: |")
        for sc in ("lookup_username", "lookup_email", "get_group/100", "provision"):
            s = summary(results, "mariadb", sc)
            if s:
                w(f"| {sc} | {fmt(s['throughput'])} | {s['throughput'] / floor['qps']:.1%} |")
        w("")
    else:
        w("Not measured in this run (no MariaDB backend or sysbench output).\n")

    w("## Peak RSS (VmHWM, read from /proc at the end of each system's run)\n")
    w("| system | process | peak RSS (MiB) | users in the tenant |\n| --- | --- | ---: | ---: |")
    for system in SYSTEMS:
        sysres = results.get(system, {})
        for proc, mem in sysres.get("rss", {}).items():
            hwm = mem.get("vm_hwm_kib")
            w(
                f"| {TITLES[system]} | {proc} | {hwm / 1024:,.1f} | {fmt(sysres['meta'].get('total_users'))} |"
                if hwm
                else f"| {TITLES[system]} | {proc} | {mem.get('error', 'n/a')} | |"
            )
    w("")

    if sizes:
        w("## Latency by group size\n")
        w(f"![latency by group size]({png_rel})\n")

    w("## Scenarios\n")
    for sc, title in USER_SCENARIOS:
        req = next((r.get("scenarios", {}).get(sc, {}).get("request") for r in results.values()), None) or ""
        w(f"### {title} (`{sc}`)\n\n`{req}`\n")
        w(scenario_table(results, sc) + "\n")
    for n in sizes:
        for kind, title in (("member_add_remove", "Member add/remove"), ("get_group", "GET group without members")):
            sc = f"{kind}/{n}"
            req = next((r["scenarios"].get(sc, {}).get("request") for r in results.values()), None) or ""
            w(f"### {title}, {n:,} members (`{sc}`)\n\n`{req}`\n")
            w(scenario_table(results, sc) + "\n")

    errs = log_errors(args.run_dir)
    w("## Errors and warnings logged by our services\n")
    if not errs:
        w("None.\n")
    for name, counts in errs.items():
        w(f"`{name}`:\n\n```")
        for msg, n in counts.most_common(15):
            w(f"{n:>7} x {msg[:300]}")
        w("```\n")

    with open(args.md, "w") as f:
        f.write("\n".join(md).rstrip() + "\n")
    print(f"wrote {args.md}" + (f" and {args.png}" if sizes else ""))


if __name__ == "__main__":
    main()
