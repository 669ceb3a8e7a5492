"""The policies of users, groups and roles through one implementation, checked the same way for
each kind with boto3's iam client: Put/Get/List/Delete of inline policies (the document
returned as stored, the kind's size limit, NoSuchEntity for a missing owner or policy) and
Attach/ListAttached/Detach of managed policies (idempotent attach, 10 at most)."""
import json

import pytest
from botocore.exceptions import ClientError

from test_iam import code_of, iam_client, unique

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                               "Resource": "arn:aws:s3:::b/*"}]}
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": "sts:AssumeRole"}]})

# kind: (name parameter, create call, inline limit in characters, quota name)
KINDS = {
    "User": ("UserName", lambda iam, n: iam.create_user(UserName=n), 2048, "PoliciesPerUser"),
    "Group": ("GroupName", lambda iam, n: iam.create_group(GroupName=n), 5120, "PoliciesPerGroup"),
    "Role": ("RoleName", lambda iam, n: iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST),
             10240, "PoliciesPerRole"),
}


@pytest.fixture(scope="module")
def iam(server):
    return iam_client(server.endpoint)


def call(iam, action, kind, **kw):
    # put_user_policy, get_group_policy, list_attached_role_policies, ...
    return getattr(iam, action.format(kind=kind.lower()))(**kw)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_inline_policies(iam, kind):
    param, create, limit, _ = KINDS[kind]
    name = unique(kind.lower())
    create(iam, name)
    who = {param: name}
    call(iam, "put_{kind}_policy", kind, PolicyName="p1", PolicyDocument=json.dumps(DOC), **who)
    got = call(iam, "get_{kind}_policy", kind, PolicyName="p1", **who)
    assert got[param] == name and got["PolicyName"] == "p1" and got["PolicyDocument"] == DOC
    assert call(iam, "list_{kind}_policies", kind, **who)["PolicyNames"] == ["p1"]
    # The kind's limit counts every inline document (whitespace excluded).
    big = dict(DOC, Statement=[dict(DOC["Statement"][0], Resource="arn:aws:s3:::" + "x" * limit)])
    with pytest.raises(ClientError) as e:
        call(iam, "put_{kind}_policy", kind, PolicyName="p2", PolicyDocument=json.dumps(big), **who)
    assert code_of(e) == ("LimitExceeded", 409)
    with pytest.raises(ClientError) as e:
        call(iam, "put_{kind}_policy", kind, PolicyName="p2", PolicyDocument="{}", **who)
    assert code_of(e) == ("MalformedPolicyDocument", 400)
    call(iam, "delete_{kind}_policy", kind, PolicyName="p1", **who)
    assert call(iam, "list_{kind}_policies", kind, **who)["PolicyNames"] == []
    for action in ("get_{kind}_policy", "delete_{kind}_policy"):
        with pytest.raises(ClientError) as e:
            call(iam, action, kind, PolicyName="p1", **who)
        assert code_of(e) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        call(iam, "list_{kind}_policies", kind, **{param: unique("missing")})
    assert code_of(e) == ("NoSuchEntity", 404)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_attached_policies(iam, kind):
    param, create, _, quota = KINDS[kind]
    name = unique(kind.lower())
    create(iam, name)
    who = {param: name}
    arns = [iam.create_policy(PolicyName=unique("mp"), PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
            for _ in range(11)]
    call(iam, "attach_{kind}_policy", kind, PolicyArn=arns[0], **who)
    call(iam, "attach_{kind}_policy", kind, PolicyArn=arns[0], **who)  # twice: a no-op
    listed = call(iam, "list_attached_{kind}_policies", kind, **who)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in listed] == [arns[0]]
    for arn in arns[1:10]:
        call(iam, "attach_{kind}_policy", kind, PolicyArn=arn, **who)
    with pytest.raises(ClientError) as e:
        call(iam, "attach_{kind}_policy", kind, PolicyArn=arns[10], **who)
    assert code_of(e) == ("LimitExceeded", 409)
    assert quota in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        call(iam, "attach_{kind}_policy", kind,
             PolicyArn="arn:aws:iam::000000000000:policy/" + unique("none"), **{param: unique("x")})
    assert code_of(e) == ("NoSuchEntity", 404)
    for arn in arns[:10]:
        call(iam, "detach_{kind}_policy", kind, PolicyArn=arn, **who)
    assert call(iam, "list_attached_{kind}_policies", kind, **who)["AttachedPolicies"] == []
    with pytest.raises(ClientError) as e:
        call(iam, "detach_{kind}_policy", kind, PolicyArn=arns[0], **who)
    assert code_of(e) == ("NoSuchEntity", 404)
