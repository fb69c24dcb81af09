"""The apps' API docs pages load everything from the app itself: they render offline."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

import agent
import notifier

_URL = re.compile(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""")
APPS: dict[str, Callable[[], FastAPI]] = {
    "agent": lambda: agent.create_app(agent.AgentSettings()),
    "notifier": lambda: notifier.create_app(notifier.NotifierSettings()),
}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
@pytest.mark.parametrize("name", sorted(APPS))
async def test_docs_page_references_only_local_urls_that_answer(name: str, page: str) -> None:
    transport = httpx.ASGITransport(app=APPS[name]())
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as client:
        html = await client.get(page)
        assert html.status_code == 200
        urls = _URL.findall(html.text)
        assert urls, html.text
        remote = [u for u in urls if not u.startswith("/")]
        assert remote == [], f"{page} loads from outside the app: {remote}"
        for url in urls:
            answer = await client.get(url)
            assert answer.status_code == 200, f"{url}: {answer.status_code}"
            assert answer.content, url
