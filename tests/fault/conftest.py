"""Fixtures of the fault suite: servers on their own drive folders (cleaned up, mounts undone,
their log printed when a test fails), a time bound per test, and a per-test random generator
whose seed is printed (FAULT_SEED=... reproduces a run)."""
import os
import random
import sys
import threading

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from harness import FaultServer, it  # noqa: E402


DEFAULT_BOUND_S = 120


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: longer than the default fault run (run with -m slow)")
    config.addinivalue_line(
        "markers", "bound(seconds): time limit of the test (default 120 s; the largest applies)")


@pytest.fixture(scope="session", autouse=True)
def _preconditions():
    if not os.path.exists(it.BIN):
        pytest.fail(f"flashstor binary not found at {it.BIN} (set FLASHSTOR_BIN)")
    if os.geteuid() != 0:
        pytest.skip("the fault suite needs root: it mounts tmpfs drives and chowns drive folders")


@pytest.fixture
def rng(request):
    seed = int(os.environ.get("FAULT_SEED", random.randrange(1 << 30)))
    print(f"\nFAULT_SEED={seed} ({request.node.name})")
    return random.Random(seed)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def servers(request):
    """Factory: servers(drives=4, mounts={index: tmpfs bytes}) -> FaultServer (not started).
    When the test outlives its bound, its daemons are SIGKILLed so every blocked client call
    fails, and the test is reported as too slow."""
    made = []
    bound = max([m.args[0] for m in request.node.iter_markers("bound")] or [DEFAULT_BOUND_S])
    expired = threading.Event()

    def expire():
        expired.set()
        for s in made:
            s.expired = True
            if s.alive():
                s.server.proc.kill()

    timer = threading.Timer(bound, expire)
    timer.daemon = True
    timer.start()

    def make(drives=4, mounts=None, extra_args=()):
        s = FaultServer(drives=drives, mounts=mounts, extra_args=extra_args)
        made.append(s)
        return s

    yield make
    timer.cancel()
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for s in made:
        if failed:
            print(f"--- server log ({s.root}) ---\n{s.log()[-3000:]}")
        s.cleanup()
    if expired.is_set():
        pytest.fail(f"test exceeded its bound of {bound} s (daemons were killed)")
