"""Reading platform JSON defensively, and finding our fields among the names a business gave its extraction.

Platforms let each business name its extracted fields ("customer_name", "appointmentTime", "Phone Number"...);
``pick_fields`` finds ours among them by a list of usual names, and keeps everything else as custom fields.
Every getter here returns ``None`` for a value of the wrong type instead of raising: a platform payload is
authentic but not trusted to be well-formed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from receptionist.domain.payload import CustomValue

# Usual names of each of our fields, already normalised (lower case, words joined by "_").
ALIASES: dict[str, tuple[str, ...]] = {
    "caller_name": ("caller_name", "name", "customer_name", "full_name", "patient_name", "client_name",
                    "contact_name", "user_name", "lead_name", "caller"),
    "callback_number": ("callback_number", "call_back_number", "callback_phone", "phone", "phone_number",
                        "callback", "contact_number", "best_number", "caller_phone", "customer_phone",
                        "patient_phone", "mobile", "mobile_number", "telephone", "user_phone"),
    "service": ("service", "service_type", "service_requested", "requested_service", "appointment_type",
                "treatment", "reason_for_visit", "visit_reason", "procedure", "service_name"),
    "requested_start": ("requested_start", "appointment_datetime", "appointment_date_time", "requested_datetime",
                        "requested_date_time", "preferred_datetime", "preferred_date_time", "date_time",
                        "datetime", "start_time", "start", "appointment_start", "appointment_time",
                        "requested_time", "preferred_time", "appointment", "when", "time_slot", "slot"),
    "date": ("appointment_date", "requested_date", "preferred_date", "date", "day"),
    "time": ("time", "time_of_day", "preferred_time_of_day"),
    "duration_minutes": ("duration_minutes", "duration", "length_minutes", "appointment_length"),
    "account_id": ("account_id", "customer_id", "patient_id", "account_number", "member_id"),
    "message": ("message", "notes", "note", "comments", "message_for_staff", "special_requests"),
    "intent": ("intent", "call_intent", "caller_intent", "call_reason", "reason_for_call", "purpose",
               "call_purpose", "request_type", "call_type", "call_category", "category", "reason"),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ALIAS_INDEX = {alias: ours for ours, aliases in ALIASES.items() for alias in aliases}
MAX_FIELDS = 200


def norm_key(key: str) -> str:
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)  # appointmentTime → appointment_Time
    return re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")


def dig(value: Any, *path: str | int) -> Any:
    """``value[path0][path1]...`` or ``None`` when any step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return None
        elif not isinstance(value, dict):
            return None
        value = value[step] if isinstance(step, int) else value.get(step)
    return value


def text(value: Any) -> str | None:
    """A string without control characters (NUL & co.), or a number shown as one; anything else is ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value) if value == value and abs(value) < 1e18 else None
    if isinstance(value, str):
        value = _CONTROL.sub("", value)
        return value if value.strip() else None
    return None


def first_text(*values: Any) -> str | None:
    for value in values:
        found = text(value)
        if found is not None:
            return found
    return None


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) < 1e15:
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,6}\s*", value):
        return int(value)
    return None


def from_unix(value: Any, *, milliseconds: bool | None = None) -> datetime | None:
    """Unix seconds or milliseconds (guessed by size when not said) → aware UTC, or ``None``."""
    if isinstance(value, str) and re.fullmatch(r"\d{1,16}(\.\d+)?", value.strip()):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    seconds = value / 1000 if (milliseconds or (milliseconds is None and value > 1e11)) else value
    if not 0 < seconds < 4_102_444_800:  # 1970 .. 2100
        return None
    return datetime.fromtimestamp(seconds, timezone.utc)


def from_iso(value: Any) -> datetime | None:
    """ISO 8601 with an offset → aware UTC; naive or unreadable → ``None``."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    raw = value.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None or not 1971 <= parsed.year <= 2099:
        return None
    return parsed.astimezone(timezone.utc)


def flatten(mapping: Mapping, prefix: str = "", depth: int = 0) -> Iterable[tuple[str, Any]]:
    """Nested extraction results flattened to (key, scalar) pairs: {"caller": {"name": x}} → ("caller_name", x)."""
    count = 0
    for key, value in mapping.items():
        if not isinstance(key, str):
            continue
        name = f"{prefix}_{norm_key(key)}" if prefix else norm_key(key)
        if isinstance(value, dict) and depth < 3:
            yield from flatten(value, name, depth + 1)
        elif not isinstance(value, (dict, list)):
            yield name, value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value[:20]):
            yield name, ", ".join(value[:20])
        count += 1
        if count >= MAX_FIELDS:
            return


def pick_fields(*sources: Mapping | None) -> tuple[dict[str, str], dict[str, CustomValue]]:
    """Our fields (raw text) from the sources, first source first; the remaining scalars as custom fields."""
    picked: dict[str, str] = {}
    rank: dict[str, int] = {}
    custom: dict[str, CustomValue] = {}
    for source in sources:
        if not isinstance(source, Mapping):
            continue
        for key, value in flatten(source):
            ours = _ALIAS_INDEX.get(key)
            shown = text(value)
            if ours and shown is not None:
                order = ALIASES[ours].index(key)
                if ours not in picked or order < rank[ours]:
                    picked[ours], rank[ours] = shown, order
                continue
            if len(custom) < 50 and (value is None or isinstance(value, (str, int, float, bool))):
                custom.setdefault(key[:60], value)
    start = picked.get("requested_start")
    day = picked.pop("date", None)
    at = picked.pop("time", None)
    if start is None and (day or at):
        start = " ".join(p for p in (day, at) if p)
    elif start is not None and day and not re.search(r"\d{4}-\d{2}-\d{2}|/|[a-z]{3,}", start.lower()):
        start = f"{day} {start}"  # "appointment_date": "Dec 3", "appointment_time": "2pm"
    if start is not None:
        picked["requested_start"] = start
    return picked, custom


def turns(items: Any, *, role_keys=("role", "speaker", "user"), text_keys=("message", "content", "text"),
          skip_roles=("system", "tool", "tool_calls", "tool_call_result", "function", "agent-action",
                      "robot")) -> tuple[tuple[str, str], ...]:
    """A platform's list of transcript turns → ((speaker, text), ...), with tool and system turns left out."""
    out: list[tuple[str, str]] = []
    for item in as_list(items)[:2000]:
        if not isinstance(item, dict):
            continue
        role = first_text(*(item.get(k) for k in role_keys)) or "unknown"
        said = first_text(*(item.get(k) for k in text_keys))
        if said is None or role.lower() in skip_roles:
            continue
        out.append((speaker_name(role), said))
    return tuple(out)


def speaker_name(role: str) -> str:
    role = role.strip().lower()
    if role in ("user", "customer", "human", "caller", "client"):
        return "caller"
    if role in ("bot", "assistant", "agent", "ai"):
        return "agent"
    return role[:40] or "unknown"


def transcript_from_text(value: Any) -> tuple[tuple[str, str], ...]:
    """ "agent: Hi\\nuser: I need..." → turns; lines without a speaker continue the previous turn."""
    raw = text(value)
    if raw is None:
        return ()
    out: list[list[str]] = []
    for line in raw.splitlines()[:4000]:
        line = line.strip()
        if not line:
            continue
        m = re.match(r"^(agent|ai|bot|assistant|user|human|caller|customer)\s*:\s*(.*)$", line, re.I)
        if m:
            out.append([speaker_name(m[1]), m[2]])
        elif out:
            out[-1][1] += " " + line
        else:
            out.append(["unknown", line])
    return tuple((who, said) for who, said in out)
