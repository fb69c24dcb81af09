"""Just enough of Redis's protocol (RESP2) to read what daprd's ``state.redis`` stored: a test
reads the store directly, not through the apps it judges."""

from __future__ import annotations

import socket
from typing import Any


class RedisReader:
    """One connection to a Redis server on the loopback address; commands answer Python values."""

    def __init__(self, port: int, timeout: float = 10) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def __enter__(self) -> RedisReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, *args: str) -> Any:
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(parts))
        return self._reply()

    def _reply(self) -> Any:
        line = self.file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(f"redis: {rest.decode()}")
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if int(rest) < 0 else self.file.read(int(rest) + 2)[:-2]
        if kind == b"*":
            return None if int(rest) < 0 else [self._reply() for _ in range(int(rest))]
        raise RuntimeError(f"redis: unexpected reply {line!r}")

    def scan(self, pattern: str) -> list[str]:
        """Every key matching ``pattern`` (SCAN to the end)."""
        keys: list[str] = []
        cursor = "0"
        while True:
            cursor_bytes, batch = self.call("SCAN", cursor, "MATCH", pattern, "COUNT", "1000")
            keys += [k.decode() for k in batch]
            cursor = cursor_bytes.decode()
            if cursor == "0":
                return keys
