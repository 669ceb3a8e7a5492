#!/usr/bin/env python3
"""Start-up probe: exec to the first 200 on a GET of an existing 4 KiB object, by phase.

The same measurement as the "Start-up" section of ci/bench.sh, without the rest of the bench:
4 drive folders (under /var/tmp by default), one object written once, then N starts. The
client is this already-running process (no client exec inside the timed span): it notes the
clock just before spawning the daemon and retries a presigned GET until it answers 200.
Per phase, the daemon's own "start-up phase" debug lines give the durations.

  startup_probe.py BINARY [BINARY...] [--runs 7] [--root /var/tmp/fs-startup] [--keep] [--nginx]

With several binaries (variants of one build), the runs alternate between them, so that a
machine whose load changes during the probe weighs on every variant alike. --nginx adds
nginx (if installed) to the alternation as the reference: started the same way, serving the
same bytes at the same path from a folder, with no authentication, erasure or drives.
"""
import argparse
import contextlib
import http.client
import os
import shutil
import signal
import statistics
import sys
import time
import urllib.parse

import boto3
from botocore.config import Config

USER, SECRET = "startupprobe", "startup-probe-secret-key"
PHASES = ["exec", "process", "config", "listeners", "privileges", "drives", "engine", "serving",
          "first-request"]


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@contextlib.contextmanager
def spawned(exe, args, env, log, stop=signal.SIGTERM):
    """exe run with args and env, stdout to /dev/null and stderr to log; stopped with `stop`
    on leaving. posix_spawn (vfork and exec): a fork of this Python process, boto3 loaded,
    would copy its page tables and take copy-on-write faults in the child, inside the timed
    span."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        pid = os.posix_spawn(exe, args, env, file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, log.fileno(), 2)])
    finally:
        os.close(devnull)
    try:
        yield pid
    finally:
        os.kill(pid, stop)
        os.waitpid(pid, 0)


def daemon(binary, root, port, env, log):
    """The daemon on the 4 drives under root, its log to log; stopped (SIGTERM) on leaving."""
    drives = [os.path.join(root, f"disk{i}") for i in range(1, 5)]
    args = [binary, "server", "--address", f"127.0.0.1:{port}", "--sse-master-key-file",
            os.path.join(root, "sse.key"), "--log-level", "debug", *drives]
    return spawned(binary, args, env, log)


NGINX_CONF = """worker_processes 2;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{ access_log off; client_body_temp_path {root}/nginx-tmp;
  server {{ listen 127.0.0.1:{port}; root {root}/www; }} }}
"""


def nginx_exe():
    """nginx's path, or None when it is not installed."""
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    return exe if os.path.exists(exe) else None


def nginx(root, log):
    """nginx serving root/www as root/nginx.conf (written beforehand) says, its stderr to log;
    stopped (SIGQUIT) on leaving."""
    exe = nginx_exe()
    args = [exe, "-p", root, "-c", os.path.join(root, "nginx.conf"), "-g", "daemon off;"]
    return spawned(exe, args, os.environ, log, signal.SIGQUIT)


def poll(port, path, deadline, accept, pause):
    """GETs path until accept(status, body) holds, pausing between tries; returns the time
    (ns) of that answer, or None at the deadline."""
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            c.close()
            if accept(r.status, body):
                return time.time_ns()
        except OSError:
            pass
        time.sleep(pause)
    return None


def first_200(port, path, deadline):
    """The 4 KiB object's first 200, retried every 0.5 ms."""
    return poll(port, path, deadline, lambda status, body: status == 200 and len(body) == 4096,
                0.0005)


def first_answer(port, deadline):
    """The daemon's first answer of any status (the unauthenticated health endpoint)."""
    return poll(port, "/health/live", deadline, lambda status, body: True, 0.01)


def fields(line):
    out = {}
    for tok in line.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            out[k] = v
    return out


def phases_of(log_path, t0_ns):
    got = {}
    with open(log_path, errors="replace") as f:
        for line in f:
            if "start-up clock" in line:
                got["exec"] = (int(fields(line)["START_REALTIME_NS"]) - t0_ns) // 1000
            elif "start-up phase" in line:
                fl = fields(line)
                got[fl["PHASE"]] = int(fl["DURATION_US"])
                for key, suffix in (("CPU_US", "_cpu"), ("FAULTS", "_faults")):
                    if key in fl:
                        got[fl["PHASE"] + suffix] = int(fl[key])
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--root", default="/var/tmp/fs-startup")
    ap.add_argument("--keep", action="store_true", help="keep the drive folders and logs")
    ap.add_argument("--nginx", action="store_true", help="nginx too, as the reference")
    o = ap.parse_args()
    binaries = [os.path.abspath(b) for b in o.binaries]
    shutil.rmtree(o.root, ignore_errors=True)
    os.makedirs(o.root)
    for i in range(1, 5):
        os.makedirs(os.path.join(o.root, f"disk{i}"))
    with open(os.path.join(o.root, "sse.key"), "w") as f:
        f.write(os.urandom(32).hex())
    os.chmod(os.path.join(o.root, "sse.key"), 0o600)
    env = dict(os.environ, FLASHSTOR_ROOT_USER=USER, FLASHSTOR_ROOT_PASSWORD=SECRET)
    if os.geteuid() == 0:
        env.update(FLASHSTORE_RUN_USER="nobody", FLASHSTORE_RUN_GROUP="nogroup")
        for dirpath, _, _ in os.walk(o.root):
            os.chown(dirpath, 65534, 65534)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id=USER, aws_secret_access_key=SECRET,
                      region_name="us-east-1",
                      config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    # Prepare: one bucket, one 4 KiB object.
    with open(os.path.join(o.root, "prepare.log"), "ab") as log, \
            daemon(binaries[0], o.root, port, env, log):
        if first_answer(port, time.monotonic() + 20) is None:
            sys.exit("the daemon did not start: see " + log.name)
        s3.create_bucket(Bucket="probe")
        s3.put_object(Bucket="probe", Key="4k", Body=os.urandom(4096))
    if o.nginx:
        if nginx_exe() is None:
            sys.exit("--nginx: nginx is not installed")
        os.makedirs(os.path.join(o.root, "www", "probe"))
        with open(os.path.join(o.root, "www", "probe", "4k"), "wb") as f:
            f.write(os.urandom(4096))
        with open(os.path.join(o.root, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(root=o.root, port=port))
        os.makedirs(os.path.join(o.root, "nginx-tmp"))
        if os.geteuid() == 0:  # nginx's workers run as nobody
            for dirpath, _, _ in os.walk(o.root):
                os.chown(dirpath, 65534, 65534)
        binaries.append("nginx")
    presigned = s3.generate_presigned_url("get_object", Params={"Bucket": "probe", "Key": "4k"},
                                          ExpiresIn=3600)
    path = urllib.parse.urlsplit(presigned)
    path = path.path + "?" + path.query
    totals = {b: [] for b in binaries}
    per_phase = {b: {} for b in binaries}
    for i in range(o.runs):
        for n, binary in enumerate(binaries):
            log_path = os.path.join(o.root, f"startup-{n}-{i}.log")
            with open(log_path, "wb") as log:
                server = (nginx(o.root, log) if binary == "nginx" else
                          daemon(binary, o.root, port, env, log))
                t0 = time.time_ns()
                with server:
                    t1 = first_200(port, path, time.monotonic() + 30)
            if t1 is None:
                sys.exit("no 200 within 30 s: see " + log_path)
            totals[binary].append((t1 - t0) // 1000)
            for k, v in phases_of(log_path, t0).items():
                per_phase[binary].setdefault(k, []).append(v)
            time.sleep(0.2)
    for binary in binaries:
        t = totals[binary]
        print(f"{binary}: {o.runs} runs, medians (us); exec->first 200: "
              f"{statistics.median(t):.0f} (min {min(t)}, max {max(t)})")
        for ph in PHASES:
            got = per_phase[binary]
            if ph not in got:
                continue
            line = f"  {ph:14s} {statistics.median(got[ph]):8.0f}"
            if ph + "_cpu" in got:
                line += f"   cpu {statistics.median(got[ph + '_cpu']):8.0f}"
            if ph + "_faults" in got:
                line += f"   faults {statistics.median(got[ph + '_faults']):6.0f}"
            print(line)
    if not o.keep:
        shutil.rmtree(o.root, ignore_errors=True)


if __name__ == "__main__":
    main()
