"""Issue 8's targets (on MariaDB, as ratios within the same run, and the
page_index walk at 1,000,000 users against 10,000), the goals of earlier
issues, and the measured reasons of bench/target-reasons.md.
"""

import os
import subprocess

from results import med, ratio, scenario, group_sizes, fmt, fmt_ratio, TITLES

REASONS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "target-reasons.md")



def read_reasons():
    """Target id -> the text under `## id` in bench/target-reasons.md."""
    reasons, current = {}, None
    if not os.path.exists(REASONS_FILE):
        return reasons
    with open(REASONS_FILE) as f:
        for line in f:
            if line.startswith("## "):
                current = line[3:].strip()
                reasons[current] = []
            elif current and not line.startswith("<!--"):
                reasons[current].append(line.rstrip())
    return {k: "\n".join(v).strip() for k, v in reasons.items() if "\n".join(v).strip()}


def million_provenance(summary, million):
    """How the 1M run relates to this one (commit, settings), in words, and
    whether it measured the same code."""
    this, that = summary["info"].get("commit", "unknown"), million["info"].get("commit", "unknown")
    words = [f"1M run: commit {that[:10]}, started {million['info'].get('started', '?')}"]
    same = that == this
    if same:
        words.append("the same commit as this run")
    else:
        same = subprocess.run(
            ["git", "diff", "--quiet", that, this, "--", ".", ":(exclude)BENCHMARKS.md",
             ":(exclude)bench/results-1m.json", ":(exclude)bench/target-reasons.md", ":(exclude)bench/*.png"],
            capture_output=True,
        ).returncode == 0
        identical = "code identical to this run's (only reports differ)"
        words.append(identical if same else "**different code than this run: rerun it**")
    if million["info"].get("dirty"):
        words.append("**from a dirty tree**")
    meta = million["systems"].get("mariadb", {}).get("meta", {})
    mine = summary["systems"].get("mariadb", {}).get("meta", {})
    for key in ("concurrency", "seconds", "repeat"):
        if meta.get(key) != mine.get(key):
            words.append(f"**{key} {meta.get(key)} there, {mine.get(key)} here**")
    return "; ".join(words), same


def targets(summary, million):
    """(id, goal, measured, met) rows: issue 8's targets, on MariaDB, as same-run ratios."""
    rows = []
    db, peer = "mariadb", "peer"
    conc = summary["systems"].get(db, {}).get("meta", {}).get("concurrency")

    def thr(system, name, source=summary):
        return med((scenario(source, system, name) or {}).get("throughput"))

    floor = med((summary["floor"] or {}).get("qps"))
    look = thr(db, "lookup_username")
    r = ratio(look, floor)
    rows.append((
        "lookup_floor", "`lookup_username` >= 10% of the same-run sysbench point-select rate",
        f"{fmt(look)} req/s = {r:.1%} of {fmt(floor, 0)} queries/s" if r is not None else "n/a",
        None if r is None else r >= 0.10,
    ))
    for target_id, name, times in (("lookup_peer", "lookup_username", 5), ("deactivate_peer", "deactivate", 3)):
        r = ratio(thr(db, name), thr(peer, name))
        rows.append((
            target_id, f"`{name}` >= {times}x scim2-server",
            f"{fmt_ratio(r)} ({fmt(thr(db, name))} vs {fmt(thr(peer, name))} req/s)" if r is not None else "n/a",
            None if r is None else r >= times,
        ))
    prov = thr(db, "provision")
    rows.append((
        "provision_rate", "`provision` >= 1,500 users/s",
        f"{fmt(prov, 0)} users/s" if prov is not None else "n/a", None if prov is None else prov >= 1500,
    ))
    p50s = {
        n: med(s["p50_ms"])
        for n in group_sizes(summary)
        if (s := scenario(summary, db, f"member_add_remove/{n}"))
    }
    measured = ", ".join(f"{n:,} members: {v:.2f} ms" for n, v in p50s.items()) or "n/a"
    met = None if not p50s else max(p50s.values()) < 5
    if p50s and conc != 8:
        measured += f" (at {conc} in flight, not 8)"
        met = None
    rows.append(("member_p50", "member add/remove p50 < 5 ms at 8 in flight", measured, met))

    users = summary["systems"].get(db, {}).get("meta", {}).get("lookup_users")
    small = scenario(summary, db, "page_index")
    big = million and scenario(million, db, "page_index")
    big_users = million and million["systems"].get(db, {}).get("meta", {}).get("lookup_users")
    if users and users >= 1_000_000:
        measured, met = "this is the 1M run: the 10,000-user report compares with it", None
    elif not million:
        measured, met = "no 1M run given (`--million`; see bench/README.md)", None
    elif small and big:
        lat = ratio(med(big["p50_ms"]), med(small["p50_ms"]))
        thr = ratio(med(big["throughput"]), med(small["throughput"]))
        provenance, same = million_provenance(summary, million)
        measured = (
            f"{big_users:,} users / {users:,} users: p50 {fmt_ratio(lat, 2)} ({fmt(med(big['p50_ms']), 2)} vs "
            f"{fmt(med(small['p50_ms']), 2)} ms), throughput {fmt_ratio(thr, 2)} ({fmt(med(big['throughput']))} vs "
            f"{fmt(med(small['throughput']))} req/s). {provenance}"
        )
        met = None if lat is None or thr is None or not same else lat <= 3 and thr >= 1 / 3
    else:
        measured, met = "page_index missing from one of the runs", None
    rows.append(("page_index_1m", "`page_index` at 1,000,000 users within 3x of the same at 10,000", measured, met))
    return rows


def other_goals(summary):
    """Goals of earlier issues, kept in view."""
    rows = []
    for system in ("mariadb", "sqlite"):
        if system not in summary["systems"]:
            continue
        known = {
            n: med(s["p50_ms"])
            for n in group_sizes(summary)
            if (s := scenario(summary, system, f"member_add_remove/{n}"))
        }
        if len(known) >= 2:
            lo, hi = min(known), max(known)
            r = ratio(known[hi], known[lo])
            rows.append((f"{TITLES[system]}: member p50 at {hi:,} members <= 1.5x at {lo:,}", fmt_ratio(r, 2),
                         "n/a" if r is None else ("yes" if r <= 1.5 else "no")))
        r = ratio(med((scenario(summary, system, "lookup_email") or {}).get("throughput")),
                  med((scenario(summary, "peer", "lookup_email") or {}).get("throughput")))
        rows.append((f"{TITLES[system]}: emails[type eq work] eq >= 10x peer throughput", fmt_ratio(r),
                     "n/a" if r is None else ("yes" if r >= 10 else "no")))
        sysres = summary["systems"][system]
        for proc, limit in (("scim-edge", 64), ("identity-core", 256)):
            hwm = sysres["rss"].get(proc, {}).get("vm_hwm_kib")
            if hwm:
                rows.append((f"{TITLES[system]}: {proc} peak RSS < {limit} MB (stated at 1,000,000 users)",
                             f"{hwm / 1024:.1f} MiB with {sysres['meta']['total_users']:,} users",
                             "yes" if hwm / 1024 < limit else "no"))
    return rows
