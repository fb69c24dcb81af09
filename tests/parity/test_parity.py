"""The local runtime replays daprd's recorded answers (``./dev parity`` runs the same)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._session import replay
from ._snapshots import Deviation, compare_one, load_deviations

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.integration
def test_the_local_runtime_answers_as_daprd_did(tmp_path: Path) -> None:
    result = replay(tmp_path)
    assert not result.failures, result.report()


def _obs(message: str, status: int = 400) -> dict[str, object]:
    return {"response": {"status": status, "body": {"message": message}}}


def test_a_difference_not_listed_fails_with_a_diff() -> None:
    failure = compare_one("x", _obs("daprd"), _obs("ours"), None)
    assert failure is not None and '-      "message": "daprd"' in failure


def test_a_listed_deviation_covers_only_its_fields() -> None:
    dev = Deviation("wording", ("response/body/message",))
    assert compare_one("x", _obs("daprd"), _obs("ours"), dev) is None
    failure = compare_one("x", _obs("daprd"), _obs("ours", status=500), dev)
    assert failure is not None and "outside the deviation's fields" in failure


def test_a_deviation_without_fields_covers_the_whole_exchange() -> None:
    assert compare_one("x", _obs("daprd"), _obs("ours", status=404), Deviation("routing")) is None


def test_a_deviation_that_no_longer_differs_fails() -> None:
    failure = compare_one("x", _obs("same"), _obs("same"), Deviation("old"))
    assert failure is not None and "remove it" in failure


def test_an_unrecorded_exchange_fails() -> None:
    assert "no snapshot" in (compare_one("x", None, _obs("ours"), None) or "")


def test_every_deviation_has_a_reason_and_the_readme_points_at_the_list() -> None:
    deviations = load_deviations()
    assert deviations and all(dev.reason.strip() for dev in deviations.values())
    assert "tests/parity/deviations.yaml" in (REPO / "README.md").read_text()
