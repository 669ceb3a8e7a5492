"""Lines a client can cause (a malformed request here) are rate-limited: a client sending
hundreds of bad requests a second puts about a line a second in the journal, each saying how
many lines it stands for (SUPPRESSED_BEFORE), and the server keeps serving."""
import re
import time

import pytest

import rawclient
from conftest import Server, make_client

LINE = "rejected malformed request"


def malformed_lines(server):
    with open(server.log_path, errors="replace") as f:
        return [line for line in f if LINE in line]


@pytest.mark.http1_only("malformed HTTP/1.1 request lines on raw sockets")
def test_malformed_request_flood_logs_a_line_a_second():
    srv = Server().start()
    try:
        t0 = time.monotonic()
        for _ in range(300):
            status, _, _ = rawclient.request(srv.port, None, None, raw=b"GARBAGE\r\n\r\n")
            assert status == 400
        took = time.monotonic() - t0
        time.sleep(1.1)  # the next window: one more bad request is logged, with the count
        status, _, _ = rawclient.request(srv.port, None, None, raw=b"GARBAGE\r\n\r\n")
        assert status == 400
        time.sleep(0.2)
        lines = malformed_lines(srv)
        # One line per started second of the flood, plus the one after the pause.
        assert 2 <= len(lines) <= int(took) + 3, (len(lines), took)
        suppressed = [int(m.group(1)) for line in lines
                      for m in [re.search(r"SUPPRESSED_BEFORE=(\d+)", line)] if m]
        assert len(suppressed) == len(lines)
        # Every one of the 301 requests is a line or counted in the next one: the last request
        # came after a pause longer than the window, so it was logged with all held before it.
        assert len(lines) + sum(suppressed) == 301, (len(lines), suppressed)
        assert suppressed[-1] > 0
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="flood")
        s3.put_object(Bucket="flood", Key="k", Body=b"ok")
        assert s3.get_object(Bucket="flood", Key="k")["Body"].read() == b"ok"
    finally:
        srv.cleanup()
