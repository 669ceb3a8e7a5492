"""The AWS IAM API on the S3 endpoint with boto3's iam client and the aws cli: users, access
keys, inline and managed policies, groups; their S3 rights enforced (allow, deny over allow,
default deny), inactive keys refused, identities kept across a restart with sealed secrets."""
import json
import os
import subprocess
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY, Server, cli_env, make_client


def iam_client(endpoint, key=ACCESS_KEY, secret=SECRET_KEY):
    return boto3.client("iam", endpoint_url=endpoint, aws_access_key_id=key,
                        aws_secret_access_key=secret, region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def s3_as(endpoint, key, secret):
    cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                 retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key,
                        aws_secret_access_key=secret, region_name="us-east-1", config=cfg)


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def unique(prefix):
    return prefix + uuid.uuid4().hex[:10]


def bucket_policy_doc(bucket):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]})


def new_user(iam, name=None):
    name = name or unique("u")
    user = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, user, key


def wait_key_works(fn, tries=20):
    # Changes are visible at once; the retry only covers nothing and fails loudly if slow.
    last = None
    for _ in range(tries):
        try:
            return fn()
        except ClientError as e:
            last = e
            time.sleep(0.05)
    raise last


@pytest.fixture(scope="module")
def iam(server):
    return iam_client(server.endpoint)


def test_user_limited_to_one_bucket(server, s3, iam):
    allowed, other = unique("iam-a-"), unique("iam-b-")
    s3.create_bucket(Bucket=allowed)
    s3.create_bucket(Bucket=other)
    s3.put_object(Bucket=other, Key="x", Body=b"other")
    name, user, key = new_user(iam)
    assert user["UserName"] == name
    assert user["Arn"] == f"arn:aws:iam::000000000000:user/{name}"
    assert user["UserId"].startswith("AIDA")
    policy = iam.create_policy(PolicyName=unique("p"), PolicyDocument=bucket_policy_doc(allowed))["Policy"]
    iam.attach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    client = s3_as(server.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    client.put_object(Bucket=allowed, Key="k", Body=b"mine")
    assert client.get_object(Bucket=allowed, Key="k")["Body"].read() == b"mine"
    assert [o["Key"] for o in client.list_objects_v2(Bucket=allowed)["Contents"]] == ["k"]
    for call in (lambda: client.get_object(Bucket=other, Key="x"),
                 lambda: client.put_object(Bucket=other, Key="y", Body=b""),
                 lambda: client.list_objects_v2(Bucket=other),
                 lambda: client.list_buckets(),
                 lambda: client.create_bucket(Bucket=unique("iam-c-"))):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e) == ("AccessDenied", 403)
    # Detaching takes the rights away at once.
    iam.detach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    with pytest.raises(ClientError) as e:
        client.get_object(Bucket=allowed, Key="k")
    assert code_of(e) == ("AccessDenied", 403)
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert attached == []


def test_explicit_deny_overrides_allow(server, s3, iam, bucket):
    s3.put_object(Bucket=bucket, Key="open/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="secret/b", Body=b"b")
    name, _, key = new_user(iam)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=bucket_policy_doc(bucket))
    iam.put_user_policy(UserName=name, PolicyName="deny-secret", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject",
                                                "Resource": f"arn:aws:s3:::{bucket}/secret/*"}]}))
    client = s3_as(server.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    assert client.get_object(Bucket=bucket, Key="open/a")["Body"].read() == b"a"
    with pytest.raises(ClientError) as e:
        client.get_object(Bucket=bucket, Key="secret/b")
    assert code_of(e) == ("AccessDenied", 403)
    assert sorted(iam.list_user_policies(UserName=name)["PolicyNames"]) == ["all", "deny-secret"]
    doc = iam.get_user_policy(UserName=name, PolicyName="deny-secret")["PolicyDocument"]
    assert doc["Statement"][0]["Effect"] == "Deny"


def test_policy_variables_home_prefix(server, s3, iam, bucket):
    name, _, key = new_user(iam)
    iam.put_user_policy(UserName=name, PolicyName="home", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:aws:s3:::{bucket}/home/${{aws:username}}/*"}]}))
    client = s3_as(server.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    client.put_object(Bucket=bucket, Key=f"home/{name}/f", Body=b"1")
    with pytest.raises(ClientError) as e:
        client.put_object(Bucket=bucket, Key="home/someone-else/f", Body=b"1")
    assert code_of(e) == ("AccessDenied", 403)


def test_inactive_key_refused(server, iam, bucket):
    name, _, key = new_user(iam)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=bucket_policy_doc(bucket))
    client = s3_as(server.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    client.list_objects_v2(Bucket=bucket)
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(key["AccessKeyId"], "Inactive")]
    with pytest.raises(ClientError) as e:
        client.list_objects_v2(Bucket=bucket)
    assert code_of(e) == ("InvalidAccessKeyId", 403)
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Active")
    client.list_objects_v2(Bucket=bucket)
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as e:
        client.list_objects_v2(Bucket=bucket)
    assert code_of(e) == ("InvalidAccessKeyId", 403)


def test_group_policies(server, iam, bucket):
    name, _, key = new_user(iam)
    group = unique("g")
    assert iam.create_group(GroupName=group)["Group"]["GroupName"] == group
    iam.put_group_policy(GroupName=group, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                                                "Resource": f"arn:aws:s3:::{bucket}"}]}))
    client = s3_as(server.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        client.list_objects_v2(Bucket=bucket)
    assert code_of(e) == ("AccessDenied", 403)
    iam.add_user_to_group(GroupName=group, UserName=name)
    client.list_objects_v2(Bucket=bucket)
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]] == [group]
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [name]
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName=group)
    assert code_of(e) == ("DeleteConflict", 409)
    iam.remove_user_from_group(GroupName=group, UserName=name)
    with pytest.raises(ClientError) as e:
        client.list_objects_v2(Bucket=bucket)
    assert code_of(e) == ("AccessDenied", 403)
    iam.delete_group_policy(GroupName=group, PolicyName="read")
    iam.delete_group(GroupName=group)


def test_iam_errors(server, iam):
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=unique("missing"))
    assert code_of(e) == ("NoSuchEntity", 404)
    name, _, key = new_user(iam)
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=name)
    assert code_of(e) == ("EntityAlreadyExists", 409)
    iam.create_access_key(UserName=name)
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName=name)
    assert code_of(e) == ("LimitExceeded", 409)
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName=name, PolicyName="bad",
                            PolicyDocument='{"Version":"2012-10-17","Statement":{"Effect":"Maybe","Action":"s3:*","Resource":"*"}}')
    assert code_of(e) == ("MalformedPolicyDocument", 400)
    assert "Effect" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=unique("big"), PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                    "Resource": "arn:aws:s3:::" + "x" * 7000}]}))
    assert code_of(e) == ("LimitExceeded", 409)
    with pytest.raises(ClientError) as e:
        iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Sleeping")
    assert code_of(e) == ("ValidationError", 400)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=name)
    assert code_of(e) == ("DeleteConflict", 409)
    # A user without iam rights may not call the IAM API.
    user_iam = iam_client(server.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        user_iam.list_users()
    assert code_of(e) == ("AccessDenied", 403)
    # ... until a policy allows iam actions.
    iam.put_user_policy(UserName=name, PolicyName="iam-read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:List*", "iam:GetUser"], "Resource": "*"}]}))
    assert name in [u["UserName"] for u in user_iam.list_users()["Users"]]
    assert user_iam.get_user()["User"]["UserName"] == name
    with pytest.raises(ClientError) as e:
        user_iam.create_user(UserName=unique("x"))
    assert code_of(e) == ("AccessDenied", 403)


def test_managed_policy_lifecycle(iam):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    name = unique("mp")
    p = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(doc), Description="d")["Policy"]
    assert p["Arn"] == f"arn:aws:iam::000000000000:policy/{name}"
    assert p["DefaultVersionId"] == "v1"
    assert iam.get_policy(PolicyArn=p["Arn"])["Policy"]["PolicyName"] == name
    v = iam.get_policy_version(PolicyArn=p["Arn"], VersionId="v1")["PolicyVersion"]
    assert v["Document"] == doc
    assert name in [x["PolicyName"] for x in iam.list_policies(Scope="Local")["Policies"]]
    assert iam.list_policies(Scope="AWS")["Policies"] == []
    user, _, _ = new_user(iam)
    iam.attach_user_policy(UserName=user, PolicyArn=p["Arn"])
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=p["Arn"])
    assert code_of(e) == ("DeleteConflict", 409)
    iam.detach_user_policy(UserName=user, PolicyArn=p["Arn"])
    iam.delete_policy(PolicyArn=p["Arn"])
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=p["Arn"])
    assert code_of(e) == ("NoSuchEntity", 404)


def test_aws_cli_create_user(server, tmp_path):
    env = cli_env(server, str(tmp_path))
    name = unique("cli")
    out = subprocess.run(["aws", "iam", "create-user", "--user-name", name, "--endpoint-url",
                          server.endpoint, "--output", "json"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["User"]["UserName"] == name
    out = subprocess.run(["aws", "iam", "create-access-key", "--user-name", name,
                          "--endpoint-url", server.endpoint, "--output", "json"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["AccessKey"]["AccessKeyId"].startswith("AKIA")
    out = subprocess.run(["aws", "iam", "get-user", "--user-name", unique("nobody"),
                          "--endpoint-url", server.endpoint], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode != 0 and "NoSuchEntity" in out.stderr


def test_identities_survive_restart_sealed(tmp_path):
    srv = Server(drives=4).start()
    try:
        iam = iam_client(srv.endpoint)
        name, _, key = new_user(iam)
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="kept")
        iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=bucket_policy_doc("kept"))
        srv.stop()
        # The secret is never stored in clear.
        for d in srv.drives:
            for root, _, files in os.walk(d):
                for f in files:
                    with open(os.path.join(root, f), "rb") as fh:
                        assert key["SecretAccessKey"].encode() not in fh.read()
        srv2 = Server(drives=4, drive_root=srv.root).start()
        try:
            client = s3_as(srv2.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
            client.list_objects_v2(Bucket="kept")
            assert iam_client(srv2.endpoint).get_user(UserName=name)["User"]["UserName"] == name
        finally:
            srv2.stop()
    finally:
        srv.cleanup()
