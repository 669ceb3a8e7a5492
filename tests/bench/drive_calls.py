#!/usr/bin/env python3
"""ci/bench.sh helper: drive calls per drive for one PUT, one GET and one DELETE of an object, from the
flashstor_drive_calls counters of a signed /metrics scrape before and after each request
(credentials from AWS_* in the environment). Usage: drive_calls.py URL BUCKET SIZE [ROUNDS].
Prints JSON: {"put": {"per_drive": N, "by_call": {...}}, "get": {...}, "delete": {...}}. Background work
(a scanner pass, heal) in a window is counted too, so each operation is measured ROUNDS times (5)
on keys of its own and the round with the fewest calls is reported."""
import json
import os
import sys

import boto3
from botocore.config import Config

from metrics_scrape import signed_metrics


def scrape(url):
    """{(drive, call): count} from flashstor_drive_calls."""
    out = {}
    for line in signed_metrics(url).splitlines():
        if not line.startswith("flashstor_drive_calls{"):
            continue
        labels, value = line[len("flashstor_drive_calls{"):].rsplit("} ", 1)
        fields = dict(part.split("=", 1) for part in labels.split('",'))
        drive = fields["drive"].strip('"')
        call = fields["call"].strip('"')
        out[(drive, call)] = float(value)
    return out


def delta(before, after):
    drives = {d for d, _ in after}
    by_call = {}
    for (d, c), v in after.items():
        n = v - before.get((d, c), 0)
        if n:
            by_call[c] = by_call.get(c, 0) + n
    total = sum(by_call.values())
    per = len(drives) or 1
    return {"per_drive": round(total / per, 2),
            "by_call": {c: round(n / per, 2) for c, n in sorted(by_call.items())}}


def least(deltas):
    """The delta with the fewest calls: a request's own calls are the same every time, and
    work the server does in the background (a scanner pass, a heal, reads after an idle trim
    emptied the metadata cache) only adds to a window."""
    return min(deltas, key=lambda d: d["per_drive"])


def main():
    url, bucket, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                      config=Config(retries={"max_attempts": 1}))
    body = os.urandom(size)
    out = {"put": [], "get": [], "delete": []}
    for r in range(rounds):
        key = f"drive-calls-{size}-{r}"
        s3.put_object(Bucket=bucket, Key=key, Body=body)  # warms the key's directories
        s0 = scrape(url)
        s3.put_object(Bucket=bucket, Key=key, Body=body)  # an overwrite
        s1 = scrape(url)
        got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s2 = scrape(url)
        if got != body:
            sys.exit("the GET did not return the PUT's bytes")
        s3.delete_object(Bucket=bucket, Key=key)
        s3_after = scrape(url)
        out["put"].append(delta(s0, s1))
        out["get"].append(delta(s1, s2))
        out["delete"].append(delta(s2, s3_after))
    print(json.dumps({op: least(deltas) for op, deltas in out.items()}))


if __name__ == "__main__":
    main()
