"""Microsoft Graph JSON batching (``POST /v1.0/$batch``) for the Graph stand-in, as Microsoft documents it
(https://learn.microsoft.com/graph/json-batching):

* The body is ``{"requests": [...]}``, at most 20 of them. Each has ``id`` (a string, unique in the batch without
  regard to case), ``method``, ``url`` relative to the version root (``/me/events/…`` or ``me/events/…``, with its
  own query string), optional ``headers`` and, for a write, ``body`` — which needs a ``Content-Type`` among the
  request's ``headers``. Optional ``dependsOn``: ids of requests this one waits for; if one of them failed, this
  one is not run and answers 424 Failed Dependency.
* Each request is answered as it would be on its own: the outer request's ``Authorization`` (checked once for the
  batch: a bad token is a 401 for the whole batch) with the request's own ``headers`` (so ``Prefer`` applies per
  request, never from the envelope), through the same routes and the same fault rules — a fault set on a path
  (``stand_in.faults.add(Fault(status=429, retry_after=3), path=…)``) fails that request alone inside the batch,
  with ``Retry-After`` among *its* headers, as Graph throttles each request of a batch on its own.
* The answer is 200 with ``{"responses": [{"id", "status", "headers", "body"}]}``; the order of the responses is
  not the order of the requests ("the id property can be used to correlate individual requests and responses"):
  the stand-in shuffles them, and never answers two or more in the order asked. A JSON body comes back as JSON, an
  empty one (204) without ``body``.
* A malformed batch (not JSON, no ``requests``, more than 20, a request without ``id``/``method``/``url``, a
  repeated id, an absolute url, a body without ``Content-Type``, ``dependsOn`` naming no earlier request) is a 400
  for the whole batch (the error texts are the stand-in's own wording); a ``$batch`` inside a batch is a 400 for
  that request.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Callable

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

MAX_REQUESTS = 20


class BatchRefused(Exception):
    """The whole batch is refused with 400 (``BadRequest`` and this message)."""


def _requests_of(request: Request) -> list[dict]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        raise BatchRefused("Invalid batch payload format.")
    items = body["requests"]
    if not items:
        raise BatchRefused("Invalid batch payload format: the batch has no requests.")
    if len(items) > MAX_REQUESTS:
        raise BatchRefused(f"The batch has {len(items)} requests; at most {MAX_REQUESTS} are allowed.")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item.get(k)
                                                 for k in ("id", "method", "url")):
            raise BatchRefused("Each request in a batch needs an id, a method and a url.")
        if item["id"].casefold() in seen:
            raise BatchRefused(f"The batch has two requests with the id '{item['id']}'.")
        if item["url"].lower().startswith(("http://", "https://")):
            raise BatchRefused("A url in a batch is relative to the version root (for example /me/events).")
        headers = item.get("headers") or {}
        if "body" in item and not any(k.lower() == "content-type" for k in headers):
            raise BatchRefused(f"Request '{item['id']}' has a body but no Content-Type header.")
        for dep in item.get("dependsOn") or []:
            if str(dep).casefold() not in seen:
                raise BatchRefused(f"Request '{item['id']}' depends on '{dep}', which is not an earlier request.")
        seen.add(item["id"].casefold())
    return items


def _sub_request(outer: Request, item: dict, version_root: str) -> Request:
    url = item["url"] if item["url"].startswith("/") else "/" + item["url"]
    headers = {str(k): str(v) for k, v in (item.get("headers") or {}).items()}
    if outer.headers.get("Authorization"):
        headers["Authorization"] = outer.headers["Authorization"]
    data = None
    if "body" in item:
        data = json.dumps(item["body"]) if not isinstance(item["body"], str) else base64.b64decode(item["body"])
    builder = EnvironBuilder(path=version_root + url, method=item["method"].upper(), headers=headers, data=data,
                             base_url=outer.host_url)
    return Request(builder.get_environ())


def _as_item(item_id: str, response: Response) -> dict:
    out: dict = {"id": item_id, "status": response.status_code,
                 "headers": {k: v for k, v in response.headers.items() if k.lower() != "content-length"}}
    raw = response.get_data()
    if raw:
        if (response.mimetype or "").endswith("json"):
            out["body"] = json.loads(raw)
        else:
            out["body"] = base64.b64encode(raw).decode("ascii")
    return out


def answer_batch(outer: Request, version_root: str, answer: Callable[[Request], Response],
                 error: Callable[[int, str, str], Response], rng: random.Random) -> list[dict]:
    """The responses to a batch (shuffled), each request answered by ``answer`` (the stand-in's own dispatch) in
    the order given; ``error(status, code, message)`` renders a Graph error. Raises ``BatchRefused``."""
    items = _requests_of(outer)
    statuses: dict[str, int] = {}
    out = []
    for item in items:
        key = item["id"].casefold()
        failed = [d for d in item.get("dependsOn") or [] if statuses.get(str(d).casefold(), 0) >= 400]
        path = item["url"].split("?", 1)[0].rstrip("/").lower()
        if failed:
            response = error(424, "FailedDependency", f"The request depends on '{failed[0]}', which failed.")
        elif path.endswith("$batch"):
            response = error(400, "BadRequest", "A batch cannot hold another batch.")
        else:
            response = answer(_sub_request(outer, item, version_root))
        statuses[key] = response.status_code
        out.append(_as_item(item["id"], response))
    if len(out) > 1:
        shuffled = out[:]
        while shuffled == out:
            rng.shuffle(shuffled)
        out = shuffled
    return out
