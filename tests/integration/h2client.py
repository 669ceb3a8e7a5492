"""A small synchronous HTTP/2 client (h2c, prior knowledge) on hyper-h2 (Debian python3-h2) for
rawclient's HTTP/2 pass: one stream per connection, headers as given (lowercased, Host becomes
:authority), the body sent as the peer's flow-control windows allow, the response's headers,
body and trailers read back as the HTTP/1.1 client returns them."""
import socket

import h2.config
import h2.connection
import h2.events
import h2.exceptions


class Response(tuple):
    """(status, headers, body) like the HTTP/1.1 client's answer, plus .trailers (a dict) and
    .reset (the RST_STREAM error code, or None)."""

    def __new__(cls, status, headers, body, trailers=None, reset=None):
        r = super().__new__(cls, (status, headers, body))
        r.trailers = trailers or {}
        r.reset = reset
        return r


def _header_block(method, path, port, headers, body_len):
    hdrs = {k.lower(): str(v) for k, v in (headers or {}).items()}
    authority = hdrs.pop("host", f"127.0.0.1:{port}")
    # Kept like the HTTP/1.1 path does, so the server checks it against the DATA received.
    if body_len is not None:
        hdrs.setdefault("content-length", str(body_len))
    return [(":method", method), (":scheme", "http"), (":authority", authority),
            (":path", path)] + list(hdrs.items())


class Exchange:
    """One request on its own h2c connection. send() body bytes (blocking on flow control),
    end() the stream, response() waits for the answer. A server answering early may stop the
    upload (RFC 9113 §8.1: response, then RST_STREAM NO_ERROR): send() returns False from
    then on; without the reset the rest of the body is still sent."""

    def __init__(self, port, method, path, headers=None, content_length=None, timeout=10,
                 end_stream=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8",
                                        validate_outbound_headers=True,
                                        normalize_outbound_headers=False)
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.initiate_connection()
        self.status, self.headers, self.trailers = 0, {}, {}
        self.body = bytearray()
        self.ended = False      # the server ended its side of the stream
        self.closed = False     # the stream or the connection is gone (reset, GOAWAY, EOF)
        self.reset = None
        self.sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(self.sid, _header_block(method, path, port, headers, content_length),
                               end_stream=end_stream)
        self._flush()

    def _flush(self):
        data = self.conn.data_to_send()
        if data:
            try:
                self.sock.sendall(data)
            except OSError:
                self.closed = True

    def _pump(self):
        """Reads once from the socket and handles the events; False when nothing more comes,
        None when nothing came within the socket's timeout."""
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return None
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return False
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.closed = True
            return False
        for ev in events:
            if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == self.sid:
                for k, v in ev.headers:
                    if k == ":status":
                        self.status = int(v)
                    else:
                        self.headers[k] = v
            elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == self.sid:
                self.body += ev.data
                # Reopens both windows at once: this client buffers the whole body anyway.
                self.conn.acknowledge_received_data(ev.flow_controlled_length, self.sid)
            elif isinstance(ev, h2.events.TrailersReceived) and ev.stream_id == self.sid:
                self.trailers.update(dict(ev.headers))
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == self.sid:
                self.ended = True
            elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == self.sid:
                self.reset = ev.error_code
                self.closed = True
            elif isinstance(ev, h2.events.ConnectionTerminated):
                self.closed = True
        self._flush()
        return True

    def send(self, data, end=False):
        """Sends body bytes as the windows allow; False once the server stopped the stream."""
        view = memoryview(data)
        while True:
            if self.closed:
                return False
            if not view and not end:
                return True
            try:
                room = min(self.conn.local_flow_control_window(self.sid),
                           self.conn.max_outbound_frame_size)
            except h2.exceptions.StreamClosedError:
                self.closed = True
                return False
            if room <= 0 and view:
                if not self._pump():
                    return False
                continue
            piece = view[:room]
            last = end and len(piece) == len(view)
            try:
                self.conn.send_data(self.sid, piece.tobytes(), end_stream=last)
            except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
                self.closed = True
                return False
            self._flush()
            view = view[len(piece):]
            if last:
                return True

    def wait_head(self):
        """Waits for the response head (or the end of the stream); returns the status."""
        while self.status == 0 and not self.closed and self._pump():
            pass
        return self.status

    def poll(self, seconds):
        """Handles what arrives within seconds (one read); False once nothing more can come."""
        timeout = self.sock.gettimeout()
        self.sock.settimeout(seconds)
        try:
            return self._pump() is not False
        finally:
            self.sock.settimeout(timeout)

    def end(self):
        return self.send(b"", end=True)

    def response(self):
        while not self.ended and not self.closed:
            if not self._pump():
                break
        complete = self.ended
        self.close()
        if not complete and self.status == 0:
            return Response(0, {}, b"", reset=self.reset)
        return Response(self.status, self.headers, bytes(self.body), self.trailers, self.reset)

    def close(self):
        try:
            self.conn.close_connection()
            self._flush()
        except h2.exceptions.ProtocolError:
            pass
        self.sock.close()


def request(port, method, path, headers=None, body=b"", timeout=10):
    """One request with its whole body; the answer as rawclient.request gives it."""
    ex = Exchange(port, method, path, headers, len(body), timeout, end_stream=not body)
    if body:
        ex.send(body, end=True)
    return ex.response()
