"""Run the studio with uvicorn: loopback by default, a clear error for a taken port."""
from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from typing import Callable, Iterator

from dreamgan.errors import DreamganError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port_free(host: str, port: int) -> None:
    """Raise a one-line `DreamganError` if host:port cannot be bound (taken, or a bad host)."""
    if not 1 <= port <= 65535:
        raise DreamganError(f"--port must be in 1..65535, got {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise DreamganError(f"cannot listen on {host}:{port} ({e.strerror or e}); pick another --port or --host") from None


def run_server(checkpoint: str | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
               announce: Callable[[str], None] | None = None, onnx: str | None = None, max_queue: int = 8,
               runtime: str = "auto", textures: str | None = None) -> None:
    """Build the studio (loading the checkpoint first, so a bad one fails before any socket opens)
    and serve it until Ctrl-C. `announce(url)` is called once everything checked out."""
    import uvicorn

    from dreamgan.studio.app import create_app

    check_port_free(host, port)
    app = create_app(checkpoint, host=host, onnx=onnx, max_queue=max_queue, runtime=runtime, textures=textures)
    if announce:
        announce(f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def served(app, host: str = DEFAULT_HOST, timeout: float = 30.0) -> Iterator[str]:
    """`app` served by uvicorn on a free port of `host` in a daemon thread, for the browser tests,
    the screenshots and the mirror benchmark: yields its base URL once it listens, and stops it
    on exit.

    Raises:
        DreamganError: it did not start within `timeout` seconds.
    """
    import uvicorn

    with socket.socket() as s:
        s.bind((host, 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise DreamganError(f"the studio did not start on {host}:{port}")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
