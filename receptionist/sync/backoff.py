"""When to try a failed write again.

Exponential backoff with "half jitter": the delay is uniform in [c/2, c] with c = min(cap, base * 2**attempt),
so many desks failing together do not retry together yet attempts keep a minimum spacing (full jitter, from 0,
could retry at once); a ``Retry-After`` from the service is a floor. The first retry comes 5-10 s after a failure
(a dropped connection is retried soon), and five failures take at least 2.5 minutes, so a passing outage of a
minute does not spend a link's attempts.  The retry state lives in the database (``calendar_links.next_attempt_at``), not in a
sleeping thread, which is why an in-process retry library (tenacity) does not fit here.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def retry_delay(attempt: int, *, retry_after: float | None = None, base: float = 10.0, cap: float = 900.0,
                rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt number ``attempt + 1`` (``attempt`` ≥ 1 failures so far)."""
    rng = rng or random
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    delay = rng.uniform(ceiling / 2, ceiling)  # half-jitter keeps a minimum spacing between attempts
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return min(delay, max(cap, retry_after or 0.0))


def next_attempt(now: datetime, attempt: int, retry_after: float | None = None,
                 rng: random.Random | None = None) -> datetime:
    return now + timedelta(seconds=retry_delay(attempt, retry_after=retry_after, rng=rng))
