"""Drive health with the real binary: a drive folder renamed away while the server runs goes
offline (log line, flashstor_drive_online 0) and rejoins when put back; a drive missing at
start-up rejoins when it appears and the objects written meanwhile are healed onto it."""
import glob
import os
import re
import subprocess
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ACCESS_KEY, CURL, SECRET_KEY, Server, make_client

FAST = ["--drive-probe-interval", "1", "--drive-meta-timeout", "2", "--drive-timeout", "5"]


def metrics(srv):
    url = srv.endpoint + "/metrics"
    req = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(req)
    r = subprocess.run([*CURL, "-sf", url] + sum((["-H", f"{k}: {v}"] for k, v in req.headers.items()), []),
                       capture_output=True, timeout=30, check=True)
    return r.stdout.decode()


def drive_online(srv, drive):
    m = re.search(r'^flashstor_drive_online\{drive="%s"\} (\S+)$' % re.escape(drive), metrics(srv), re.M)
    assert m, "no flashstor_drive_online series for " + drive
    return float(m.group(1))


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def shards(drive, bucket, key):
    return glob.glob(os.path.join(drive, bucket, key, "%d.*", "part.1"))


def put_all(s3, bucket, keys, size=300 * 1024):
    data = {k: os.urandom(size) for k in keys}
    for k, body in data.items():
        s3.put_object(Bucket=bucket, Key=k, Body=body)
    return data


def check_all(s3, bucket, data):
    for k, body in data.items():
        assert s3.get_object(Bucket=bucket, Key=k)["Body"].read() == body


@pytest.fixture
def srv():
    s = Server(drives=4, extra_args=FAST)
    yield s
    s.cleanup()


def test_drive_renamed_away_goes_offline_and_rejoins(srv):
    srv.start()
    s3 = make_client(srv.endpoint)
    s3.create_bucket(Bucket="drives")
    before = put_all(s3, "drives", ["before1", "before2"])
    drive = srv.drives[3]
    assert drive_online(srv, drive) == 1
    os.rename(drive, drive + ".away")
    # The engine's 10 s disk_info probe (or the first failing call) finds the root gone.
    wait_for(lambda: drive_online(srv, drive) == 0, 30, "the drive to go offline")
    assert "drive offline: not found" in srv.read_log()
    during = put_all(s3, "drives", ["during1", "during2"])  # three drives keep the write quorum
    check_all(s3, "drives", {**before, **during})
    os.rename(drive + ".away", drive)
    wait_for(lambda: drive_online(srv, drive) == 1, 15, "the drive to rejoin")
    assert "drive rejoined" in srv.read_log()
    # The objects written while it was away are healed onto it by the rejoin scan.
    wait_for(lambda: all(shards(drive, "drives", k) for k in during), 30, "the heal of the drive")
    check_all(s3, "drives", {**before, **during})


def test_drive_missing_at_startup_rejoins_and_is_healed(srv):
    srv.start()
    s3 = make_client(srv.endpoint)
    s3.create_bucket(Bucket="drives")
    before = put_all(s3, "drives", ["old"])
    srv.stop()
    drive = srv.drives[2]
    os.rename(drive, drive + ".away")
    srv.start()
    s3 = make_client(srv.endpoint)
    assert drive_online(srv, drive) == 0
    during = put_all(s3, "drives", ["new1", "new2"])
    assert not os.path.exists(drive)
    time.sleep(1.5)  # a few probes fail while it is missing; it stays offline
    assert drive_online(srv, drive) == 0
    os.rename(drive + ".away", drive)
    wait_for(lambda: drive_online(srv, drive) == 1, 15, "the drive to rejoin")
    assert "drive rejoined" in srv.read_log()
    wait_for(lambda: all(shards(drive, "drives", k) for k in during), 30, "the heal of the drive")
    check_all(s3, "drives", {**before, **during})
