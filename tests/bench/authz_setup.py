#!/usr/bin/env python3
"""ci/bench.sh helper for the authorisation point: signed as root (AWS_* in the environment),
`user URL` creates the IAM user benchuser allowed s3:* on the bench bucket and prints its
access key id and secret (one line, for the loadgen's environment; never logged); `policy URL`
puts a 20-statement bucket policy on bench; `clear URL` deletes it; `cache URL` prints the
authorisation cache's hit and miss counters from /metrics (a signed scrape) as JSON."""
import json
import sys

import boto3
from botocore.config import Config

from metrics_scrape import series_sum, signed_metrics


def client(service, url):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}))


def bucket_policy():
    statements = [{
        "Sid": f"Team{i}", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::000000000000:user/team{i}"},
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": f"arn:aws:s3:::bench/team{i}/*",
    } for i in range(19)]
    statements.append({
        "Sid": "DenyInsecureDeletes", "Effect": "Deny", "Principal": "*",
        "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::bench/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    })
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def cache_counters(url):
    """{"hits": N, "misses": N} from a SigV4-signed GET /metrics (service s3)."""
    text = signed_metrics(url)
    return {"hits": int(series_sum(text, "flashstor_authz_cache_hits_total")),
            "misses": int(series_sum(text, "flashstor_authz_cache_misses_total"))}


def main():
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "user":
        iam = client("iam", url)
        iam.create_user(UserName="benchuser")
        iam.put_user_policy(UserName="benchuser", PolicyName="bench", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*",
                           "Resource": ["arn:aws:s3:::bench", "arn:aws:s3:::bench/*"]}]}))
        key = iam.create_access_key(UserName="benchuser")["AccessKey"]
        print(key["AccessKeyId"], key["SecretAccessKey"])
    elif mode == "policy":
        client("s3", url).put_bucket_policy(Bucket="bench", Policy=bucket_policy())
    elif mode == "clear":
        client("s3", url).delete_bucket_policy(Bucket="bench")
    elif mode == "cache":
        print(json.dumps(cache_counters(url)))
    else:
        sys.exit("usage: authz_setup.py user|policy|clear|cache URL")


if __name__ == "__main__":
    main()
