"""``providers.http.read_ahead``: a listing's pages in order, the next asked for while the caller reads the one
before, a failure raised where its page would have been read."""

from __future__ import annotations

import threading

import pytest

from receptionist.errors import RateLimited
from receptionist.providers.http import read_ahead


def test_pages_come_in_order_and_the_next_is_asked_for_while_the_caller_reads():
    asked: list[int] = []
    second_asked = threading.Event()

    def fetch(n: int) -> dict:
        asked.append(n)
        if n == 2:
            second_asked.set()
        return {"n": n, "next": n + 1 if n < 3 else None}

    pages = read_ahead(fetch, 1, lambda page: page["next"])
    first = next(pages)
    assert first["n"] == 1
    assert second_asked.wait(10)  # asked for while the caller still holds page 1
    assert [page["n"] for page in pages] == [2, 3]
    assert asked == [1, 2, 3]


def test_a_failure_is_raised_where_its_page_would_be_read():
    def fetch(n: int) -> dict:
        if n == 2:
            raise RateLimited("slow down", status=429, retry_after=5)
        return {"n": n}

    pages = read_ahead(fetch, 1, lambda page: page["n"] + 1)
    assert next(pages)["n"] == 1
    with pytest.raises(RateLimited) as caught:
        next(pages)
    assert caught.value.retry_after == 5


def test_a_link_refused_by_next_of_stops_the_listing_there():
    def next_of(page: dict):
        raise ValueError("a next-page link to another host")

    pages = read_ahead(lambda n: {"n": n}, 1, next_of)
    with pytest.raises(ValueError, match="another host"):
        next(pages)
