"""A raw HTTP client with AWS SigV4 signing (header and aws-chunked streaming), for tests
that must send what real SDKs never send: bad signatures, replayed chunks, broken framing.
HTTP/1.1 by default; with FLASHSTOR_TEST_HTTP=2 (conftest.HTTP2) `request`, `signed_request`
and `open_request` send over h2c with prior knowledge (h2client.py), same signing, same
(status, headers, body) answers. Raw bytes and `read_response` stay HTTP/1.1."""
import datetime
import hashlib
import hmac
import socket
import urllib.parse

import h2client
from conftest import ACCESS_KEY, HTTP2, SECRET_KEY

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


def signed_head(port, method, path, length=None, payload_hash="UNSIGNED-PAYLOAD"):
    """The bytes of a signed HTTP/1.1 request head for 127.0.0.1:port (a Content-Length of
    length unless None), for tests that drive raw sockets."""
    extra = {"content-length": str(length)} if length is not None else {}
    h, *_ = sign(method, path, f"127.0.0.1:{port}", extra, payload_hash)
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in h.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


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
    if HTTP2:
        if raw is not None:
            raise AssertionError("raw HTTP/1.1 bytes in the HTTP/2 pass: mark the test http1_only")
        return h2client.request(port, method, path, headers, body, timeout)
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


class _Http1Exchange:
    """open_request over HTTP/1.1: the head at once, then the body as the caller sends it."""

    def __init__(self, port, method, path, headers, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        hdrs = dict(headers)
        if not any(k.lower() == "host" for k in hdrs):
            hdrs["host"] = f"127.0.0.1:{port}"
        self.sock.sendall((f"{method} {path} HTTP/1.1\r\n" +
                           "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n").encode())

    def send(self, data, end=False):
        try:
            self.sock.sendall(data)
            if end:
                self.end()
            return True
        except OSError:
            return False  # the server answered and stopped reading

    def end(self):
        self.sock.shutdown(socket.SHUT_WR)

    def response(self):
        try:
            return read_response(self.sock)
        finally:
            self.sock.close()


def open_request(port, method, path, headers, timeout=10):
    """A request whose body the caller sends piece by piece: .send(data) (False once the server
    stopped reading), .end() (no more body: half-close on HTTP/1.1, END_STREAM on HTTP/2, even
    short of the content-length), .response() -> (status, headers, body)."""
    if HTTP2:
        return h2client.Exchange(port, method, path, headers, timeout=timeout)
    return _Http1Exchange(port, method, path, headers, timeout)
