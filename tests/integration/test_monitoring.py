"""Monitoring out of the box: the Grafana dashboard (monitoring/grafana/flashstor.json) only
queries series the real daemon exports, its JSON has the shape Grafana imports (panels with
targets, a datasource variable), and the Prometheus scrape example passes promtool. The
dashboard cannot rot: a metric renamed in the daemon fails here."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid

import boto3
import pytest
from botocore.config import Config

from conftest import ACCESS_KEY, CURL, Server, make_client, public_metrics_config

REPO = os.path.join(os.path.dirname(__file__), "..", "..")
DASHBOARD = os.path.join(REPO, "monitoring", "grafana", "flashstor.json")
SCRAPE_EXAMPLE = os.path.join(REPO, "monitoring", "prometheus.yml")

# PromQL words that are not metric names.
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan"}
# Labels Prometheus adds at scrape time (target labels), not the daemon.
TARGET_LABELS = {"job", "instance"}


def load_dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def all_panels(dash):
    for p in dash["panels"]:
        yield p
        yield from p.get("panels", [])


def expressions(dash):
    return [(p["title"], t["expr"]) for p in all_panels(dash) for t in p.get("targets", [])]


def selectors(expr):
    """(metric name, {label: (op, value)}) for every vector selector of a PromQL expression."""
    text = re.sub(r"\[[^\]]*\]", " ", expr)  # range and subquery durations
    # Label lists of grouping modifiers name labels, not metrics.
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    found = []
    pos = 0
    ident = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
    while pos < len(text):
        if text[pos] == '"':
            pos = text.index('"', pos + 1) + 1
            continue
        m = ident.match(text, pos)
        if not m or (pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "._")):
            pos += 1
            continue
        name, pos = m.group(0), m.end()
        rest = text[pos:].lstrip()
        if rest.startswith("(") or name.lower() in KEYWORDS:
            continue  # a function or an operator keyword
        matchers = {}
        if rest.startswith("{"):
            start = text.index("{", pos)
            end = text.index("}", start)
            for lm in re.finditer(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', text[start + 1:end]):
                matchers[lm.group(1)] = (lm.group(2), lm.group(3))
            pos = end + 1
        found.append((name, matchers))
    return found


def parse_scrape(text):
    """{sample name: [ {label: value} ... ]} from the Prometheus text format."""
    series = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s", line)
        assert m, line
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        series.setdefault(m.group(1), []).append(labels)
    return series


def matches(labels, matchers):
    for name, (op, want) in matchers.items():
        if name in TARGET_LABELS:
            continue
        have = labels.get(name, "")
        full = re.fullmatch(want, have) is not None
        if (op == "=" and have != want) or (op == "!=" and have == want) or \
           (op == "=~" and not full) or (op == "!~" and full):
            return False
    return True


@pytest.fixture(scope="module")
def scrape():
    """A daemon with "metrics_access": "public" (what the scrape example needs) after requests
    that create every lazily registered series: success, a 404 and a bad signature."""
    root = tempfile.mkdtemp(prefix="flashstor-monitoring-")
    srv = Server(drives=4, extra_args=["--config", public_metrics_config(root)])
    try:
        srv.start()
        s3 = make_client(srv.endpoint)
        bucket = "mon-" + uuid.uuid4().hex[:10]
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="k", Body=os.urandom(300_000))
        assert len(s3.get_object(Bucket=bucket, Key="k")["Body"].read()) == 300_000
        with pytest.raises(Exception):
            s3.get_object(Bucket=bucket, Key="missing")
        bad = boto3.client("s3", endpoint_url=srv.endpoint, aws_access_key_id=ACCESS_KEY,
                           aws_secret_access_key="not-the-secret-key-at-all",
                           region_name="us-east-1",
                           config=Config(s3={"addressing_style": "path"},
                                         retries={"max_attempts": 1, "mode": "standard"}))
        with pytest.raises(Exception):
            bad.list_objects_v2(Bucket=bucket)
        r = subprocess.run([*CURL, "-s", "-w", "\n%{http_code}", srv.endpoint + "/metrics"],
                           capture_output=True, timeout=30)
        body, _, code = r.stdout.rpartition(b"\n")
        assert code == b"200", (code, body[:200])
        yield body.decode()
    finally:
        srv.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def test_dashboard_metrics_exist_in_scrape(scrape):
    series = parse_scrape(scrape)
    dash = load_dashboard()
    exprs = expressions(dash)
    assert len(exprs) >= 20
    missing = []
    used = set()
    for title, expr in exprs:
        sels = selectors(expr)
        assert sels, f"{title}: no metric in {expr}"
        for name, matchers in sels:
            used.add(name)
            if name not in series:
                missing.append(f"{title}: {name} (not in /metrics)")
                continue
            extra = set(matchers) - TARGET_LABELS
            if extra and not any(matches(s, matchers) for s in series[name]):
                missing.append(f"{title}: {name}{matchers} (no series matches)")
    assert not missing, "\n".join(missing)
    # The metric groups the dashboard promises (issue 14).
    for group in ("flashstor_s3_requests_total", "flashstor_s3_request_duration_seconds_bucket",
                  "flashstor_s3_errors_total", "flashstor_drive_written_bytes",
                  "flashstor_erasure_encode_seconds", "flashstor_erasure_decode_seconds",
                  "flashstor_bitrot_scan_coverage_ratio", "process_resident_memory_bytes",
                  "flashstor_arena_bytes", "process_open_fds", "flashstor_workers_busy",
                  "flashstor_heal_queue_length", "flashstor_drives_online",
                  "flashstor_drive_online"):
        assert group in used, f"dashboard has no panel on {group}"


def test_latency_quantiles_use_the_histogram_buckets(scrape):
    exprs = [e for _, e in expressions(load_dashboard())]
    for q in ("0.5", "0.95", "0.99"):
        assert any(f"histogram_quantile({q}," in e and
                   "flashstor_s3_request_duration_seconds_bucket" in e and "le)" in e
                   for e in exprs), q
    assert any(re.search(r'le="\+Inf"', line) for line in scrape.splitlines()
               if line.startswith("flashstor_s3_request_duration_seconds_bucket"))


def test_selector_parser_catches_a_renamed_metric():
    """The check above can fail: a misspelt metric and a label value no series has are found."""
    series = parse_scrape('flashstor_x{state="a"} 1\nflashstor_y 2\n')
    sels = selectors('rate(flashstor_z{job=~"$job"}[$__rate_interval]) / ignoring(state) '
                     'flashstor_x{state="b"} + sum by (op) (flashstor_y)')
    assert [n for n, _ in sels] == ["flashstor_z", "flashstor_x", "flashstor_y"]
    assert "flashstor_z" not in series
    assert not any(matches(s, sels[1][1]) for s in series["flashstor_x"])


def test_dashboard_is_grafana_shaped():
    dash = load_dashboard()
    for key in ("title", "uid", "panels", "templating", "schemaVersion", "time"):
        assert key in dash, key
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = set()
    for p in all_panels(dash):
        assert p["id"] not in ids, f"duplicate panel id {p['id']}"
        ids.add(p["id"])
        assert p["type"] in ("row", "timeseries", "stat"), p["type"]
        grid = p["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        if p["type"] == "row":
            continue
        assert p["title"] and p["targets"], p
        assert p["datasource"]["uid"] == "${datasource}"
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)), p["title"]
        for t in p["targets"]:
            assert t["datasource"]["uid"] == "${datasource}" and t["expr"].strip()
            assert t["expr"].count("(") == t["expr"].count(")"), t["expr"]


def test_scrape_example_passes_promtool(tmp_path):
    # promtool checks that the token file exists: point the example at one in tmp_path.
    with open(SCRAPE_EXAMPLE) as f:
        text = f.read()
    assert "credentials_file: /etc/prometheus/flashstor-metrics-token" in text
    token = tmp_path / "flashstor-metrics-token"
    token.write_text("0123456789abcdef0123\n")
    config = tmp_path / "prometheus.yml"
    config.write_text(text.replace("/etc/prometheus/flashstor-metrics-token", str(token)))
    r = subprocess.run(["promtool", "check", "config", str(config)], capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"SUCCESS" in r.stdout + r.stderr


def test_scrape_is_valid_for_promtool(scrape):
    r = subprocess.run(["promtool", "check", "metrics"], input=scrape.encode(),
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
