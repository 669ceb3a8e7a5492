"""The request deadline (--operation-timeout, docs/execution-model.md "What bounds the work in
flight") with drives that stop answering: 3 of 4 drives are ext4 file systems on loop devices
frozen with fsfreeze, so every write to them blocks in the kernel, as on a hung device. A PUT
then cannot reach its write quorum; it must answer 503 SlowDown at its deadline instead of
waiting for the drives (before the deadline reached the quorum fan-outs, it waited until the
drives were thawed). After the thaw the stuck calls finish and PUTs succeed again."""
import time

import pytest

from harness import error_code

BUCKET = "deadline"
OPERATION_TIMEOUT_S = 2


@pytest.mark.bound(120)
def test_put_with_hung_drives_answers_at_its_deadline(servers):
    srv = servers(drives=4, extra_args=("--operation-timeout", str(OPERATION_TIMEOUT_S)))
    srv.mount_ext4_or_skip(range(1, 4))
    srv.start()
    srv.client.create_bucket(Bucket=BUCKET)
    srv.client.put_object(Bucket=BUCKET, Key="before", Body=b"x" * 4096)
    try:
        for i in range(1, 4):
            srv.freeze(i)
        for key, size in (("small", 4096), ("large", 1024 * 1024)):
            t0 = time.monotonic()
            with pytest.raises(Exception) as err:
                srv.client.put_object(Bucket=BUCKET, Key=key, Body=b"y" * size)
            took = time.monotonic() - t0
            assert error_code(err.value) == ("SlowDown", 503), (key, err.value)
            # Once a body's bytes are in hand, its writes and commit get the operation timeout
            # from then (RequestContext::step_deadline): on loopback the body arrives at once,
            # so a 1 MiB PUT answers like a 4 KiB one, not after its body's allowance at
            # --request-timeout-rate (16 s more for 1 MiB: what it took before). The bound
            # leaves a loaded machine its slack; without the deadline, the PUT waits for the
            # thaw.
            assert took >= OPERATION_TIMEOUT_S * 0.9, (key, took)
            assert took < OPERATION_TIMEOUT_S + 4, (key, took)
    finally:
        for i in range(1, 4):
            srv.thaw(i)
    # The stuck calls return once the drives answer; the server serves writes again.
    srv.put_when_writable(BUCKET, "after", b"z" * 4096)
    got = srv.client.get_object(Bucket=BUCKET, Key="before")["Body"].read()
    assert got == b"x" * 4096
