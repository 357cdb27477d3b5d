"""Renders BENCHMARKS.md and the latency-by-group-size chart from a run
directory of scripts/bench.sh (run-info.tsv, results-*.json,
floor-sysbench-*.txt, *.log), and writes the run's summary.json there.

Run with the bench venv's Python (it needs matplotlib and reads the
installed scim2-server's version):

    target/bench-venv/bin/python bench/render.py --run-dir DIR --md BENCHMARKS.md \
        --png bench/latency_by_group_size.png [--million bench/results-1m.json] \
        [--save-summary FILE]

Every scenario ran R times; a cell shows the median of the runs and, in
brackets, their range. `--million` is the 1,000,000-user run that the
page_index target compares with (its summary JSON, or its run directory).
Targets not met print the matching section of bench/target-reasons.md.
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

from results import (
    GALERA_TITLES, GALERA_TOPOLOGIES, SYSTEMS, TITLES, cpu, fmt, fmt_ratio, fmt_spread, group_sizes, load_summary,
    med, na_reason, ratio, scenario, summarize,
)
from targets import million_provenance, other_goals, read_reasons, targets

USER_SCENARIOS = [
    ("lookup_username", "Okta lookup: userName eq"),
    ("lookup_email", 'Entra lookup: emails[type eq "work"].value eq'),
    ("filter_familyname_active", 'Filter: name.familyName sw "A" and active eq true'),
    ("page_index", "List paging by index (Okta's walk: startIndex 1, 101, 201, ..., count=100)"),
    ("page_cursor", "List paging by cursor (RFC 9865, count=100)"),
    ("provision", "Provisioning: POST /Users"),
    ("deactivate", "Deactivate: path-less PATCH active=false"),
]
# The process whose CPU time is the "server" column: ours, then the peer.
SERVER_PROCESS = {"mariadb": "identity-core", "sqlite": "identity-core", "peer": "scim2-server"}


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unavailable"


# ------------------------------------------------------------------ tables and chart


def scenario_table(summary, name):
    peer = scenario(summary, "peer", name)
    lines = [
        "| system | throughput (req/s) | p50 (ms) | p99 (ms) | errors | SQL statements / req "
        "| server CPU (µs/req) | scim-edge CPU (µs/req) | mariadbd CPU (µs/req) | vs peer: throughput, p50 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for system in SYSTEMS:
        if system not in summary["systems"]:
            continue
        s = scenario(summary, system, name)
        if s is None:
            lines.append(f"| {TITLES[system]} | n/a: {na_reason(summary, system, name)} | | | | | | | | |")
            continue
        vs = ""
        if system != "peer":
            t = ratio(med(s["throughput"]), peer and med(peer["throughput"]))
            p = ratio(med(s["p50_ms"]), peer and med(peer["p50_ms"]))
            vs = f"{fmt_ratio(t)}, {fmt_ratio(p, 3)}"
        lines.append(
            f"| {TITLES[system]} | {fmt_spread(s['throughput'])} | {fmt_spread(s['p50_ms'], 2)} "
            f"| {fmt_spread(s['p99_ms'], 2)} | {fmt(s['errors'])} | {fmt(s['statements_per_request'], 2)} "
            f"| {fmt(cpu(s, SERVER_PROCESS[system]), 0)} | {fmt(cpu(s, 'scim-edge'), 0)} "
            f"| {fmt(cpu(s, 'mariadbd'), 0)} | {vs} |"
        )
    out = "\n".join(lines)
    calls = []
    for system in ("mariadb", "sqlite"):
        s = scenario(summary, system, name)
        per = [
            f"{m.rsplit('/', 1)[-1]} {fmt(c['calls'], 2 if c['calls'] >= 0.01 else 4)} x "
            f"{fmt(c['statements_per_call'], 2)} statements"
            for m, c in (s or {}).get("calls_per_request", {}).items()
            if c["calls"]
        ]
        if per:
            calls.append(f"- {TITLES[system]}: " + "; ".join(per))
    if calls:
        out += "\n\nidentity-core calls per request (calls x statements per call):\n\n" + "\n".join(calls)
    errors = [
        f"- {TITLES[system]}: {n} x `{kind}`"
        for system in SYSTEMS
        for kind, n in ((scenario(summary, system, name) or {}).get("error_kinds") or {}).items()
    ]
    return out + ("\n\nErrors:\n\n" + "\n".join(errors) if errors else "")


def chart(summary, sizes, png):
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
            for pct, style in (("p50_ms", "-o"), ("p99_ms", ":^")):
                xs, ys, lo, hi = [], [], [], []
                for n in sizes:
                    stat = (scenario(summary, system, f"{kind}/{n}") or {}).get(pct)
                    if stat:
                        xs.append(n)
                        ys.append(stat["median"])
                        lo.append(stat["median"] - stat["min"])
                        hi.append(stat["max"] - stat["median"])
                if xs:
                    ax.errorbar(
                        xs, ys, yerr=[lo, hi], fmt=style, color=styles[system], capsize=3,
                        label=f"{TITLES[system]} {pct[:3]}",
                    )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xticks(sizes)
        ax.set_xticklabels([f"{n:,}" for n in sizes])
        ax.set_xlabel("group size (members)")
        ax.set_ylabel("latency (ms, log; bars: range of the runs)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    if any(scenario(summary, s, f"member_add_remove/{n}") for s in SYSTEMS for n in sizes):
        axes[0].axhline(5, color="grey", linestyle="--", linewidth=1)
        axes[0].annotate("5 ms target", (sizes[0], 5), textcoords="offset points", xytext=(2, 3), fontsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(png, dpi=110)


def log_errors(run_dir):
    """ERROR/WARN lines of our services' logs, counted by message."""
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


# ------------------------------------------------------------------ the report


def header(w, summary, args):
    info = summary["info"]
    meta = next((s["meta"] for s in summary["systems"].values()), {})
    conc, secs, warm, repeat = meta.get("concurrency"), meta.get("seconds"), meta.get("warmup"), meta.get("repeat", 1)
    w("# Benchmarks\n")
    if info.get("dirty"):
        files = [f.strip() for f in info["dirty"].split(";") if f.strip()]
        shown = ", ".join(f"`{f}`" for f in files[:8]) + (f" and {len(files) - 8} more" if len(files) > 8 else "")
        w(
            "> **WARNING: NOT FROM A CLEAN TREE.** This run measured commit "
            f"`{info.get('commit', 'unknown')[:10]}` plus uncommitted changes ({shown}). "
            "Do not commit it as the project's benchmark.\n"
        )
    if info.get("built") == "0":
        w("> Note: run with `--no-build`: the binaries were not rebuilt from this commit by the run.\n")
    w(
        f"Generated by `scripts/bench.sh` from commit `{info.get('commit', 'unknown')}` "
        f"(\"{info.get('commit_subject', '')}\"), started {info.get('started', '?')}, "
        f"took {info.get('minutes', '?')} min, rendered "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}. Exact command:\n"
    )
    w(f"```sh\n{info.get('command', 'scripts/bench.sh')}\n```\n")
    w(
        f"Every scenario ran **{repeat} times** back to back, each run {secs} s measured after {warm} s of "
        f"unmeasured warm-up, with {conc} requests in flight, on one machine: client, services and database "
        "share its cores. A cell shows the **median of the runs (min-max)**. Throughput counts successful "
        "requests; p50/p99 are exact percentiles of one run's latencies; errors (summed over the runs) are "
        "non-2xx answers, transport errors, or lookups that did not return exactly one user.\n"
    )
    w(
        "Cost columns (median of the runs): **SQL statements / req** is the change of identity-core's "
        "`identity_core_db_statements_total` (every statement, BEGIN and COMMIT included), scraped from its "
        "`--metrics-listen` endpoint right before and after the measured window, divided by the window's "
        "requests; **CPU µs / req** is the change of `utime + stime` of the process (`/proc/PID/stat`, "
        "`getconf CLK_TCK` ticks) over the window, divided likewise: identity-core for ours, scim2-server "
        "for the peer (server column), scim-edge, and mariadbd (the MariaDB server; it may also serve other "
        "clients of this machine). Workers finish their warm-up requests before the window opens, so every "
        "statement in it belongs to a measured request.\n"
    )


def machine(w, summary, args):
    info = summary["info"]
    try:
        peer_version = metadata.version("scim2-server")
    except metadata.PackageNotFoundError:
        peer_version = "not installed"
    cpu_model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    w("## Machine and versions\n")
    w("| | |\n| --- | --- |")
    w(f"| cores (`nproc`) | {sh('nproc')} |")
    w(f"| CPU | {cpu_model} |")
    mem = sh("free", "-h").splitlines()
    w(f"| memory (`free -h`) | {' '.join(mem[1].split()[1:2]) if len(mem) > 1 else 'unknown'} total |")
    w(f"| OS | {sh('sh', '-c', '. /etc/os-release && echo $PRETTY_NAME')} |")
    w(f"| rustc | {sh('rustc', '--version')} |")
    w(f"| MariaDB | {sh('mariadb', '-uroot', '-h127.0.0.1', '-N', '-e', 'select version()')} |")
    w(f"| MariaDB durability | {info.get('mariadb_durability', 'not read (no MariaDB backend in this run)')} |")
    w(f"| SQLite (bundled in our binary) | {info.get('sqlite_version', 'unknown')} |")
    sync = info.get("sqlite_synchronous", "unknown").upper()
    w(
        f"| SQLite durability | `synchronous={sync}` (identity-core sets it on every connection; a per-connection "
        f"setting, read from identity-core/src/store/mod.rs), `journal_mode` "
        f"{info.get('sqlite_journal_mode', 'not read (no SQLite backend in this run)')} |"
    )
    w(f"| peer | scim2-server {peer_version} (PyPI, `InMemoryStorage`, threaded wsgiref server) |")
    w(f"| sysbench | {sh('sysbench', '--version')} |")
    if info.get("core_limits"):
        w(
            f"| identity-core tenant limits | `{info['core_limits']}` on every `serve`: above anything a scenario "
            "reaches, so the service is measured, not its limiter (the defaults are 200 calls/s and 8 in flight "
            "per tenant per replica) |"
        )
    if info.get("galera"):
        w(f"| Galera cluster (`--galera`, node 1) | {info['galera']} |")
    dirty = " **(dirty tree)**" if info.get("dirty") else ""
    w(f"| commit | {info.get('commit', 'unknown')}{dirty} |")
    w("")


def loading(w, summary):
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
    for system in SYSTEMS + [t for t in GALERA_TOPOLOGIES if t not in SYSTEMS]:
        meta = summary["systems"].get(system, {}).get("meta")
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


def target_section(w, summary, million):
    w("## Targets (issue 8: on MariaDB, as ratios within the same run)\n")
    w("| target | measured (medians) | met |\n| --- | --- | --- |")
    rows = targets(summary, million)
    for _, goal, measured, met in rows:
        w(f"| {goal} | {measured} | {'n/a' if met is None else ('yes' if met else '**no**')} |")
    w("")
    missed = [(tid, goal) for tid, goal, _, met in rows if met is False]
    if missed:
        reasons = read_reasons()
        w("### Measured reasons for the targets not met\n")
        for tid, goal in missed:
            reason = reasons.get(tid)
            if reason:
                w(f"**{goal}** (`{tid}`):\n\n{reason}\n")
            else:
                w(
                    f"**{goal}** (`{tid}`): **MEASURED REASON TO BE FILLED IN** from a profile of this run "
                    "(`perf record -g` or `valgrind --tool=callgrind` instruction counts): write it under "
                    f"`## {tid}` in bench/target-reasons.md and render again.\n"
                )
    others = other_goals(summary)
    if others:
        w("### Other goals (earlier issues)\n")
        w("| goal | measured | met |\n| --- | --- | --- |")
        for goal, measured, met in others:
            w(f"| {goal} | {measured} | {met} |")
        w("")


def summary_section(w, summary, sizes):
    w("## Summary (median throughput in requests/s; ratio = ours / peer)\n")
    lookup = {s: summary["systems"][s]["meta"].get("lookup_users") for s in SYSTEMS if s in summary["systems"]}
    if len(set(lookup.values())) > 1:
        w(
            "Note: the systems did not hold the same number of users during the user scenarios ("
            + ", ".join(f"{TITLES[s]}: {n:,}" for s, n in lookup.items())
            + "); the peer is bounded by `--peer-users`.\n"
        )
    w(
        "| scenario | MariaDB | SQLite | peer | MariaDB/peer | SQLite/peer "
        "| MariaDB statements / req | MariaDB identity-core CPU µs / req | SQLite statements / req "
        "| SQLite identity-core CPU µs / req |"
    )
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    names = [s for s, _ in USER_SCENARIOS] + [f"{k}/{n}" for n in sizes for k in ("member_add_remove", "get_group")]
    for name in names:
        s = {system: scenario(summary, system, name) for system in SYSTEMS}
        t = {system: med((s[system] or {}).get("throughput")) for system in SYSTEMS}
        w(
            f"| {name} | {fmt(t['mariadb'])} | {fmt(t['sqlite'])} | {fmt(t['peer'])} "
            f"| {fmt_ratio(ratio(t['mariadb'], t['peer']))} | {fmt_ratio(ratio(t['sqlite'], t['peer']))} "
            f"| {fmt((s['mariadb'] or {}).get('statements_per_request'), 2)} "
            f"| {fmt(cpu(s['mariadb'], 'identity-core'), 0)} "
            f"| {fmt((s['sqlite'] or {}).get('statements_per_request'), 2)} "
            f"| {fmt(cpu(s['sqlite'], 'identity-core'), 0)} |"
        )
    w("")


def galera_present(summary):
    return any(t in summary["systems"] for t in GALERA_TOPOLOGIES if t not in SYSTEMS)


def galera_section(w, summary, sizes):
    """`--galera`: the users and groups scenarios on single-node MariaDB and
    on the cluster (1 edge + 1 core, 2 edges + 2 cores), side by side, with
    the conflict and retry counts."""
    info = summary["info"]
    w("## Galera cluster (`--galera`)\n")
    w(
        "The same users and groups scenarios, in the same run, on three topologies: **single-node MariaDB** "
        "(the `ours (MariaDB)` system above: one scim-edge, one identity-core, MariaDB on "
        f"{info.get('mariadb_address', '127.0.0.1:3306')}); the three-node Galera cluster of `scripts/galera.sh` "
        "(127.0.0.1:3311-3313) with **1 edge + 1 core** (the core on node 1, nodes 2 and 3 its "
        "`--database-fallback-url`s); and with **2 edges + 2 cores** (core A on node 1, core B on node 2, each "
        "with the other nodes as fallbacks; each edge balances over both cores, `--core-url A,B`; the load "
        "generator sends its requests to the two edges in turn, round-robin per request). Each cluster "
        "topology gets its own fresh database, migrated once through node 1, and is loaded through core A. "
        "The same concurrency, durations and repeats as above; every process runs on this one machine, the "
        "three nodes included.\n"
    )
    if info.get("galera"):
        started = info.get("galera_started", "unknown")
        w(f"Cluster: {info['galera']}; started by this run: {started}.\n")
    w(
        "Reading these numbers: the three nodes, the cores, the edges and the load tool share this one "
        "machine's cores, so a cluster cannot be faster here than one server. What the section measures is "
        "what replication costs each request (every commit is certified and applied on all three nodes) and "
        "what writes through two nodes at once cost: writes that touch the same row through different nodes "
        "(the group scenarios change one group's row every time) conflict, and the loser is retried whole. "
        "A write on a Galera node also sends two statements more than on one server, the savepoint and its "
        "release that catch a transaction the cluster rolled back without an error (README, \"Running on a "
        "Galera cluster\").\n"
    )

    w("### Conflicts and retries\n")
    w(
        "Per phase (the 7 user scenarios, or the group scenarios, every run and warm-up included; loading "
        "excluded): the change of Galera's `wsrep_local_cert_failures` (a local transaction failed "
        "certification against a write set committed first elsewhere) and `wsrep_local_bf_aborts` (a local "
        "transaction aborted by a replicated write set), summed over the three nodes, and of identity-core's "
        "`identity_core_db_transaction_retries_total` (transactions it started over, every cause), summed "
        "over the cores. The node counters count every client of the cluster, so another user of it during "
        "the run adds to them; the cores' counter is this run's alone.\n"
    )
    w(
        "| topology | phase | cert failures | BF aborts | cert failures + BF aborts | identity-core retries |\n"
        "| --- | --- | ---: | ---: | ---: | ---: |"
    )
    conflicts = summary.get("conflicts", {})
    for t in GALERA_TOPOLOGIES:
        if t not in summary["systems"]:
            continue
        for phase in ("users", "groups"):
            c = conflicts.get(t, {}).get(phase)
            if c is None:
                w(f"| {GALERA_TITLES[t]} | {phase} | n/a | n/a | n/a | n/a |")
                continue
            cert, bf = c.get("cert_failures"), c.get("bf_aborts")
            both = cert + bf if cert is not None and bf is not None else None
            single = t == "mariadb"
            w(
                f"| {GALERA_TITLES[t]} | {phase} | {'-' if single else fmt(cert)} | {'-' if single else fmt(bf)} "
                f"| {'-' if single else fmt(both)} | {fmt(c.get('core_retries'))} |"
            )
    w("")

    names = [s for s, _ in USER_SCENARIOS] + [f"{k}/{n}" for n in sizes for k in ("member_add_remove", "get_group")]
    present = [t for t in GALERA_TOPOLOGIES if t in summary["systems"]]
    short = {"mariadb": "single node", "galera-1x1": "cluster 1x1", "galera-2x2": "cluster 2x2"}
    w("### Summary (medians; retries: identity-core's, in the measured windows, summed over the runs)\n")
    head = ["scenario"]
    head += [f"{short[t]} (req/s)" for t in present]
    head += [f"{short[t]} p50 (ms)" for t in present]
    head += [f"{short[t]} retries" for t in present]
    w("| " + " | ".join(head) + " |")
    w("| --- |" + " ---: |" * (len(head) - 1))
    for name in names:
        s = {t: scenario(summary, t, name) for t in present}
        cells = [f"`{name}`"]
        cells += [fmt(med((s[t] or {}).get("throughput"))) for t in present]
        cells += [fmt(med((s[t] or {}).get("p50_ms")), 2) for t in present]
        cells += [fmt((s[t] or {}).get("transaction_retries"), 0) for t in present]
        w("| " + " | ".join(cells) + " |")
    w("")

    for name in names:
        req = next((s["scenarios"].get(name, {}).get("request") for s in summary["systems"].values()), None) or ""
        w(f"### `{name}` on the three topologies\n\n`{req}`\n")
        w(
            "| topology | throughput (req/s) | p50 (ms) | p99 (ms) | errors | identity-core retries "
            "| SQL statements / req | identity-core CPU (µs/req) | scim-edge CPU (µs/req) | mariadbd CPU (µs/req) |"
        )
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        errors = []
        for t in present:
            s = scenario(summary, t, name)
            if s is None:
                w(f"| {GALERA_TITLES[t]} | n/a: {na_reason(summary, t, name)} | | | | | | | | |")
                continue
            w(
                f"| {GALERA_TITLES[t]} | {fmt_spread(s['throughput'])} | {fmt_spread(s['p50_ms'], 2)} "
                f"| {fmt_spread(s['p99_ms'], 2)} | {fmt(s['errors'])} | {fmt(s.get('transaction_retries'), 0)} "
                f"| {fmt(s['statements_per_request'], 2)} | {fmt(cpu(s, 'identity-core'), 0)} "
                f"| {fmt(cpu(s, 'scim-edge'), 0)} | {fmt(cpu(s, 'mariadbd'), 0)} |"
            )
            errors += [f"- {GALERA_TITLES[t]}: {n} x `{kind}`" for kind, n in (s.get("error_kinds") or {}).items()]
        w("")
        if errors:
            w("Errors:\n\n" + "\n".join(errors) + "\n")
    w(
        "CPU columns are summed over the replicas (both cores, both edges) and, for mariadbd, over the three "
        "nodes (on the cluster) or the one server (single node), divided by the window's requests.\n"
    )


def floor_section(w, summary):
    floor = summary["floor"]
    meta = summary["systems"].get("mariadb", {}).get("meta", {})
    w("## The floor: raw MariaDB point selects\n")
    if not (floor and floor["qps"]):
        w("Not measured in this run (no MariaDB backend or sysbench output).\n")
        return
    w(
        f"`sysbench oltp_point_select` (1 table of 10,000 rows, {meta.get('concurrency')} threads, "
        f"{floor['runs']} runs of {meta.get('seconds')} s) against the same MariaDB: "
        f"**{fmt_spread(floor['qps'], 0)} queries/s**, p50 {fmt_spread(floor['p50_ms'], 3)} ms, "
        f"p99 {fmt_spread(floor['p99_ms'], 3)} ms.\n"
    )
    w("| SCIM scenario on MariaDB | throughput (req/s) | fraction of the floor |\n| --- | ---: | ---: |")
    for name in ("lookup_username", "lookup_email", "get_group/100", "provision"):
        s = scenario(summary, "mariadb", name)
        if s:
            w(f"| {name} | {fmt(med(s['throughput']))} | {med(s['throughput']) / med(floor['qps']):.1%} |")
    w("")


def million_section(w, summary, million):
    if not million or "mariadb" not in million["systems"] or "mariadb" not in summary["systems"]:
        return
    here = summary["systems"]["mariadb"]["meta"].get("lookup_users")
    there = million["systems"]["mariadb"]["meta"].get("lookup_users")
    w(f"## {there:,} users (MariaDB, the `--million` run)\n")
    w(million_provenance(summary, million)[0] + ".\n")
    w(
        f"| scenario | {here:,} users (req/s) | {there:,} users (req/s) | p50 (ms) {here:,} | p50 (ms) {there:,} "
        f"| statements / req {here:,} | statements / req {there:,} |"
    )
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    names = [s for s, _ in USER_SCENARIOS]
    names += [f"{k}/{n}" for n in group_sizes(million) for k in ("member_add_remove", "get_group")]
    for name in names:
        a, b = scenario(summary, "mariadb", name), scenario(million, "mariadb", name)
        if not b:
            continue
        a = a or {}
        w(
            f"| {name} | {fmt(med(a.get('throughput')))} | {fmt(med(b['throughput']))} "
            f"| {fmt(med(a.get('p50_ms')), 2)} | {fmt(med(b['p50_ms']), 2)} "
            f"| {fmt(a.get('statements_per_request'), 2)} | {fmt(b.get('statements_per_request'), 2)} |"
        )
    w("")


def rss_section(w, summary):
    w("## Peak RSS (VmHWM, read from /proc at the end of each system's run)\n")
    w("| system | process | peak RSS (MiB) | users in the tenant |\n| --- | --- | ---: | ---: |")
    for system in SYSTEMS:
        sysres = summary["systems"].get(system, {})
        for proc, mem in sysres.get("rss", {}).items():
            if proc == "mariadbd":
                continue
            hwm = mem.get("vm_hwm_kib")
            w(
                f"| {TITLES[system]} | {proc} | {hwm / 1024:,.1f} | {fmt(sysres['meta'].get('total_users'))} |"
                if hwm
                else f"| {TITLES[system]} | {proc} | {mem.get('error', 'n/a')} | |"
            )
    w("")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--run-dir", required=True)
    p.add_argument("--md", required=True)
    p.add_argument("--png", required=True)
    p.add_argument("--million", help="the 1,000,000-user run: its summary JSON or run directory")
    p.add_argument("--save-summary", help="also write this run's summary JSON here")
    args = p.parse_args()

    summary = summarize(args.run_dir)
    for path in [os.path.join(args.run_dir, "summary.json")] + ([args.save_summary] if args.save_summary else []):
        with open(path, "w") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
    million = load_summary(args.million) if args.million else None
    sizes = group_sizes(summary)
    if sizes:
        chart(summary, sizes, args.png)
    png_rel = os.path.relpath(os.path.abspath(args.png), os.path.dirname(os.path.abspath(args.md)))

    md = []
    w = md.append
    header(w, summary, args)
    machine(w, summary, args)
    loading(w, summary)
    target_section(w, summary, million)
    summary_section(w, summary, sizes)
    if galera_present(summary):
        galera_section(w, summary, sizes)
    floor_section(w, summary)
    million_section(w, summary, million)
    rss_section(w, summary)
    if sizes:
        w("## Latency by group size\n")
        w(f"![latency by group size]({png_rel})\n")
    w("## Scenarios\n")
    for name, title in USER_SCENARIOS:
        req = next((s["scenarios"].get(name, {}).get("request") for s in summary["systems"].values()), None) or ""
        w(f"### {title} (`{name}`)\n\n`{req}`\n")
        w(scenario_table(summary, name) + "\n")
    for n in sizes:
        for kind, title in (("member_add_remove", "Member add/remove"), ("get_group", "GET group without members")):
            name = f"{kind}/{n}"
            req = next((s["scenarios"].get(name, {}).get("request") for s in summary["systems"].values()), None) or ""
            w(f"### {title}, {n:,} members (`{name}`)\n\n`{req}`\n")
            w(scenario_table(summary, name) + "\n")
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
    print(f"wrote {args.md}" + (f" and {args.png}" if sizes else "") + f"; summary in {args.run_dir}/summary.json")


if __name__ == "__main__":
    main()
