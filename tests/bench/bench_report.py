#!/usr/bin/env python3
"""bench_report.py OUT_DIR: turns ci/bench.sh's raw results (OUT_DIR/raw/*.json, figures.txt,
notes.txt) into OUT_DIR/results.json and the printed table. Reports; never judges speed."""
import json
import os
import platform
import sys

def load_runs(raw):
    runs = {}
    for name in sorted(os.listdir(raw)):
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(raw, name)) as f:
                lines = [l for l in f.read().splitlines() if l.strip()]
            runs[name[:-5]] = json.loads(lines[-1]) if lines else None
        except (OSError, ValueError):
            runs[name[:-5]] = None
    return runs


def load_figures(out):
    figs = {}
    try:
        with open(os.path.join(out, "figures.txt")) as f:
            for line in f:
                key, _, value = line.strip().partition(" ")
                if not key:
                    continue
                try:
                    figs[key] = float(value) if "." in value else int(value)
                except ValueError:
                    figs[key] = value if value else None
    except OSError:
        pass
    return figs


def ratio(a, b):
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b <= 0:
        return None
    return a / b


def fmt(v, unit="", digits=1):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    return f"{v:,.{digits}f}{unit}"


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}x"


def run_value(run, key, sub=None):
    if not run:
        return None
    v = run.get(key)
    if sub is not None:
        v = v.get(sub) if isinstance(v, dict) else None
    return v


def errors_note(run):
    if not run or not run.get("error_count"):
        return ""
    return " !" + ",".join(f"{k}:{v}" for k, v in run.get("errors", {}).items())


# (op, size label, pretty size, concurrency, run name suffix). Run names are fs_<suffix>,
# ngx_<suffix>, peer_<suffix>; a missing run shows "n/a" (or "-" where it is not measured).
ROWS = [
    ("put", "4k", "4 KiB", 8, "put_4k"),
    ("put", "4k", "4 KiB", 256, "put_4k_c256"),
    ("put", "1m", "1 MiB", 8, "put_1m"),
    ("put", "64m", "64 MiB", 4, "put_64m"),
    ("get", "4k", "4 KiB", 1, "get_4k_c1"),
    ("get", "4k", "4 KiB", 8, "get_4k"),
    ("get", "4k", "4 KiB", 64, "get_4k_c64"),
    ("get", "4k", "4 KiB", 256, "get_4k_c256"),
    ("get", "4k", "4 KiB", 1024, "get_4k_c1024"),
    ("get", "1m", "1 MiB", 8, "get_1m"),
    ("get", "64m", "64 MiB", 4, "get_64m"),
    ("list", "1000", "1000 keys", 1, "list"),
]
# Measured against the peer (the others only against nginx).
PEER_ROWS = {"put_4k", "put_4k_c256", "put_1m", "put_64m", "get_4k", "get_4k_c256", "get_1m",
             "get_64m", "list"}


def throughput_rows(runs, figs):
    peer = figs.get("peer_server", "not-installed")
    have_peer = peer != "not-installed"
    peer_name = peer if have_peer else "S3 peer"
    rows, ratios = [], {}
    head = (f"{'op':<5}{'size':>9} {'conc':>4} | {'flashstor ops/s':>15} {'MiB/s':>8} "
            f"{'p50 ms':>8} {'p99 ms':>8} | {'nginx ops/s':>11} {'p99 ms':>8} {'fs/nginx':>8} | "
            f"{peer_name + ' ops/s':>14} {'p99 ms':>8} {'fs/' + peer_name:>11}")
    rows.append(head)
    rows.append("-" * len(head))
    for op, _, pretty, conc, suffix in ROWS:
        fs = runs.get(f"fs_{suffix}")
        ngx = runs.get(f"ngx_{suffix}")
        pr = runs.get(f"peer_{suffix}")
        key = suffix
        # Same object size and shape: the ops/s ratio is also the MiB/s ratio.
        r_ngx = ratio(run_value(fs, "ops_s"), run_value(ngx, "ops_s"))
        r_peer = ratio(run_value(fs, "ops_s"), run_value(pr, "ops_s"))
        if op != "list":
            ratios[f"{key}_vs_nginx"] = r_ngx
        if suffix in PEER_ROWS:
            ratios[f"{key}_vs_peer"] = r_peer
            if have_peer:
                ratios[f"{key}_vs_{peer}"] = r_peer
        if op == "list":
            ngx_cells = f"{'-':>11} {'':>8} {'':>8}"
        elif ngx is None and op == "put" and figs.get("nginx_dav") != "yes":
            ngx_cells = f"{'no DAV':>11} {'':>8} {'':>8}"
        else:
            ngx_cells = (f"{fmt(run_value(ngx, 'ops_s')):>11} "
                         f"{fmt(run_value(ngx, 'latency_ms', 'p99'), digits=2):>8} "
                         f"{fmt_ratio(r_ngx):>8}")
        if suffix not in PEER_ROWS:
            peer_cells = f"{'-':>14} {'':>8} {'':>11}"
        elif not have_peer:
            peer_cells = f"{'not installed':>14} {'':>8} {'':>11}"
        else:
            peer_cells = (f"{fmt(run_value(pr, 'ops_s')):>14} "
                          f"{fmt(run_value(pr, 'latency_ms', 'p99'), digits=2):>8} "
                          f"{fmt_ratio(r_peer):>11}")
        mib = "" if op == "list" else fmt(run_value(fs, "mib_s"))
        rows.append(
            f"{op.upper():<5}{pretty:>9} {conc:>4} | "
            f"{fmt(run_value(fs, 'ops_s')):>15} {mib:>8} "
            f"{fmt(run_value(fs, 'latency_ms', 'p50'), digits=2):>8} "
            f"{fmt(run_value(fs, 'latency_ms', 'p99'), digits=2):>8} | {ngx_cells} | "
            f"{peer_cells}{errors_note(fs)}{errors_note(ngx)}{errors_note(pr)}")
    return rows, ratios


PHASES = [
    ("exec", "fork, exec, dynamic linking (bench clock to the daemon's static init)"),
    ("process", "static init to RunServer (its CPU: all since fork, so exec and dynamic linking)"),
    ("config", "command line, config file, environment"),
    ("listeners", "root credential, TLS, sockets bound"),
    ("privileges", "audit socket, privilege drop, seccomp"),
    ("drives", "drive formats, erasure sets, object layer"),
    ("engine", "handlers, HTTP server, metrics"),
    ("serving", "event loops and workers started, readiness"),
    ("first-request", "serving to the first request answered"),
]


def startup_rows(figs):
    """The start-up phases (median of 3 runs, microseconds) as (name, value, detail) rows."""
    rows, values = [], {}
    total = 0
    for name, detail in PHASES:
        us = figs.get(f"startup_phase_{name}_us")
        cpu = figs.get(f"startup_phase_{name}_cpu_us")
        values[f"startup_phase_{name}_us"] = us
        values[f"startup_phase_{name}_cpu_us"] = cpu
        if isinstance(us, int):
            total += us
        cpu_note = f"CPU {cpu / 1000:.2f} ms; " if isinstance(cpu, int) else ""
        rows.append((f"  {name}", fmt(us / 1000 if isinstance(us, int) else None, " ms", 2),
                     cpu_note + detail))
    values["startup_phases_sum_us"] = total
    return rows, values


def http2_rows(figs):
    """h2load's GET 4 KiB of one key: h2c with 1 x 100 and 8 x 16 streams, HTTP/1.1 8 x 1."""
    c1 = figs.get("h2_get_4k_c1_m100_rps")
    c8 = figs.get("h2_get_4k_c8_m16_rps")
    h1 = figs.get("h1_get_4k_c8_h2load_rps")
    num = lambda v: v if isinstance(v, (int, float)) else None
    ratios = {"h2_get_4k_c8_m16_vs_h1": ratio(num(c8), num(h1)),
              "h2_get_4k_c1_m100_vs_h1": ratio(num(c1), num(h1))}
    rows = [("GET 4 KiB over h2c, 8 conns x 16 streams (h2load)", fmt(num(c8), " req/s", 0),
             f"1 conn x 100 streams {fmt(num(c1), ' req/s', 0)}; HTTP/1.1 through h2load, 8 conns "
             f"{fmt(num(h1), ' req/s', 0)}; h2 8x16 / h1 "
             + fmt_ratio(ratios["h2_get_4k_c8_m16_vs_h1"]) + ", h2 1x100 / h1 "
             + fmt_ratio(ratios["h2_get_4k_c1_m100_vs_h1"]))]
    return rows, ratios, {}


def cpu_s_per_gib(runs, figs, name):
    """Server CPU seconds (utime + stime over the run, ci/bench.sh lg_cpu) per GiB moved."""
    cpu_ms = figs.get(f"{name}_server_cpu_ms")
    moved = run_value(runs.get(name), "bytes")
    if not isinstance(cpu_ms, (int, float)) or not isinstance(moved, (int, float)) or moved <= 0:
        return None
    return cpu_ms / 1000 / (moved / (1 << 30))


def cpu_rows(runs, figs):
    """Server CPU per GiB moved, Flashstor and nginx (master + workers), and their ratio."""
    rows, ratios, values = [], {}, {}
    for op in ("put", "get"):
        for label in ("4k", "1m", "64m"):
            fs = cpu_s_per_gib(runs, figs, f"fs_{op}_{label}")
            ngx = cpu_s_per_gib(runs, figs, f"ngx_{op}_{label}")
            values[f"{op}_{label}_server_cpu_s_per_gib"] = fs
            values[f"{op}_{label}_nginx_cpu_s_per_gib"] = ngx
            ratios[f"{op}_{label}_server_cpu_per_gib_vs_nginx"] = ratio(fs, ngx)
            if label != "1m":
                continue
            rows.append((f"Server CPU per GiB moved, {op.upper()} 1 MiB, 8 clients",
                         fmt(fs, " s/GiB", 2),
                         f"nginx {fmt(ngx, ' s/GiB', 2)}, fs/nginx "
                         + fmt_ratio(ratios[f"{op}_{label}_server_cpu_per_gib_vs_nginx"])
                         + " (utime + stime from /proc/PID/stat over the run / bytes moved)"))
    return rows, ratios, values


def other_rows(runs, figs):
    rows, ratios, values = [], {}, {}
    isal = runs.get("isal") or {}
    enc = isal.get("encode_mib_s")
    for label in ("1m", "64m"):
        put = run_value(runs.get(f"fs_put_{label}"), "mib_s")
        ratios[f"put_{label}_vs_isal_encode"] = ratio(put, enc)
    rows.append(("ISA-L encode k=2 m=2, 1 MiB blocks (1 core)", fmt(enc, " MiB/s"),
                 "PUT 1 MiB / encode " + fmt_ratio(ratios["put_1m_vs_isal_encode"]) +
                 ", PUT 64 MiB / encode " + fmt_ratio(ratios["put_64m_vs_isal_encode"])))
    sse = runs.get("sse") or {}
    values["aes_gcm_seal_mib_s"] = sse.get("aes_gcm_seal_mib_s")
    values["aes_gcm_open_mib_s"] = sse.get("aes_gcm_open_mib_s")
    rows.append(("AES-256-GCM 64 KiB packages (1 core)", fmt(values["aes_gcm_seal_mib_s"], " MiB/s"),
                 f"seal; open {fmt(values['aes_gcm_open_mib_s'], ' MiB/s')}; seal / ISA-L encode "
                 + fmt_ratio(ratio(values["aes_gcm_seal_mib_s"], enc))))
    for op in ("put", "get"):
        plain = run_value(runs.get(f"fs_{op}_1m"), "mib_s")
        enc_run = runs.get(f"fs_{op}_1m_sse")
        ratios[f"{op}_1m_sse_vs_plain"] = ratio(run_value(enc_run, "mib_s"), plain)
        rows.append((f"{op.upper()} 1 MiB with SSE-S3 (bucket default), 8 clients",
                     fmt(run_value(enc_run, "mib_s"), " MiB/s"),
                     "SSE-S3 / plaintext " + fmt_ratio(ratios[f"{op}_1m_sse_vs_plain"])
                     + errors_note(enc_run)))
    healthy = run_value(runs.get("fs_get_1m_healthy") or runs.get("fs_get_1m"), "mib_s")
    degraded = run_value(runs.get("fs_get_1m_degraded"), "mib_s")
    ratios["get_1m_degraded_vs_healthy"] = ratio(degraded, healthy)
    rows.append(("GET 1 MiB, one drive folder missing", fmt(degraded, " MiB/s"),
                 "degraded / healthy " + fmt_ratio(ratios["get_1m_degraded_vs_healthy"]) +
                 errors_note(runs.get("fs_get_1m_degraded"))))
    hung = runs.get("hung_drive") or {}
    for op, label in (("put", "4k"), ("get", "4k"), ("put", "1m"), ("get", "1m")):
        r = hung.get(f"{op}_{label}") or {}
        ratios[f"{op}_{label}_hung_drive_vs_healthy_p50"] = r.get("p50_ratio")
        ratios[f"{op}_{label}_hung_drive_vs_healthy_p99"] = r.get("p99_ratio")
        ms = lambda v: v / 1000 if isinstance(v, (int, float)) else None
        rows.append((f"{op.upper()} {'4 KiB' if label == '4k' else '1 MiB'}, 1 of 4 drives hung"
                     " (engine, p50)", fmt(ms(r.get("hung_p50_us")), " ms", 2),
                     f"healthy {fmt(ms(r.get('healthy_p50_us')), ' ms', 2)}, hung / healthy "
                     + fmt_ratio(r.get("p50_ratio")) + f"; p99 {fmt(ms(r.get('hung_p99_us')), ' ms', 2)}"
                     f" vs {fmt(ms(r.get('healthy_p99_us')), ' ms', 2)} ("
                     + fmt_ratio(r.get("p99_ratio")) + ")"))
    for label, size in (("1m", "1 MiB"), ("4k", "4 KiB")):
        calls = runs.get(f"drive_calls_{label}") or {}
        for op in ("put", "get", "delete"):
            c = calls.get(op) or {}
            values[f"drive_calls_{op}_{label}"] = c.get("per_drive")
            detail = ", ".join(f"{k} {v:g}" for k, v in (c.get("by_call") or {}).items())
            rows.append((f"Drive calls per drive, one {op.upper()} of {size}",
                         fmt(c.get("per_drive"), "", 1), detail or "n/a"))
    head = runs.get("fs_head_4k")
    values["head_4k_ops_s"] = run_value(head, "ops_s")
    rows.append(("HEAD 4 KiB (metadata only), 8 clients", fmt(values["head_4k_ops_s"], " ops/s", 0),
                 f"p50 {fmt(run_value(head, 'latency_ms', 'p50'), ' ms', 2)}, p99 "
                 f"{fmt(run_value(head, 'latency_ms', 'p99'), ' ms', 2)}" + errors_note(head)))
    authz = runs.get("authz") or {}
    user_get = runs.get("fs_get_4k_user")
    policy_get = runs.get("fs_get_4k_user_policy20")
    values["get_4k_user_ops_s"] = run_value(user_get, "ops_s")
    values["get_4k_user_policy20_ops_s"] = run_value(policy_get, "ops_s")
    values["authz_cached_ns"] = authz.get("cached_ns")
    values["authz_uncached_ns"] = authz.get("uncached_ns")
    ratios["get_4k_policy20_vs_none"] = ratio(values["get_4k_user_policy20_ops_s"],
                                              values["get_4k_user_ops_s"])
    before, after = runs.get("authz_cache_before") or {}, runs.get("authz_cache_after") or {}
    hits = after.get("hits", 0) - before.get("hits", 0)
    misses = after.get("misses", 0) - before.get("misses", 0)
    values["authz_cache_hit_rate"] = hits / (hits + misses) if hits + misses > 0 else None
    rows.append(("GET 4 KiB as an IAM user, 20-statement bucket policy, 8 clients",
                 fmt(values["get_4k_user_policy20_ops_s"], " ops/s", 0),
                 f"no bucket policy {fmt(values['get_4k_user_ops_s'], ' ops/s', 0)}, ratio "
                 + fmt_ratio(ratios["get_4k_policy20_vs_none"]) + "; one decision: cached "
                 + fmt(values["authz_cached_ns"], " ns", 0) + ", evaluated "
                 + fmt(values["authz_uncached_ns"], " ns", 0) + "; cache hit rate "
                 + (f"{100 * values['authz_cache_hit_rate']:.2f} %"
                    if values["authz_cache_hit_rate"] is not None else "n/a")
                 + errors_note(policy_get) + errors_note(user_get)))
    heal = runs.get("heal")
    verify = runs.get("heal_verify")
    heal_desc = "n/a"
    if heal:
        heal_desc = (f"{heal.get('ops', 0)} objects of {heal.get('size', 0) >> 20} MiB in "
                     f"{heal.get('elapsed_s', 0):.2f} s; {heal.get('shards_healed', 0)} shards "
                     f"rebuilt by these calls (others by the background heal); GET after: "
                     + ("ok" if verify and not verify.get("error_count") and verify.get("ops")
                        else "FAILED" + errors_note(verify)))
    values["heal_mib_s"] = run_value(heal, "mib_s")
    rows.append(("Heal (admin endpoint, one drive wiped)", fmt(values["heal_mib_s"], " MiB/s"),
                 heal_desc + errors_note(heal)))
    per = lambda kib, n: kib * 1024 / n if isinstance(kib, int) and isinstance(n, int) and n else None
    for who, key in (("fs", "bytes_per_idle_connection"), ("ngx", "nginx_bytes_per_idle_connection")):
        values[key] = per(figs.get(f"{who}_idle_second_kib"), figs.get(f"{who}_idle_b_open"))
        values[key + "_first_1000"] = per(figs.get(f"{who}_idle_first_kib"),
                                          figs.get(f"{who}_idle_a_open"))
    ratios["idle_connection_vs_nginx"] = ratio(values["bytes_per_idle_connection"],
                                               values["nginx_bytes_per_idle_connection"])
    rows.append(("Bytes per idle keep-alive connection (1000 -> 2000 open)",
                 fmt(values["bytes_per_idle_connection"], " B", 0),
                 f"nginx {fmt(values['nginx_bytes_per_idle_connection'], ' B', 0)}, ratio "
                 + fmt_ratio(ratios["idle_connection_vs_nginx"]) + "; first 1000 incl. warm-up: "
                 + fmt(values["bytes_per_idle_connection_first_1000"], " B", 0)))
    su = figs.get("startup_us")
    nsu = figs.get("nginx_startup_us")
    ratios["startup_vs_nginx"] = ratio(su, nsu)
    rows.append(("Exec to first served GET (median of 3)",
                 fmt(su / 1000 if isinstance(su, int) else None, " ms"),
                 f"nginx {fmt(nsu / 1000 if isinstance(nsu, int) else None, ' ms')}, ratio "
                 + fmt_ratio(ratios["startup_vs_nginx"])
                 + "; by phase (medians of wall and process CPU time, --log-level debug):"))
    srows, svalues = startup_rows(figs)
    rows.extend(srows)
    values.update(svalues)
    rss = figs.get("rss_under_put_kib")
    cache = figs.get("meta_cache_bytes")
    rows.append(("Max RSS during the 1 MiB PUT run",
                 fmt(rss / 1024 if isinstance(rss, int) else None, " MiB"),
                 "VmRSS sampled every 100 ms; of it, the drives' metadata cache "
                 + fmt(cache / 1048576 if isinstance(cache, int) else None, " MiB", 2)))
    rows.append(("Binary size as built", fmt(figs.get("binary_bytes", 0) / 1048576, " MiB", 2),
                 f"text {fmt(figs.get('text_bytes', 0) / 1048576, ' MiB', 2)} (size(1); with debug info)"))
    inst = figs.get("installed_bytes")
    dbg = figs.get("debug_file_bytes")
    rows.append(("Binary size as installed",
                 fmt(inst / 1048576 if isinstance(inst, int) else None, " MiB", 2),
                 "stripped (ci/split-debug.sh); separate debug file "
                 + fmt(dbg / 1048576 if isinstance(dbg, int) else None, " MiB", 2)))
    h2_rows, h2_ratios, h2_values = http2_rows(figs)
    rows.extend(h2_rows)
    ratios.update(h2_ratios)
    values.update(h2_values)
    cpu_r, cpu_ratios, cpu_values = cpu_rows(runs, figs)
    rows.extend(cpu_r)
    ratios.update(cpu_ratios)
    values.update(cpu_values)
    peer = figs.get("peer_server", "not-installed")
    rows.append(("S3 peer (radosgw, else minio / versitygw / s3proxy)",
                 "not installed" if peer == "not-installed" else peer,
                 "one-node Ceph 16, one bluestore OSD on a sparse file, 1 replica"
                 if peer == "radosgw" else ""))
    return rows, ratios, values


def main():
    out = sys.argv[1]
    runs = load_runs(os.path.join(out, "raw"))
    figs = load_figures(out)
    notes = []
    if os.path.exists(os.path.join(out, "notes.txt")):
        with open(os.path.join(out, "notes.txt")) as f:
            notes = [l.rstrip("\n") for l in f if l.strip()]
    trows, tratios = throughput_rows(runs, figs)
    orows, oratios, values = other_rows(runs, figs)
    print(f"\nflashstor bench: {os.cpu_count()} cores, loopback, client and servers share the CPUs;"
          " ratio = flashstor / reference (ops/s; LIST: pages of 1000 keys a second)")
    print("\n".join(trows))
    print()
    width = max(len(r[0]) for r in orows)
    for name, value, detail in orows:
        print(f"{name:<{width}}  {value:>14}  {detail}")
    if notes:
        print("\nnotes:")
        for n in notes:
            print("  - " + n)
    results = {
        "machine": {"cores": os.cpu_count(), "kernel": platform.release()},
        "runs": runs,
        "figures": {**figs, **values},
        "ratios": {**tratios, **oratios},
        "notes": notes,
    }
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
