"""``lock.redis`` built from component metadata: daprd's key prefix strategies and the refusals of
a wrong type, version or prefix (no Redis needed: nothing is sent before ``open``)."""

from __future__ import annotations

import pytest

from sidecar.lock import build_lock_store

HOST = {"redisHost": "127.0.0.1:1"}


@pytest.mark.parametrize(
    ("prefix", "key"),
    [
        (None, "lock||myapp||res"),
        ("appid", "lock||myapp||res"),
        ("name", "lock||lockstore||res"),
        ("none", "lock||res"),
        ("Shared", "lock||shared||res"),  # daprd lowers the strategy, a literal prefix too
    ],
)
def test_keys_as_daprd_builds_them(prefix: str | None, key: str) -> None:
    meta = HOST if prefix is None else {**HOST, "keyPrefix": prefix}
    store = build_lock_store("lockstore", "lock.redis", "", meta)
    assert store.key("res", "myapp") == key


@pytest.mark.parametrize(
    ("ctype", "version", "meta", "message"),
    [
        ("lock.redis", "v2", HOST, "couldn't find lock store lock.redis/v2"),
        ("lock.etcd", "v1", HOST, "couldn't find lock store lock.etcd/v1"),
        ("lock.redis", "v1", {**HOST, "keyPrefix": "a||b"}, "can't contain '||'"),
        ("lock.redis", "v1", {}, "redisHost is required"),
    ],
)
def test_bad_components_are_refused(
    ctype: str, version: str, meta: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("|", r"\|")):
        build_lock_store("lockstore", ctype, version, meta)


def test_a_resource_id_with_the_separator_is_refused() -> None:
    store = build_lock_store("lockstore", "lock.redis", "v1", HOST)
    with pytest.raises(ValueError, match=r"input key/keyPrefix 'a\|\|b' can't contain"):
        store.key("a||b", "myapp")
