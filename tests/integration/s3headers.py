"""Adds raw headers to one boto3 call before it is signed (botocore event hook), so tests can
send headers the installed botocore may not model (If-None-Match on PUT, ...)."""
import contextlib


@contextlib.contextmanager
def extra_headers(client, operation, headers):
    def add(request, **_):
        for name, value in headers.items():
            request.headers[name] = value

    event = f"before-sign.s3.{operation}"
    client.meta.events.register(event, add)
    try:
        yield
    finally:
        client.meta.events.unregister(event, add)
