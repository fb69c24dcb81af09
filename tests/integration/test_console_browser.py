"""The console in a real browser: Playwright drives Debian's chromium (headless) against the
product as real processes (the agent, the notifier, their sidecars with the dev clock).

Assign a task through the form, see it listed, advance the dev clock past its reminder, and see
the notification appear in the history (the page refreshes itself); then the pm-agent sidecar's
``/_sidecar/`` page. Screenshots go to ``test-artifacts/`` (git-ignored); their paths are printed.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from ._processes import REPO_ROOT, WAIT
from ._support import System, running_system

pytestmark = [
    pytest.mark.integration,
    pytest.mark.local_only("advances the dev clock"),
    pytest.mark.asyncio(loop_scope="module"),
]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts"
ZONE = "Europe/Rome"


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser test needs Debian's chromium at {CHROMIUM}: run "
            "`apt-get install -y chromium` (tools/servers.sh, which ./dev test and .ci/run call, "
            "installs it when run as root); `playwright install` is not needed"
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def system(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    async with running_system(tmp_path_factory.mktemp("console-system")) as started:
        yield started


def screenshot_path(name: str, capsys: pytest.CaptureFixture[str]) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    with capsys.disabled():
        sys.stdout.write(f"\nscreenshot: {path}\n")
    return path


async def assign_through_the_form(page: Page, system: System, agent_id: str) -> timedelta:
    """Fill and send the assign form; returns how far ahead the reminder is."""
    due = await system.now() + timedelta(days=2)
    fields = {
        "agent_id": agent_id,
        "id": "report",
        "title": "Write the Q3 report",
        "assignee": "bob",
        "due_at": due.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M"),
        "time_zone": ZONE,
        "remind_before": "1h",
    }
    for name, value in fields.items():
        await page.fill(f'#assign [name="{name}"]', value)
    await page.click('#assign button[type="submit"]')
    return timedelta(days=2, hours=-1)


async def test_assign_in_the_browser_and_see_the_notification_after_the_clock_moves(
    browser: Browser, system: System, capsys: pytest.CaptureFixture[str]
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(WAIT * 1000)
    await page.goto(f"{system.agent.url}/console")
    await expect(page.locator("h1")).to_have_text("Reminder console")
    ahead = await assign_through_the_form(page, system, "ui-agent")
    await page.wait_for_url(f"{system.agent.url}/console")
    row = page.locator('[data-task="ui-agent/report"]')
    await expect(row).to_contain_text("Write the Q3 report")
    await expect(row).to_contain_text("open")
    await expect(row).to_contain_text(ZONE)
    await expect(page.locator("#timeline")).to_contain_text("ui-agent/report")
    await system.advance(seconds=ahead.total_seconds() + 60)
    note = page.locator('[data-notification="ui-agent:report:reminder:1"]')
    try:
        await expect(note).to_contain_text("delivered", timeout=WAIT * 1000)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{system.diagnostics()}") from None
    await page.screenshot(path=screenshot_path("console.png", capsys), full_page=True)


async def test_the_sidecar_page_shows_the_agents_jobs_and_actors(
    browser: Browser, system: System, capsys: pytest.CaptureFixture[str]
) -> None:
    page = await browser.new_page()
    page.set_default_timeout(WAIT * 1000)
    await page.goto(f"{system.agent.url}/console")
    await assign_through_the_form(page, system, "ops")
    await page.wait_for_url(f"{system.agent.url}/console")
    await page.goto(f"{system.agent_sidecar.url}/_sidecar/")
    await expect(page.locator("h1")).to_contain_text("pm-agent")
    await expect(page.locator("body")).to_contain_text("pm-reminder-ops--report")
    await expect(page.locator("body")).to_contain_text("ProjectManagementAgent")
    await expect(page.locator("body")).to_contain_text("state.sqlite")
    await page.screenshot(path=screenshot_path("sidecar.png", capsys), full_page=True)
