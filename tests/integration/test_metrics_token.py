"""/metrics with a scrape token (metrics_access "token"): Bearer accepted, missing
credentials 401, a wrong token 403; `flashstor admin prometheus-config` prints an entry the
real Prometheus uses to scrape the real daemon (target up, flashstor series stored), and a
Prometheus holding the wrong token sees the target down with 403."""
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import BIN, Server

TOKEN = "scrape-" + "0123456789abcdef" * 2


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture(scope="module")
def token_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("metrics")
    token_file = d / "metrics-token"
    token_file.write_text(TOKEN + "\n")
    os.chmod(token_file, 0o600)
    srv = Server(drives=4, extra_args=["--metrics-access", "token", "--metrics-token-file",
                                       str(token_file)]).start()
    srv.dir = d
    yield srv
    srv.stop()
    srv.cleanup()


def test_bearer_token_gates_metrics(token_server):
    url = token_server.endpoint + "/metrics"
    status, body = get(url, {"Authorization": "Bearer " + TOKEN})
    assert status == 200 and "flashstor_" in body
    assert get(url)[0] == 401
    assert get(url, {"Authorization": "Bearer " + TOKEN[:-1] + "x"})[0] == 403
    assert get(url, {"Authorization": "Bearer " + TOKEN + "x"})[0] == 403
    assert get(url, {"Authorization": "Basic Zm9vOmJhcg=="})[0] == 403
    # The token never shows up in the daemon's log.
    with open(token_server.log_path, errors="replace") as f:
        assert TOKEN not in f.read()


def test_token_file_must_be_usable(tmp_path):
    short = tmp_path / "short"
    short.write_text("abc\n")
    r = subprocess.run([BIN, "server", "--address", "127.0.0.1:0", "--metrics-access", "token",
                        "--metrics-token-file", str(short), str(tmp_path / "d1")],
                       capture_output=True, text=True, timeout=30,
                       env={**os.environ, "FLASHSTOR_ROOT_USER": "rootuser",
                            "FLASHSTOR_ROOT_PASSWORD": "rootpassword"})
    assert r.returncode != 0
    assert "16 to 4096" in r.stderr and "abc" not in r.stderr


def prometheus_config(endpoint, token_file, job):
    target = endpoint.split("://", 1)[1]
    out = subprocess.run([BIN, "admin", "prometheus-config", "--target", target,
                          "--credentials-file", str(token_file)], check=True,
                         capture_output=True, text=True).stdout
    assert "type: Bearer" in out and f"credentials_file: {token_file}" in out
    return out.replace("job_name: flashstor", f"job_name: {job}")


def wait_targets(api, predicate, timeout=40):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            status, body = get(api + "/api/v1/targets")
            if status == 200:
                last = json.loads(body)["data"]["activeTargets"]
                if predicate(last):
                    return last
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"targets never reached the expected state: {last}")


def test_real_prometheus_scrapes_with_the_token(token_server, tmp_path):
    good = tmp_path / "good-token"
    good.write_text(TOKEN + "\n")
    bad = tmp_path / "bad-token"
    bad.write_text("not-the-token-0123456789\n")
    good_cfg = prometheus_config(token_server.endpoint, good, "flashstor")
    bad_cfg = prometheus_config(token_server.endpoint, bad, "wrongtoken")
    config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n" + good_cfg + \
        bad_cfg.split("scrape_configs:\n", 1)[1]
    cfg_file = tmp_path / "prometheus.yml"
    cfg_file.write_text(config)
    r = subprocess.run(["promtool", "check", "config", str(cfg_file)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "prometheus.log", "w")
    prom = subprocess.Popen(["prometheus", f"--config.file={cfg_file}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        def settled(targets):
            health = {t["labels"]["job"]: t["health"] for t in targets}
            return health.get("flashstor") == "up" and health.get("wrongtoken") == "down"
        targets = wait_targets(api, settled)
        wrong = [t for t in targets if t["labels"]["job"] == "wrongtoken"][0]
        assert "403" in wrong["lastError"], wrong["lastError"]
        deadline = time.time() + 30
        series = 0
        while time.time() < deadline and series == 0:
            status, body = get(api + "/api/v1/query?query=" + urllib.request.quote(
                'count({job="flashstor",__name__=~"flashstor_.+"})'))
            result = json.loads(body)["data"]["result"] if status == 200 else []
            series = int(result[0]["value"][1]) if result else 0
            time.sleep(0.5)
        assert series > 10
    finally:
        prom.terminate()
        prom.wait(timeout=30)
        log.close()
