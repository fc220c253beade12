"""How a caller wants to be reached, read from what the AI agent captured: whether a confirmation may be texted.

A caller who "prefers a phone call", said "please don't text me", or whose agent filled a contact-method field with
"phone call" gets no confirmation SMS unless a person decides otherwise. Structured fields win over the summary's
words (the business configured the agent to fill them); the words are read with a little care ("doesn't mind a
text" is not a refusal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# keys of a custom field that names how to reach the caller, normalised ("Preferred_Contact" → "preferred contact")
_METHOD_KEY = re.compile(r"\b(contact|reach|notify|notification|confirm|confirmation)\b.*\b(method|preference|"
                         r"via|by|channel|mode)\b|\bprefer\w*\b|\bcontact\b")
_CALL_VALUE = re.compile(r"^(call|phone|phone call|voice|voice call|telephone|by phone|a call)$")
_TEXT_VALUE = re.compile(r"^(sms|text|texts|text message|message|any|either|email)$")
# boolean custom fields that, when true, say the caller must not be texted
_OPT_OUT_KEY = re.compile(r"\b(sms|text|texts|texting)\b.*\b(opt ?out|opted out|declined|no|off)\b|"
                          r"\b(opt ?out|opted out|no|do not|dont)\b.*\b(sms|text|texts|texting)\b")

_PREFERS_CALL = re.compile(
    r"\b(prefers?|preferred|prefer(?:s|red)? to (?:get|receive|have)|would rather(?: have| get)?|wants?|asked for|"
    r"would like|'d like|requests?|requested)"
    r"\s+(?:a |to get a |to receive a |to be given a )?(?:phone |telephone )?call(?:back)?\b(?!\s+(?:back )?(?:or|and) "
    r"(?:a )?text)|"
    r"\bprefers? (?:to be|being) (?:called|phoned|rung)\b|"
    r"\bcall (?:her|him|them|me) (?:instead|rather)\b|"
    r"\brather than (?:a )?(?:text|sms)\b|"
    r"\binstead of (?:a )?(?:text|sms)\b")
_NO_TEXT = re.compile(
    r"\b(?:do not|don'?t|does not|doesn'?t|did not|didn'?t|please don'?t|no)\s+(?:want (?:any |a )?)?"
    r"(?:text|texts|texting|sms|text messages?)\b(?! is fine)|"
    r"\b(?:can'?t|cannot|unable to) (?:receive|get|read) (?:texts|sms|text messages?)\b|"
    r"\b(?:opted out of|unsubscribed from) (?:texts|sms|text messages?)\b|"
    r"\bno cell\b|\blandline\b")
_FINE_WITH_TEXT = re.compile(r"\b(?:doesn'?t|does not|don'?t|do not) mind (?:a )?(?:text|sms)\b|"
                             r"\btext (?:is|would be) (?:fine|ok|okay|great)\b")


@dataclass(frozen=True)
class ContactPreference:
    """Whether a confirmation may be texted; ``reason`` says why not, quoting where it was read."""

    text_ok: bool
    reason: str | None = None


TEXT_OK = ContactPreference(True)


def _norm(value: str) -> str:
    return re.sub(r"[^a-z0-9']+", " ", value.lower()).strip()


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return _norm(str(value)) in ("true", "yes", "y", "1", "opted out", "opt out")


def _from_fields(custom_fields: dict) -> ContactPreference | None:
    for key, value in custom_fields.items():
        name = _norm(str(key))
        if _OPT_OUT_KEY.search(name) and _truthy(value):
            return ContactPreference(False, f"the caller opted out of texts ({key}: {value})")
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and _METHOD_KEY.search(name):
            said = _norm(str(value))
            if _CALL_VALUE.match(said):
                return ContactPreference(False, f"the caller prefers a phone call ({key}: {value})")
            if _TEXT_VALUE.match(said):
                return TEXT_OK
    return None


def _from_words(label: str, text: str | None) -> ContactPreference | None:
    if not text:
        return None
    lowered = text.lower()
    if _FINE_WITH_TEXT.search(lowered):
        return None
    for pattern, what in ((_NO_TEXT, "does not want texts"), (_PREFERS_CALL, "prefers a phone call")):
        found = pattern.search(lowered)
        if found:
            return ContactPreference(False, f"the caller {what} (the {label} says “{found.group(0).strip()}”)")
    return None


def contact_preference(summary: str | None, message: str | None, custom_fields: dict) -> ContactPreference:
    """Whether the caller may be texted a confirmation: the agent's structured fields first, then the words of
    the summary and of the caller's message."""
    return (_from_fields(custom_fields) or _from_words("summary", summary) or _from_words("message", message)
            or TEXT_OK)


__all__ = ["ContactPreference", "TEXT_OK", "contact_preference"]
