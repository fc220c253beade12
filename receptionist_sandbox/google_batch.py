"""Batch requests to the Calendar v3 stand-in (``POST /batch/calendar/v3``), as Google documents them
(https://developers.google.com/calendar/api/guides/batch):

* The body is ``multipart/mixed``; each part is ``Content-Type: application/http`` (optionally with a
  ``Content-ID``) holding one HTTP request: a request line (a path, or a full URL), its headers and body.
* The outer request's headers, except its ``Content-*`` ones, apply to every call in the batch; a header a call
  carries itself overrides the outer one (googleapiclient puts each call's ``Authorization`` in the call).
* At most 50 calls in a batch; more, or a body that is not multipart, is a 400 for the whole batch.
* Each call is answered as it would be on its own — the same routes and the same fault rules, so a fault set on
  a path fails that call alone, with its own ``Retry-After`` — and counts as one request against the limits.
* The answer is 200 ``multipart/mixed``, one ``application/http`` part per call holding its HTTP response, with
  ``Content-ID: <response-…>`` (the call's own Content-ID inside the brackets), in the order of the calls.
"""

from __future__ import annotations

import email.parser
import email.policy
import uuid
from typing import Callable
from urllib.parse import urlsplit

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

MAX_CALLS = 50


class BatchRefused(Exception):
    """The whole batch is refused with 400 and this message."""


def _calls(outer: Request) -> list[tuple[str | None, str, str, dict[str, str], bytes]]:
    """(Content-ID, method, path with query, headers, body) of each call."""
    content_type = outer.headers.get("Content-Type", "")
    if not content_type.lower().startswith("multipart/mixed"):
        raise BatchRefused("A batch request must be multipart/mixed.")
    raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + outer.get_data()
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
    if not message.is_multipart():
        raise BatchRefused("A batch request must be multipart/mixed.")
    parts = message.get_payload()
    if len(parts) > MAX_CALLS:
        raise BatchRefused(f"A batch may hold at most {MAX_CALLS} calls; this one holds {len(parts)}.")
    calls = []
    for part in parts:
        if part.get_content_type() != "application/http":
            raise BatchRefused("Each part of a batch must be application/http.")
        text = part.get_payload(decode=False)
        head, _, body = text.replace("\r\n", "\n").partition("\n\n")
        request_line, _, header_text = head.partition("\n")
        try:
            method, target, _version = request_line.split(" ", 2)
        except ValueError:
            raise BatchRefused(f"Unreadable request line in a batch: {request_line!r}") from None
        headers = dict(email.parser.Parser(policy=email.policy.compat32).parsestr(header_text).items())
        split = urlsplit(target)
        path = split.path + (f"?{split.query}" if split.query else "")
        calls.append((part.get("Content-ID"), method.upper(), path, headers, body.encode("utf-8")))
    return calls


def _sub_request(outer: Request, method: str, path: str, headers: dict[str, str], body: bytes) -> Request:
    merged = {k: v for k, v in outer.headers.items()
              if not k.lower().startswith("content-") and k.lower() not in ("host", "transfer-encoding")}
    for key, value in headers.items():
        for existing in [k for k in merged if k.lower() == key.lower()]:
            del merged[existing]
        merged[key] = value
    builder = EnvironBuilder(path=path, method=method, headers=merged, data=body or None, base_url=outer.host_url)
    return Request(builder.get_environ())


def _http_part(content_id: str | None, response: Response) -> str:
    lines = [f"HTTP/1.1 {response.status_code} {HTTP_STATUS_CODES.get(response.status_code, '')}"]
    lines += [f"{k}: {v}" for k, v in response.headers.items() if k.lower() != "content-length"]
    part = ["Content-Type: application/http"]
    if content_id:  # <item1:x@example.com> → <response-item1:x@example.com>
        inner = content_id[1:-1] if content_id.startswith("<") and content_id.endswith(">") else content_id
        part.append(f"Content-ID: <response-{inner}>")
    return "\r\n".join(part) + "\r\n\r\n" + "\r\n".join(lines) + "\r\n\r\n" + response.get_data(as_text=True)


def answer_batch(outer: Request, answer: Callable[[Request], Response]) -> Response:
    """The batch's answer, each call answered by ``answer`` (the stand-in's own dispatch). Raises
    ``BatchRefused``."""
    parts = [_http_part(cid, answer(_sub_request(outer, method, path, headers, body)))
             for cid, method, path, headers, body in _calls(outer)]
    boundary = f"batch_{uuid.uuid4().hex}"
    text = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"
    return Response(text.encode("utf-8"), status=200, content_type=f"multipart/mixed; boundary={boundary}")
