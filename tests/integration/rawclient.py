"""A raw HTTP/1.1 client with AWS SigV4 signing (header and aws-chunked streaming), for tests
that must send what real SDKs never send: bad signatures, replayed chunks, broken framing."""
import datetime
import hashlib
import hmac
import socket
import urllib.parse

from conftest import ACCESS_KEY, SECRET_KEY

EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, date, region="us-east-1", service="s3"):
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def uri_encode(s, slash=True):
    return urllib.parse.quote(s, safe="-_.~" + ("" if slash else "/"))


def sign(method, path, host, headers, payload_hash, query="", now=None, access=ACCESS_KEY,
         secret=SECRET_KEY):
    """Returns headers with x-amz-date, x-amz-content-sha256, Authorization, and the
    signature, the scope and the date so streaming callers can chain chunk signatures."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    h = {k.lower(): str(v) for k, v in headers.items()}
    h["host"] = host
    h["x-amz-date"] = amz_date
    h["x-amz-content-sha256"] = payload_hash
    signed = sorted(h)
    canon_headers = "".join(f"{k}:{' '.join(h[k].split())}\n" for k in signed)
    params = urllib.parse.parse_qsl(query, keep_blank_values=True)
    canon_query = "&".join(f"{uri_encode(k)}={uri_encode(v)}" for k, v in sorted(params))
    canon_path = uri_encode(urllib.parse.unquote(path), slash=False)
    creq = "\n".join([method, canon_path, canon_query, canon_headers, ";".join(signed), payload_hash])
    scope = f"{date}/us-east-1/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    key = signing_key(secret, date)
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
                          f"SignedHeaders={';'.join(signed)}, Signature={sig}")
    return h, sig, key, scope, amz_date


def chunk_signature(key, amz_date, scope, prev, data):
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY_SHA,
                     hashlib.sha256(data).hexdigest()])
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def aws_chunked_body(chunks, key, amz_date, scope, seed, tamper=None):
    """Frames chunks (ending with the empty one) with chained signatures. tamper(i, sig) may
    return a different signature for chunk i."""
    out, prev = [], seed
    for i, data in enumerate(list(chunks) + [b""]):
        sig = chunk_signature(key, amz_date, scope, prev, data)
        prev = sig
        if tamper:
            sig = tamper(i, sig)
        out.append(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(data), sig.encode(), data))
    return b"".join(out)


def request(port, method, path, headers=None, body=b"", raw=None, timeout=10):
    """Sends one request (or raw bytes) on a new connection and returns (status, headers,
    body) of the response; status 0 when the server closed without answering."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        if raw is None:
            lines = [f"{method} {path} HTTP/1.1"]
            hdrs = dict(headers or {})
            if not any(k.lower() == "host" for k in hdrs):
                hdrs["host"] = f"127.0.0.1:{port}"
            hdrs.setdefault("content-length", str(len(body)))
            lines += [f"{k}: {v}" for k, v in hdrs.items()]
            raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        s.sendall(raw)
        return read_response(s)
    finally:
        s.close()


def read_response(s):
    """Reads one response from a socket or from a buffered file made of one (pass the same
    file again to read pipelined responses)."""
    f = s if hasattr(s, "readline") else s.makefile("rb")
    try:
        status_line = f.readline()
        if not status_line:
            return 0, {}, b""
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = f.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode(errors="replace").partition(":")
            headers[k.strip().lower()] = v.strip()
        body = f.read(int(headers.get("content-length", "0")))
        return status, headers, body
    except (ConnectionResetError, socket.timeout, ValueError, IndexError):
        return 0, {}, b""


def signed_request(port, method, path, body=b"", headers=None, query=""):
    host = f"127.0.0.1:{port}"
    h, *_ = sign(method, path, host, headers or {}, hashlib.sha256(body).hexdigest(), query)
    target = path + ("?" + query if query else "")
    return request(port, method, target, h, body)
