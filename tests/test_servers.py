"""The database servers the test fixtures start answer, each on its own port and data."""

from __future__ import annotations

import psycopg
import redis

from ._servers import PostgresServer, RedisServer


def test_redis_server_answers(redis_server: RedisServer) -> None:
    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    assert client.ping() is True
    assert client.config_get("save") == {"save": ""}
    client.close()


def test_postgres_server_answers(postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_server.dsn) as conn:
        row = conn.execute("SELECT current_setting('port')").fetchone()
    assert row == (str(postgres_server.port),)
