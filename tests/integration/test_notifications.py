"""Bucket event notifications to webhook targets: the daemon runs with a target in its config
file, a local HTTP receiver (http.server in a thread) collects what it POSTs. Covers the
configuration API (boto3 and aws cli), the events of PUT/copy/multipart/delete/tagging with
prefix/suffix filters, lifecycle expirations and retention / legal-hold changes, holding events while the receiver is down (and across a SIGTERM or
SIGKILL restart), and the queue bound (events dropped and counted, requests never fail)."""
import json
import os
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY, Server, cli_env, make_client

TARGET = "hook1"
ARN = f"arn:flashstor:sqs::{TARGET}:webhook"
TOKEN = "s3cr3t-webhook-token"


class Receiver:
    """A webhook: records the JSON bodies POSTed to it (and their Authorization header)."""

    def __init__(self, port=0, status=200):
        self.events = []
        self.auth = []
        self.status = status
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    status = outer.status
                    if status == 200:
                        outer.events.append(json.loads(body))
                        outer.auth.append(self.headers.get("Authorization"))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def records(self):
        with self.lock:
            return [r for e in self.events for r in e["Records"]]

    def wait_for(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.records()) >= n:
                return self.records()
            time.sleep(0.05)
        raise AssertionError(f"expected {n} events, got {self.records()}")

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root, port, queue_limit=1000, drive_root=None, extra_config=None):
    """A daemon whose config file names one webhook target on port."""
    srv = Server(drives=4, drive_root=drive_root)
    # Read after the privilege drop: in the server's folder, which the service user owns.
    token_file = os.path.join(srv.root, "token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(token_file, 0o600)
    cfg_path = os.path.join(srv.root, "config.json")
    with open(cfg_path, "w") as f:
        json.dump({"root_user": ACCESS_KEY, "root_password": SECRET_KEY, "drives": srv.drives,
                   "metrics_access": "public",
                   "notify_webhook": [{"id": TARGET, "endpoint": f"http://127.0.0.1:{port}/events",
                                       "auth_token_file": token_file,
                                       "queue_limit": queue_limit}],
                   **(extra_config or {})}, f)
    os.chmod(cfg_path, 0o600)
    if os.geteuid() == 0:
        os.chown(token_file, 65534, 65534)
    srv.extra_args = ["--config", cfg_path]
    return srv.start()


def metric(srv, name, **labels):
    text = urllib.request.urlopen(srv.endpoint + "/metrics", timeout=5).read().decode()
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{want}}} not in metrics")


def queue_config(*rules):
    return {"QueueConfigurations": list(rules)}


def rule(rid, events, prefix=None, suffix=None):
    r = {"Id": rid, "QueueArn": ARN, "Events": events}
    filters = []
    if prefix is not None:
        filters.append({"Name": "prefix", "Value": prefix})
    if suffix is not None:
        filters.append({"Name": "suffix", "Value": suffix})
    if filters:
        r["Filter"] = {"Key": {"FilterRules": filters}}
    return r


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def daemon(receiver, tmp_path):
    srv = start_server(str(tmp_path), receiver.port)
    yield srv
    srv.cleanup()


def new_bucket(s3):
    name = "nt-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    return name


def test_configuration_api(daemon, tmp_path):
    s3 = make_client(daemon.endpoint)
    b = new_bucket(s3)
    cfg = queue_config(rule("images", ["s3:ObjectCreated:*"], "images/", ".jpg"),
                       rule("removals", ["s3:ObjectRemoved:Delete", "s3:ObjectTagging:*"]))
    s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration=cfg)
    got = s3.get_bucket_notification_configuration(Bucket=b)["QueueConfigurations"]
    assert [q["Id"] for q in got] == ["images", "removals"]
    assert got[0]["QueueArn"] == ARN and got[0]["Events"] == ["s3:ObjectCreated:*"]
    rules = {r["Name"].lower(): r["Value"] for r in got[0]["Filter"]["Key"]["FilterRules"]}
    assert rules == {"prefix": "images/", "suffix": ".jpg"}

    def refused(config, code):
        with pytest.raises(ClientError) as e:
            s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration=config)
        assert e.value.response["Error"]["Code"] == code
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        return e.value.response["Error"]["Message"]

    bad_arn = {"QueueConfigurations": [{"QueueArn": "arn:aws:sqs:us-east-1:123:q",
                                        "Events": ["s3:ObjectCreated:*"]}]}
    assert "Unable to validate" in refused(bad_arn, "InvalidArgument")
    refused(queue_config(rule("x", ["s3:ObjectCreated:Nope"])), "InvalidArgument")
    refused(queue_config(rule("a", ["s3:ObjectCreated:*"], "p/"),
                         rule("b", ["s3:ObjectCreated:Put"], "p/q")), "InvalidArgument")
    # Refusals leave the stored configuration alone.
    assert len(s3.get_bucket_notification_configuration(Bucket=b)["QueueConfigurations"]) == 2

    # aws cli reads it, and an empty configuration removes it.
    env = cli_env(daemon, str(tmp_path))
    out = subprocess.run(["aws", "--endpoint-url", daemon.endpoint, "s3api",
                          "get-bucket-notification-configuration", "--bucket", b],
                         env=env, check=True, capture_output=True, timeout=120)
    assert json.loads(out.stdout)["QueueConfigurations"][0]["Id"] == "images"
    subprocess.run(["aws", "--endpoint-url", daemon.endpoint, "s3api",
                    "put-bucket-notification-configuration", "--bucket", b,
                    "--notification-configuration", "{}"],
                   env=env, check=True, capture_output=True, timeout=120)
    got = s3.get_bucket_notification_configuration(Bucket=b)
    assert not any(k.endswith("Configurations") for k in got)


def test_events_with_filters(daemon, receiver):
    s3 = make_client(daemon.endpoint)
    b = new_bucket(s3)
    s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration=queue_config(
        rule("jpg-created", ["s3:ObjectCreated:*"], "images/", ".jpg"),
        rule("removed", ["s3:ObjectRemoved:*"], "images/"),
        rule("tags", ["s3:ObjectTagging:*"], "tagged/")))
    s3.put_object(Bucket=b, Key="images/a b.jpg", Body=b"hello")
    s3.put_object(Bucket=b, Key="images/skip.png", Body=b"no")    # suffix filtered
    s3.put_object(Bucket=b, Key="other/skip.jpg", Body=b"no")     # prefix filtered
    s3.copy_object(Bucket=b, Key="images/copy.jpg", CopySource={"Bucket": b, "Key": "images/a b.jpg"})
    up = s3.create_multipart_upload(Bucket=b, Key="images/mp.jpg")
    part = s3.upload_part(Bucket=b, Key="images/mp.jpg", UploadId=up["UploadId"], PartNumber=1,
                          Body=b"x" * 1024)
    s3.complete_multipart_upload(Bucket=b, Key="images/mp.jpg", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    s3.delete_object(Bucket=b, Key="images/copy.jpg")
    s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "images/skip.png"}, {"Key": "other/skip.jpg"}]})
    s3.put_object(Bucket=b, Key="tagged/t", Body=b"t")           # no created rule for it
    s3.put_object_tagging(Bucket=b, Key="tagged/t", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.delete_object_tagging(Bucket=b, Key="tagged/t")

    recs = receiver.wait_for(7)
    time.sleep(0.5)  # nothing else may arrive
    recs = receiver.records()
    got = [(r["eventName"], urllib.parse.unquote_plus(r["s3"]["object"]["key"]),
            r["s3"]["configurationId"]) for r in recs]
    assert got == [
        ("ObjectCreated:Put", "images/a b.jpg", "jpg-created"),
        ("ObjectCreated:Copy", "images/copy.jpg", "jpg-created"),
        ("ObjectCreated:CompleteMultipartUpload", "images/mp.jpg", "jpg-created"),
        ("ObjectRemoved:Delete", "images/copy.jpg", "removed"),
        ("ObjectRemoved:Delete", "images/skip.png", "removed"),
        ("ObjectTagging:Put", "tagged/t", "tags"),
        ("ObjectTagging:Delete", "tagged/t", "tags"),
    ]
    first = recs[0]
    assert first["eventVersion"] == "2.1" and first["eventSource"] == "aws:s3"
    assert first["awsRegion"] == "us-east-1"
    assert first["s3"]["object"]["key"] == "images/a+b.jpg"
    assert first["s3"]["object"]["size"] == 5
    assert first["s3"]["object"]["eTag"] == "5d41402abc4b2a76b9719d911017c592"
    assert first["s3"]["bucket"]["name"] == b and first["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{b}"
    assert first["requestParameters"]["sourceIPAddress"] == "127.0.0.1"
    assert first["userIdentity"]["principalId"] == ACCESS_KEY
    assert first["responseElements"]["x-amz-request-id"]
    assert first["s3"]["object"]["sequencer"]
    assert recs[2]["s3"]["object"]["eTag"].endswith("-1")
    assert "size" not in recs[3]["s3"]["object"]
    assert set(receiver.auth) == {"Bearer " + TOKEN}
    assert metric(daemon, "flashstor_notify_events_delivered", target=TARGET) == 7
    assert TOKEN not in daemon.read_log()


def test_delete_marker_event(daemon, receiver):
    s3 = make_client(daemon.endpoint)
    b = new_bucket(s3)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration=queue_config(
        rule("rm", ["s3:ObjectRemoved:*"])))
    v = s3.put_object(Bucket=b, Key="k", Body=b"1")["VersionId"]
    marker = s3.delete_object(Bucket=b, Key="k")["VersionId"]
    s3.delete_object(Bucket=b, Key="k", VersionId=v)
    recs = receiver.wait_for(2)
    assert [(r["eventName"], r["s3"]["object"].get("versionId")) for r in recs] == [
        ("ObjectRemoved:DeleteMarkerCreated", marker), ("ObjectRemoved:Delete", v)]


LIFECYCLE_DAY = 2  # seconds (lifecycle_day_seconds)


def test_lifecycle_expiration_events(receiver, tmp_path):
    """The lifecycle worker's removals are s3:LifecycleExpiration events, as AWS sends them:
    Delete in an unversioned bucket, DeleteMarkerCreated when a current version expires in a
    versioned one, Delete when a noncurrent version goes; principal s3.amazonaws.com."""
    srv = start_server(str(tmp_path), receiver.port,
                       extra_config={"lifecycle_day_seconds": LIFECYCLE_DAY})
    try:
        s3 = make_client(srv.endpoint)
        plain, versioned = new_bucket(s3), new_bucket(s3)
        s3.put_bucket_versioning(Bucket=versioned,
                                 VersioningConfiguration={"Status": "Enabled"})
        for b in (plain, versioned):
            s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration=queue_config(
                rule("lc", ["s3:LifecycleExpiration:*"])))
        s3.put_object(Bucket=plain, Key="tmp/a", Body=b"a")
        s3.put_object(Bucket=plain, Key="keep/b", Body=b"b")
        old = s3.put_object(Bucket=versioned, Key="tmp/v", Body=b"1")["VersionId"]
        s3.put_object(Bucket=versioned, Key="tmp/v", Body=b"2")
        s3.put_bucket_lifecycle_configuration(Bucket=plain, LifecycleConfiguration={"Rules": [
            {"ID": "x", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
             "Expiration": {"Days": 1}}]})
        s3.put_bucket_lifecycle_configuration(Bucket=versioned, LifecycleConfiguration={"Rules": [
            {"ID": "x", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
             "Expiration": {"Days": 1}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
        recs = receiver.wait_for(3, timeout=60)
        got = sorted((r["s3"]["bucket"]["name"] == versioned, r["eventName"],
                      r["s3"]["object"]["key"]) for r in recs)
        assert got[0] == (False, "LifecycleExpiration:Delete", "tmp/a")
        assert (True, "LifecycleExpiration:DeleteMarkerCreated", "tmp/v") in got
        assert (True, "LifecycleExpiration:Delete", "tmp/v") in got
        assert all(r["userIdentity"]["principalId"] == "s3.amazonaws.com" for r in recs)
        removed = [r for r in recs if r["eventName"] == "LifecycleExpiration:Delete"
                   and r["s3"]["bucket"]["name"] == versioned]
        assert any(r["s3"]["object"].get("versionId") == old for r in removed)
        marker = [r for r in recs if r["eventName"].endswith("DeleteMarkerCreated")][0]
        versions = s3.list_object_versions(Bucket=versioned)
        assert marker["s3"]["object"]["versionId"] in [
            m["VersionId"] for m in versions.get("DeleteMarkers", [])]
        assert "keep/b" not in [urllib.parse.unquote_plus(r["s3"]["object"]["key"]) for r in recs]
    finally:
        srv.cleanup()


def test_retention_and_legal_hold_events(daemon, receiver):
    """Flashstor's own event types (AWS sends none for these changes): ObjectRetention:Put and
    ObjectLegalHold:Put, with the version they changed; a refused change sends nothing."""
    s3 = make_client(daemon.endpoint)
    b = "nt-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
    s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration=queue_config(
        rule("ret", ["s3:ObjectRetention:*"]), rule("hold", ["s3:ObjectLegalHold:Put"])))
    v = s3.put_object(Bucket=b, Key="k", Body=b"1")["VersionId"]
    until = time.time() + 3600
    import datetime
    when = datetime.datetime.fromtimestamp(until, datetime.timezone.utc)
    s3.put_object_retention(Bucket=b, Key="k", VersionId=v,
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": when})
    with pytest.raises(ClientError):  # COMPLIANCE is never shortened: no event for it
        s3.put_object_retention(Bucket=b, Key="k", VersionId=v, Retention={
            "Mode": "COMPLIANCE", "RetainUntilDate": when - datetime.timedelta(minutes=5)})
    s3.put_object_legal_hold(Bucket=b, Key="k", LegalHold={"Status": "ON"})
    recs = receiver.wait_for(2)
    time.sleep(0.5)
    recs = receiver.records()
    assert [(r["eventName"], r["s3"]["configurationId"], r["s3"]["object"].get("versionId"))
            for r in recs] == [("ObjectRetention:Put", "ret", v), ("ObjectLegalHold:Put", "hold", v)]


def test_post_object_event(daemon, receiver):
    s3 = make_client(daemon.endpoint)
    b = new_bucket(s3)
    s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration=queue_config(
        rule("post", ["s3:ObjectCreated:Post"])))
    form = s3.generate_presigned_post(b, "form/${filename}", ExpiresIn=300)
    import requests
    r = requests.post(form["url"], data=form["fields"], files={"file": ("f.txt", b"posted")},
                      timeout=30)
    assert r.status_code == 204, r.text
    s3.put_object(Bucket=b, Key="form/put", Body=b"not a post")
    recs = receiver.wait_for(1)
    time.sleep(0.5)
    recs = receiver.records()
    assert [(r["eventName"], r["s3"]["object"]["key"], r["s3"]["object"]["size"])
            for r in recs] == [("ObjectCreated:Post", "form/f.txt", 6)]


def test_unknown_event_names_refused(daemon):
    s3 = make_client(daemon.endpoint)
    b = new_bucket(s3)
    for bad in ["s3:ObjectRetention:Delete", "s3:LifecycleExpiration:Put", "s3:Nothing:*"]:
        with pytest.raises(ClientError) as e:
            s3.put_bucket_notification_configuration(
                Bucket=b, NotificationConfiguration=queue_config(rule("r", [bad])))
        assert e.value.response["Error"]["Code"] == "InvalidArgument"


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_receiver_down_then_restart(tmp_path, how):
    """Events queued while the webhook is down survive a daemon restart and arrive after it."""
    port = free_port()
    srv = start_server(str(tmp_path), port)
    try:
        s3 = make_client(srv.endpoint)
        b = new_bucket(s3)
        s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration=queue_config(
            rule("all", ["s3:ObjectCreated:*"])))
        for i in range(3):
            s3.put_object(Bucket=b, Key=f"k{i}", Body=b"x")
        time.sleep(1)
        assert metric(srv, "flashstor_notify_queue_length", target=TARGET) == 3
        assert metric(srv, "flashstor_notify_failed_attempts", target=TARGET) >= 1
        t0 = time.time()
        if how == "sigterm":
            srv.stop()
            assert time.time() - t0 < 10  # the delivery worker stops promptly
        else:
            srv.kill()
        srv.start()
        assert metric(srv, "flashstor_notify_queue_length", target=TARGET) == 3
        receiver = Receiver(port=port)
        try:
            recs = receiver.wait_for(3, timeout=60)
            assert [r["s3"]["object"]["key"] for r in recs] == ["k0", "k1", "k2"]
            deadline = time.time() + 10
            while metric(srv, "flashstor_notify_queue_length", target=TARGET) != 0:
                assert time.time() < deadline
                time.sleep(0.1)
        finally:
            receiver.close()
    finally:
        srv.cleanup()


def test_receiver_errors_are_retried(tmp_path):
    receiver = Receiver(status=503)
    srv = start_server(str(tmp_path), receiver.port)
    try:
        s3 = make_client(srv.endpoint)
        b = new_bucket(s3)
        s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration=queue_config(
            rule("all", ["s3:ObjectCreated:*"])))
        s3.put_object(Bucket=b, Key="k", Body=b"x")
        time.sleep(1.5)
        assert receiver.records() == []
        assert metric(srv, "flashstor_notify_failed_attempts", target=TARGET) >= 2
        with receiver.lock:
            receiver.status = 200
        assert receiver.wait_for(1, timeout=40)[0]["s3"]["object"]["key"] == "k"
    finally:
        srv.cleanup()
        receiver.close()


def test_queue_bound_drops_and_counts(tmp_path):
    """A full queue drops new events (counted); the requests themselves still succeed."""
    port = free_port()
    srv = start_server(str(tmp_path), port, queue_limit=2)
    try:
        s3 = make_client(srv.endpoint)
        b = new_bucket(s3)
        s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration=queue_config(
            rule("all", ["s3:ObjectCreated:*"])))
        for i in range(5):
            s3.put_object(Bucket=b, Key=f"k{i}", Body=b"x")  # all answer 200
        assert metric(srv, "flashstor_notify_queue_length", target=TARGET) == 2
        assert metric(srv, "flashstor_notify_events_dropped", target=TARGET, reason="queue_full") == 3
        receiver = Receiver(port=port)
        try:
            recs = receiver.wait_for(2, timeout=60)
            time.sleep(0.5)
            assert [r["s3"]["object"]["key"] for r in receiver.records()] == ["k0", "k1"]
        finally:
            receiver.close()
    finally:
        srv.cleanup()
