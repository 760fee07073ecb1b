"""Real servers for the end-to-end and browser tests, on free loopback ports, stopped after."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(
    argv: Sequence[str], port: int, env: Mapping[str, str] | None = None, timeout: float = 20.0
) -> Iterator[str]:
    """Run ``argv`` (a server listening on ``port``) and yield its base URL.

    The server's output is kept and shown if it fails to start; it is stopped
    (terminated, then killed) whatever happens.
    """
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            list(argv), env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_for(port, process, timeout)
            yield f"http://127.0.0.1:{port}"
        except RuntimeError as exc:
            log.seek(0)
            raise RuntimeError(f"{exc}\n{log.read().decode(errors='replace')}") from None
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server not listening on {port} after {timeout}s")
