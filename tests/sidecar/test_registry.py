"""The registry: activation records (an actor is active on one live sidecar of a home at a time)
and which processes count as alive."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from sidecar.registry import Entry, Registry, pid_alive, process_start, same_process


def entry(instance: str, pid: int) -> Entry:
    return Entry(instance, "app", "default", "127.0.0.1", 1, pid, 0.0, ("A",))


async def test_an_actor_active_on_a_live_sidecar_is_not_taken_until_it_lets_go(
    tmp_path: Path,
) -> None:
    first, second = Registry(tmp_path), Registry(tmp_path)  # two sidecars' connections
    await first.register(entry("one", os.getpid()))
    await second.register(entry("two", os.getpid()))
    try:
        assert await first.activate("default", "A", "x", "one") == "one"
        assert await first.activate("default", "A", "x", "one") == "one"  # again: still its own
        assert await second.activate("default", "A", "x", "two") == "one"
        assert await second.activate("other", "A", "x", "two") == "two"  # another namespace
        await second.deactivate("default", "A", "x", "two")  # not its record: nothing changes
        assert await second.activate("default", "A", "x", "two") == "one"
        await first.deactivate("default", "A", "x", "one")
        assert await second.activate("default", "A", "x", "two") == "two"
    finally:
        await first.close()
        await second.close()


async def test_an_actor_active_on_a_sidecar_that_died_or_left_is_taken_over(
    tmp_path: Path,
) -> None:
    registry = Registry(tmp_path)
    dead = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await dead.wait()  # its pid is gone now
    await registry.register(entry("killed", dead.pid))
    await registry.register(entry("stopped", os.getpid()))
    await registry.register(entry("me", os.getpid()))
    try:
        assert await registry.activate("default", "A", "x", "killed") == "killed"
        assert await registry.activate("default", "A", "y", "stopped") == "stopped"
        assert await registry.activate("default", "A", "x", "me") == "me"  # its pid is gone
        await registry.unregister("stopped")
        assert await registry.activate("default", "A", "y", "me") == "me"
    finally:
        await registry.close()


def test_a_process_that_exited_but_was_not_collected_counts_as_gone() -> None:
    """A runner or sidecar that exited stays a zombie until its parent collects it; ``sidecar
    stop`` waited its whole 30 s for such a runner, and a scheduler lease or an actor record of
    one would never be taken over."""
    with zombie() as pid:
        assert Path(f"/proc/{pid}/stat").exists()
        assert process_start(pid) == ""
        assert process_start(os.getpid()) != ""
        assert not pid_alive(pid)
        assert pid_alive(os.getpid())
    assert not pid_alive(pid)  # collected: gone altogether


def test_the_same_process_is_one_running_now_that_started_then() -> None:
    """What a scheduler lease and a runner's record are checked with: pid and start time."""
    me, started = os.getpid(), process_start(os.getpid())
    assert same_process(me, started)
    assert same_process(me, "")  # start unknown: alive is enough
    assert not same_process(me, "1")  # a later process given the same pid
    with zombie() as pid:
        assert not same_process(pid, "")


async def test_a_sidecar_that_exited_but_was_not_collected_drops_out_of_lookups(
    tmp_path: Path,
) -> None:
    """A sidecar killed with -9 whose runner has not collected it yet must not be listed: calls
    to its app id would go to a port nobody serves, and its actors would stay recorded on it."""
    registry = Registry(tmp_path)
    try:
        with zombie() as pid:
            await registry.register(entry("zombie", pid))
            await registry.register(entry("me", os.getpid()))
            assert await registry.activate("default", "A", "x", "zombie") == "zombie"
            assert [e.instance for e in await registry.lookup("app")] == ["me"]
            assert await registry.activate("default", "A", "x", "me") == "me"
    finally:
        await registry.close()


@contextlib.contextmanager
def zombie() -> Iterator[int]:
    """The pid of a child that has exited and is left uncollected until the block ends (a
    subprocess of asyncio's would be collected at once)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited; still to be collected
        yield child.pid
    finally:
        child.wait()
