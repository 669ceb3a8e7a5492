#!/usr/bin/env python3
"""ci/bench.sh helper: a SigV4-signed scrape of /metrics (credentials from AWS_* in the
environment), shared by the other bench helpers. Usage: metrics_scrape.py URL NAME prints the
sum of NAME's series (0 when absent)."""
import sys
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


def signed_metrics(url):
    """The /metrics text, scraped with a SigV4-signed GET (service s3)."""
    request = AWSRequest(method="GET", url=url + "/metrics")
    SigV4Auth(boto3.session.Session().get_credentials(), "s3", "us-east-1").add_auth(request)
    get = urllib.request.Request(url + "/metrics", headers=dict(request.headers.items()))
    return urllib.request.urlopen(get, timeout=10).read().decode()


def series_sum(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


if __name__ == "__main__":
    print(int(series_sum(signed_metrics(sys.argv[1]), sys.argv[2])))
