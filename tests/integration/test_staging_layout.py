"""Where a PUT's shards wait before their commit: the data dir is staged as tmp/<uuid> itself
(tmp/<uuid>/part.1) and renamed into the key's folder as %d.<uuid>, so a PUT makes one folder
a drive and removes none (docs/design.md, "Every fsync of a PUT"). Staged one level deeper,
each drive made and removed a second folder for every PUT, and on ext4 without a journal an
fsync of the shard file wrote every new parent folder too."""
import os
import time

import rawclient
from conftest import Server

MIB = 1024 * 1024


def staged(drive):
    tmp = os.path.join(drive, ".flashstor.sys", "tmp")
    return {name: sorted(os.listdir(os.path.join(tmp, name))) for name in os.listdir(tmp)}


def test_a_put_stages_its_data_dir_as_one_tmp_folder():
    srv = Server(drives=4).start()
    try:
        status, _, _ = rawclient.signed_request(srv.port, "PUT", "/stage")
        assert status == 200
        body = os.urandom(2 * MIB + 5)  # larger than a block: the first is written early
        host = f"127.0.0.1:{srv.port}"
        h, *_ = rawclient.sign("PUT", "/stage/k", host, {"content-length": str(len(body))},
                               "UNSIGNED-PAYLOAD")
        req = rawclient.open_request(srv.port, "PUT", "/stage/k", h, timeout=30)
        assert req.send(body[:MIB + MIB // 2])
        deadline = time.monotonic() + 10
        while not all(any(staged(d).values()) for d in srv.drives):
            assert time.monotonic() < deadline, [staged(d) for d in srv.drives]
            time.sleep(0.05)
        uuids = set()
        for d in srv.drives:
            entries = staged(d)
            assert len(entries) == 1, entries
            (uuid, files), = entries.items()
            assert files == ["part.1"], entries  # the shard file, no folder between
            assert os.path.isfile(os.path.join(d, ".flashstor.sys", "tmp", uuid, "part.1"))
            uuids.add(uuid)
        assert len(uuids) == 1
        assert req.send(body[MIB + MIB // 2:])
        status, _, _ = req.response()
        assert status == 200
        (uuid,) = uuids
        for d in srv.drives:
            assert staged(d) == {}
            assert os.listdir(os.path.join(d, "stage", "k", "%d." + uuid)) == ["part.1"]
        status, _, got = rawclient.signed_request(srv.port, "GET", "/stage/k")
        assert status == 200 and got == body
    finally:
        srv.stop()
        srv.cleanup()
