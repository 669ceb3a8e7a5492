"""IAM roles through boto3's iam client and the aws cli: CreateRole (trust policy validated,
Path, MaxSessionDuration bounds), GetRole, ListRoles, UpdateAssumeRolePolicy, inline and
attached role policies, DeleteRole refused while policies remain; kept across a restart."""
import json
import subprocess
import urllib.parse

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY, Server, cli_env
from test_iam import code_of, iam_client, unique

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
    "Action": "sts:AssumeRole"}]})
READ = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


def doc_of(value):
    # boto3 decodes the URL-encoded document into a dict
    return value if isinstance(value, dict) else json.loads(urllib.parse.unquote(value))


def test_role_lifecycle(server):
    iam = iam_client(server.endpoint)
    name = unique("r")
    role = iam.create_role(RoleName=name, Path="/svc/", AssumeRolePolicyDocument=TRUST,
                           Description="reader", MaxSessionDuration=7200)["Role"]
    assert role["Arn"] == f"arn:aws:iam::000000000000:role/svc/{name}"
    assert role["RoleId"].startswith("AROA")
    assert role["MaxSessionDuration"] == 7200
    assert doc_of(role["AssumeRolePolicyDocument"]) == json.loads(TRUST)
    got = iam.get_role(RoleName=name)["Role"]
    assert got["RoleId"] == role["RoleId"] and got["Description"] == "reader"
    assert name in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert name in [r["RoleName"] for r in iam.list_roles(PathPrefix="/svc/")["Roles"]]
    assert name not in [r["RoleName"] for r in iam.list_roles(PathPrefix="/other/")["Roles"]]
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=name.upper(), AssumeRolePolicyDocument=TRUST)
    assert code_of(e) == ("EntityAlreadyExists", 409)

    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=READ)
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["read"]
    assert doc_of(iam.get_role_policy(RoleName=name, PolicyName="read")["PolicyDocument"]) == \
        json.loads(READ)
    arn = iam.create_policy(PolicyName=unique("p"), PolicyDocument=READ)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)[
        "AttachedPolicies"]] == [arn]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=name)
    assert code_of(e) == ("DeleteConflict", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert code_of(e) == ("DeleteConflict", 409)
    iam.detach_role_policy(RoleName=name, PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=name)
    assert code_of(e) == ("DeleteConflict", 409)  # the inline policy remains
    iam.delete_role_policy(RoleName=name, PolicyName="read")
    with pytest.raises(ClientError) as e:
        iam.get_role_policy(RoleName=name, PolicyName="read")
    assert code_of(e) == ("NoSuchEntity", 404)

    trust2 = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:user/bob"},
        "Action": "sts:AssumeRole"}]})
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust2)
    assert doc_of(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]) == \
        json.loads(trust2)
    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=name)
    assert code_of(e) == ("NoSuchEntity", 404)


@pytest.mark.parametrize("doc", [
    # no Principal
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]},
    # a Resource in a trust policy
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                             "Principal": {"AWS": "000000000000"},
                                             "Resource": "*"}]},
    # an unknown principal type
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                             "Principal": {"Galaxy": "x"}}]},
    "not json",
])
def test_create_role_refuses_bad_trust_policies(server, doc):
    iam = iam_client(server.endpoint)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=unique("r"),
                        AssumeRolePolicyDocument=doc if isinstance(doc, str) else json.dumps(doc))
    assert code_of(e) == ("MalformedPolicyDocument", 400)


@pytest.mark.parametrize("seconds", [3599, 43201])
def test_max_session_duration_bounds(server, seconds):
    # botocore would refuse 3599 itself: the server's check is what is tested.
    iam = boto3.client("iam", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                       config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=TRUST,
                        MaxSessionDuration=seconds)
    assert code_of(e) == ("ValidationError", 400)


def test_missing_role_and_default_duration(server):
    iam = iam_client(server.endpoint)
    for call in (lambda: iam.get_role(RoleName="nope"),
                 lambda: iam.delete_role(RoleName="nope"),
                 lambda: iam.list_role_policies(RoleName="nope"),
                 lambda: iam.put_role_policy(RoleName="nope", PolicyName="p",
                                             PolicyDocument=READ)):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e) == ("NoSuchEntity", 404)
    name = unique("r")
    assert iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"][
        "MaxSessionDuration"] == 3600


def test_roles_with_the_aws_cli_and_across_restart(tmp_path):
    srv = Server(drives=4).start()
    try:
        out = subprocess.run(["aws", "--endpoint-url", srv.endpoint, "iam", "create-role",
                              "--role-name", "clirole", "--assume-role-policy-document", TRUST],
                             env=cli_env(srv, str(tmp_path)), check=True, capture_output=True,
                             text=True).stdout
        assert json.loads(out)["Role"]["RoleName"] == "clirole"
        srv.stop()
        srv2 = Server(drives=4, drive_root=srv.root).start()
        try:
            got = iam_client(srv2.endpoint).get_role(RoleName="clirole")["Role"]
            assert got["Arn"] == "arn:aws:iam::000000000000:role/clirole"
            assert doc_of(got["AssumeRolePolicyDocument"]) == json.loads(TRUST)
        finally:
            srv2.stop()
    finally:
        srv.cleanup()
