"""STS on the S3 endpoint with boto3's sts client and the aws cli: GetCallerIdentity for root,
users and sessions; AssumeRole (trust policy, the user's own sts:AssumeRole right, session
name, duration and session policy checks); temporary credentials that work, are capped by
their session policy and by the role, refuse a missing, forged or foreign token, and expire;
AssumeRoleWithWebIdentity with RS256 and ES256 tokens from a test issuer."""
import base64
import json
import os
import subprocess
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from conftest import ACCESS_KEY, SECRET_KEY, Server, cli_env
from test_iam import code_of, iam_client, s3_as, unique

ISSUER = "https://idp.example.test/realm"
AUDIENCE = "flashstor-test"
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint_b64(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return b64url(n.to_bytes(length, "big"))


class Issuer:
    """A test OIDC issuer: one RSA and one P-256 key, a JWKS file, and signed tokens."""

    def __init__(self, directory):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        rn = self.rsa.public_key().public_numbers()
        en = self.ec.public_key().public_numbers()
        jwks = {"keys": [
            {"kty": "RSA", "kid": "rsa1", "alg": "RS256", "use": "sig", "n": uint_b64(rn.n),
             "e": uint_b64(rn.e)},
            {"kty": "EC", "kid": "ec1", "crv": "P-256", "x": uint_b64(en.x, 32),
             "y": uint_b64(en.y, 32)}]}
        self.jwks_file = os.path.join(directory, "jwks.json")
        with open(self.jwks_file, "w") as f:
            json.dump(jwks, f)

    def token(self, alg="RS256", kid=None, **claims):
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice@example.test", "iat": now,
                "exp": now + 300, **claims}
        body = {k: v for k, v in body.items() if v is not None}
        header = {"alg": alg, "typ": "JWT", "kid": kid or ("ec1" if alg == "ES256" else "rsa1")}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(body).encode())).encode()
        if alg == "RS256":
            sig = self.rsa.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "ES256":
            r, s = decode_dss_signature(self.ec.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:
            sig = b""
        return signing_input.decode() + "." + b64url(sig)


@pytest.fixture(scope="module")
def sts_server(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("sts"))
    issuer = Issuer(directory)
    srv = Server(drives=4, extra_args=[
        "--sts-min-duration-seconds", "1", "--sts-jwks-file", issuer.jwks_file,
        "--sts-issuer", ISSUER, "--sts-audience", AUDIENCE]).start()
    srv.issuer = issuer
    srv.home = directory
    yield srv
    srv.stop()
    srv.cleanup()


def sts_client(endpoint, key=ACCESS_KEY, secret=SECRET_KEY, token=None):
    # No client-side validation: the server's checks (and --sts-min-duration-seconds) are
    # what is tested.
    return boto3.client("sts", endpoint_url=endpoint, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token,
                        region_name="us-east-1",
                        config=Config(parameter_validation=False,
                                      retries={"max_attempts": 1, "mode": "standard"}))


def s3_session(endpoint, creds, token=None):
    cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                 retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"] if token is None else token,
                        region_name="us-east-1", config=cfg)


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def bucket_rw(bucket):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]})


def make_role(iam, principal, policy=None, **kw):
    name = unique("role")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(principal), **kw)["Role"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy)
    return role


def make_bucket(endpoint):
    bucket = "sts-" + uuid.uuid4().hex[:10]
    root = s3_as(endpoint, ACCESS_KEY, SECRET_KEY)
    root.create_bucket(Bucket=bucket)
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"hello")
    root.put_object(Bucket=bucket, Key="secret/b.txt", Body=b"hidden")
    return bucket


def test_get_caller_identity_for_root_and_user(sts_server):
    ident = sts_client(sts_server.endpoint).get_caller_identity()
    assert ident["Account"] == "000000000000"
    assert ident["Arn"] == "arn:aws:iam::000000000000:root"
    iam = iam_client(sts_server.endpoint)
    name = unique("u")
    user = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    ident = sts_client(sts_server.endpoint, key["AccessKeyId"],
                       key["SecretAccessKey"]).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::000000000000:user/{name}"
    assert ident["UserId"] == user["UserId"]


def test_assume_role_session_works_and_is_capped_by_the_role(sts_server):
    ep = sts_server.endpoint
    bucket = make_bucket(ep)
    role = make_role(iam_client(ep), {"AWS": "arn:aws:iam::000000000000:root"},
                     bucket_rw(bucket))
    out = sts_client(ep).assume_role(RoleArn=role["Arn"], RoleSessionName="s1",
                                     DurationSeconds=900)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert out["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::000000000000:assumed-role/{role['RoleName']}/s1"
    assert out["AssumedRoleUser"]["AssumedRoleId"] == role["RoleId"] + ":s1"
    remaining = creds["Expiration"].timestamp() - time.time()
    assert 880 < remaining <= 901
    s3 = s3_session(ep, creds)
    assert s3.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"hello"
    s3.put_object(Bucket=bucket, Key="new.txt", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=bucket, Key="a.txt")  # not in the role's policy
    assert code_of(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        s3.list_buckets()
    assert code_of(e) == ("AccessDenied", 403)
    ident = sts_client(ep, creds["AccessKeyId"], creds["SecretAccessKey"],
                       creds["SessionToken"]).get_caller_identity()
    assert ident["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert ident["UserId"] == role["RoleId"] + ":s1"


def test_session_policy_caps_the_session(sts_server):
    ep = sts_server.endpoint
    bucket = make_bucket(ep)
    role = make_role(iam_client(ep), {"AWS": "000000000000"}, bucket_rw(bucket))
    read_only = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/a*"}]})
    creds = sts_client(ep).assume_role(RoleArn=role["Arn"], RoleSessionName="capped",
                                       Policy=read_only)["Credentials"]
    s3 = s3_session(ep, creds)
    assert s3.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"hello"
    for call in (lambda: s3.get_object(Bucket=bucket, Key="secret/b.txt"),
                 lambda: s3.put_object(Bucket=bucket, Key="n", Body=b"x")):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e) == ("AccessDenied", 403)
    # A session policy never grants more than the role: DeleteObject stays refused.
    everything = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    creds = sts_client(ep).assume_role(RoleArn=role["Arn"], RoleSessionName="wide",
                                       Policy=everything)["Credentials"]
    with pytest.raises(ClientError) as e:
        s3_session(ep, creds).delete_object(Bucket=bucket, Key="a.txt")
    assert code_of(e) == ("AccessDenied", 403)


def test_session_policy_arns_cap_the_session(sts_server):
    ep = sts_server.endpoint
    bucket = make_bucket(ep)
    iam = iam_client(ep)
    role = make_role(iam, {"AWS": "000000000000"}, bucket_rw(bucket))
    listing = iam.create_policy(PolicyName=unique("list"), PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                                                "Resource": "*"}]}))["Policy"]["Arn"]
    creds = sts_client(ep).assume_role(RoleArn=role["Arn"], RoleSessionName="arns",
                                       PolicyArns=[{"arn": listing}])["Credentials"]
    s3 = s3_session(ep, creds)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 2
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="a.txt")
    assert code_of(e) == ("AccessDenied", 403)


def test_session_expires(sts_server):
    ep = sts_server.endpoint
    bucket = make_bucket(ep)
    role = make_role(iam_client(ep), {"AWS": "000000000000"}, bucket_rw(bucket))
    creds = sts_client(ep).assume_role(RoleArn=role["Arn"], RoleSessionName="short",
                                       DurationSeconds=2)["Credentials"]
    s3 = s3_session(ep, creds)
    s3.get_object(Bucket=bucket, Key="a.txt")
    time.sleep(max(0.0, creds["Expiration"].timestamp() - time.time()) + 1.1)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="a.txt")
    assert code_of(e) == ("ExpiredToken", 400)


def test_missing_forged_and_foreign_tokens_refused(sts_server):
    ep = sts_server.endpoint
    bucket = make_bucket(ep)
    role = make_role(iam_client(ep), {"AWS": "000000000000"}, bucket_rw(bucket))
    a = sts_client(ep).assume_role(RoleArn=role["Arn"], RoleSessionName="sa")["Credentials"]
    b = sts_client(ep).assume_role(RoleArn=role["Arn"], RoleSessionName="sb")["Credentials"]
    tok = a["SessionToken"]
    middle = len(tok) // 2
    forged = tok[:middle] + ("A" if tok[middle] != "A" else "B") + tok[middle + 1:]
    for token in ("", forged, b["SessionToken"], "garbage"):
        if token == "":
            cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                         retries={"max_attempts": 1, "mode": "standard"})
            s3 = boto3.client("s3", endpoint_url=ep, aws_access_key_id=a["AccessKeyId"],
                              aws_secret_access_key=a["SecretAccessKey"],
                              region_name="us-east-1", config=cfg)
        else:
            s3 = s3_session(ep, a, token=token)
        with pytest.raises(ClientError) as e:
            s3.get_object(Bucket=bucket, Key="a.txt")
        assert code_of(e) == ("InvalidToken", 400), token[:10]
    # A presigned URL carries the token as X-Amz-Security-Token.
    import urllib.request
    url = s3_session(ep, a).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "a.txt"}, ExpiresIn=60)
    assert "X-Amz-Security-Token" in url
    assert urllib.request.urlopen(url).read() == b"hello"


def test_user_needs_trust_and_its_own_policy(sts_server):
    ep = sts_server.endpoint
    iam = iam_client(ep)
    name = unique("u")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user_sts = sts_client(ep, key["AccessKeyId"], key["SecretAccessKey"])
    trusted = make_role(iam, {"AWS": f"arn:aws:iam::000000000000:user/{name}"})
    untrusted = make_role(iam, {"AWS": "arn:aws:iam::000000000000:user/somebody-else"})
    # Trusted, but the user's policies do not allow sts:AssumeRole yet.
    with pytest.raises(ClientError) as e:
        user_sts.assume_role(RoleArn=trusted["Arn"], RoleSessionName="sx")
    assert code_of(e) == ("AccessDenied", 403)
    iam.put_user_policy(UserName=name, PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Resource": "*"}]}))
    out = user_sts.assume_role(RoleArn=trusted["Arn"], RoleSessionName="sx")
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    for arn in (untrusted["Arn"], "arn:aws:iam::000000000000:role/no-such-role"):
        with pytest.raises(ClientError) as e:
            user_sts.assume_role(RoleArn=arn, RoleSessionName="sx")
        assert code_of(e) == ("AccessDenied", 403)


def test_session_can_chain_into_a_role_that_trusts_it(sts_server):
    ep = sts_server.endpoint
    iam = iam_client(ep)
    assume_all = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    first = make_role(iam, {"AWS": "000000000000"}, assume_all)
    second = make_role(iam, {"AWS": first["Arn"]})
    c1 = sts_client(ep).assume_role(RoleArn=first["Arn"], RoleSessionName="one")["Credentials"]
    chained = sts_client(ep, c1["AccessKeyId"], c1["SecretAccessKey"], c1["SessionToken"])
    out = chained.assume_role(RoleArn=second["Arn"], RoleSessionName="two")
    assert out["AssumedRoleUser"]["Arn"].endswith(f"/{second['RoleName']}/two")


@pytest.mark.parametrize("kwargs,expected", [
    ({"RoleSessionName": "a"}, "ValidationError"),                  # too short
    ({"RoleSessionName": "bad name!"}, "ValidationError"),          # bad characters
    ({"RoleSessionName": "ok", "DurationSeconds": 3601}, "ValidationError"),  # > MaxSession
    ({"RoleSessionName": "ok", "DurationSeconds": 43201}, "ValidationError"),
    ({"RoleSessionName": "ok", "Policy": "{not json"}, "MalformedPolicyDocument"),
    ({"RoleSessionName": "ok", "Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"}]})},
     "MalformedPolicyDocument"),
    ({"RoleSessionName": "ok", "Policy": "{" + " " * 2048 + "}"}, "ValidationError"),
])
def test_assume_role_validation(sts_server, kwargs, expected):
    ep = sts_server.endpoint
    role = make_role(iam_client(ep), {"AWS": "000000000000"})
    client = boto3.client("sts", endpoint_url=ep, aws_access_key_id=ACCESS_KEY,
                          aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                          config=Config(parameter_validation=False,
                                        retries={"max_attempts": 1, "mode": "standard"}))
    with pytest.raises(ClientError) as e:
        client.assume_role(RoleArn=role["Arn"], **kwargs)
    assert code_of(e)[0] == expected


def test_unimplemented_sts_actions_and_parameters_refused(sts_server):
    with pytest.raises(ClientError) as e:
        sts_client(sts_server.endpoint).get_session_token()
    assert code_of(e) == ("NotImplemented", 501)
    role = make_role(iam_client(sts_server.endpoint), {"AWS": "000000000000"})
    for extra in ({"ExternalId": "x123"}, {"Tags": [{"Key": "k", "Value": "v"}]},
                  {"SourceIdentity": "someone"}):
        with pytest.raises(ClientError) as e:
            sts_client(sts_server.endpoint).assume_role(RoleArn=role["Arn"],
                                                        RoleSessionName="ok", **extra)
        assert code_of(e) == ("NotImplemented", 501), extra


def test_aws_cli_assume_role(sts_server, tmp_path):
    ep = sts_server.endpoint
    role = make_role(iam_client(ep), {"AWS": "000000000000"})
    env = cli_env(sts_server, str(tmp_path))
    out = subprocess.run(["aws", "--endpoint-url", ep, "sts", "assume-role", "--role-arn",
                          role["Arn"], "--role-session-name", "cli"], env=env, check=True,
                         capture_output=True, text=True).stdout
    creds = json.loads(out)["Credentials"]
    env.update({"AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                "AWS_SESSION_TOKEN": creds["SessionToken"]})
    out = subprocess.run(["aws", "--endpoint-url", ep, "sts", "get-caller-identity"], env=env,
                         check=True, capture_output=True, text=True).stdout
    assert json.loads(out)["Arn"].endswith(f"assumed-role/{role['RoleName']}/cli")


def web_role(iam, bucket, condition=None):
    statement = {"Effect": "Allow", "Principal": {"Federated": ISSUER},
                 "Action": "sts:AssumeRoleWithWebIdentity"}
    if condition:
        statement["Condition"] = condition
    name = unique("web")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [statement]}))["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=bucket_rw(bucket))
    return role


def unsigned_sts(endpoint):
    from botocore import UNSIGNED
    return boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, parameter_validation=False,
                                      retries={"max_attempts": 1, "mode": "standard"}))


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_web_identity(sts_server, alg):
    ep = sts_server.endpoint
    bucket = make_bucket(ep)
    role = web_role(iam_client(ep), bucket, {"StringEquals": {
        "idp.example.test/realm:aud": AUDIENCE, "idp.example.test/realm:sub": "alice@example.test"}})
    out = unsigned_sts(ep).assume_role_with_web_identity(
        RoleArn=role["Arn"], RoleSessionName="web", WebIdentityToken=sts_server.issuer.token(alg))
    assert out["SubjectFromWebIdentityToken"] == "alice@example.test"
    assert out["Audience"] == AUDIENCE and out["Provider"] == ISSUER
    s3 = s3_session(ep, out["Credentials"])
    assert s3.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"hello"


def test_web_identity_refusals(sts_server):
    ep = sts_server.endpoint
    bucket = make_bucket(ep)
    iam = iam_client(ep)
    role = web_role(iam, bucket, {"StringEquals": {"idp.example.test/realm:sub": "alice@example.test"}})
    issuer = sts_server.issuer
    now = int(time.time())
    good = issuer.token()
    header, payload, sig = good.split(".")
    bad_sig = header + "." + payload + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
    cases = {
        "bad signature": bad_sig,
        "alg none": issuer.token(alg="none"),
        "HS256": issuer.token(alg="HS256"),
        "unknown kid": issuer.token(kid="nope"),
        "wrong aud": issuer.token(aud="someone-else"),
        "wrong iss": issuer.token(iss="https://evil.example"),
        "not yet valid": issuer.token(nbf=now + 3600),
        "expired": issuer.token(exp=now - 3600, iat=now - 7200),
    }
    sts = unsigned_sts(ep)
    for why, token in cases.items():
        with pytest.raises(ClientError) as e:
            sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="sw",
                                              WebIdentityToken=token)
        code, status = code_of(e)
        assert status == 400, why
        assert code == ("ExpiredTokenException" if why == "expired" else "InvalidIdentityToken"), why
    # A valid token whose sub the trust policy's condition does not name.
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="sw",
                                          WebIdentityToken=issuer.token(sub="mallory"))
    assert code_of(e) == ("AccessDenied", 403)
    # A role that trusts only AWS principals refuses web identities.
    aws_role = make_role(iam, {"AWS": "000000000000"})
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn=aws_role["Arn"], RoleSessionName="sw",
                                          WebIdentityToken=good)
    assert code_of(e) == ("AccessDenied", 403)
    # Other STS actions are not served unsigned.
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
