"""Consistent hashing: deterministic, spread, minimal movement when a host leaves."""

from __future__ import annotations

from sidecar.actors._placement import ring_owner

IDS = [f"actor-{i}" for i in range(400)]


def test_no_hosts_no_owner() -> None:
    assert ring_owner([], "T", "1") is None


def test_owner_is_deterministic_and_order_independent() -> None:
    hosts = ["a", "b", "c"]
    first = [ring_owner(hosts, "T", i) for i in IDS]
    again = [ring_owner(list(reversed(hosts)), "T", i) for i in IDS]
    assert first == again


def test_ids_spread_over_hosts() -> None:
    owners = [ring_owner(["a", "b", "c"], "T", i) for i in IDS]
    for host in "abc":
        assert owners.count(host) > len(IDS) / 6


def test_only_the_leaving_hosts_actors_move() -> None:
    before = {i: ring_owner(["a", "b", "c"], "T", i) for i in IDS}
    after = {i: ring_owner(["a", "c"], "T", i) for i in IDS}
    moved = [i for i in IDS if before[i] != after[i]]
    assert moved and all(before[i] == "b" for i in moved)
