"""AI call simulator: stands in for the voice-agent platform that answers the phone.

Each simulated call becomes one booking payload (schema v1), signed like the real integration
(``receptionist.ingest.signing``) and POSTed to the console's webhook.  The business is a dental & wellness
clinic; callers, services, times, transcripts and summaries are varied but always agree with each other.

About one call in eight (``defect_rate``) carries a defect the front desk has to fix by hand, as real calls do:

* ``short_number``: the callback number lost digits (``555-0142``, ``312-555-014``);
* ``after_hours``: the requested time is outside opening hours;
* ``sunday``: the requested day is a Sunday (the clinic is closed);
* ``missing_service``: the caller never said what the visit is for (``service`` is null).

``last_defect`` names the defect of the last payload made (None for a clean one).  With a ``seed`` and a fixed
``now`` the sequence of payloads is reproducible.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from datetime import date, datetime, time as dtime, timedelta, timezone
from typing import Callable, Sequence
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import requests

from receptionist.ingest.signing import signed_headers

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
PLATFORM = "simulator"
AGENT_ID = "frontdesk-agent-1"
DEFECTS = ("short_number", "after_hours", "sunday", "missing_service")

FIRST_NAMES = [
    "Maria", "James", "Aisha", "Wei", "Priya", "Daniel", "Sofia", "Marcus", "Olivia", "Tomasz", "Keisha", "Hiroshi",
    "Fatima", "Liam", "Gabriela", "Andre", "Noor", "Ethan", "Mei", "Carlos", "Hannah", "Oluwaseun", "Grace",
    "Rahul", "Emily", "Dmitri", "Yasmin", "Benjamin", "Lucia", "Kwame", "Chloe", "Javier", "Amara", "Nathan",
    "Ingrid", "Tyrone", "Leila", "Patrick", "Rosa", "Samuel",
]
LAST_NAMES = [
    "Gonzalez", "O'Brien", "Okafor", "Zhang", "Patel", "Kowalski", "Johnson", "Nguyen", "Rivera", "Schmidt",
    "Washington", "Tanaka", "Haddad", "Murphy", "Castillo", "Novak", "Abernathy", "Kim", "Mensah", "Fitzgerald",
    "Ramirez", "Lindqvist", "Hassan", "Brooks", "Moreno", "Petrov", "Adeyemi", "Sullivan", "Chen", "Delgado",
    "Whitaker", "Das", "Romano", "Jackson", "Nakamura", "Baptiste", "Hughes", "Said", "Kaur", "Larsen",
]
AREA_CODES = ["312", "773", "872", "630", "708", "847", "224", "331", "815", "219"]
INSURERS = [
    "Delta Dental PPO", "Cigna Dental", "MetLife Dental", "Aetna DMO", "Guardian Dental", "Humana Dental",
    "Blue Cross Blue Shield of Illinois", "UnitedHealthcare Dental", "Self-pay",
]
# (name, spoken phrase, durations that fit the visit)
SERVICES = [
    ("Teeth cleaning", "a teeth cleaning", (45, 60)),
    ("Dental exam & X-rays", "a dental exam with X-rays", (45,)),
    ("New patient consultation", "a new patient consultation", (60,)),
    ("Consultation", "a consultation", (30,)),
    ("Filling", "a filling", (45, 60)),
    ("Teeth whitening", "a teeth whitening session", (60,)),
    ("Crown fitting", "a crown fitting", (60,)),
    ("Root canal consultation", "a root canal consultation", (30,)),
    ("Orthodontic consultation", "an orthodontic consultation", (30, 45)),
    ("Invisalign check-in", "an Invisalign check-in", (30,)),
    ("Emergency dental visit", "an emergency visit", (30, 45)),
    ("Massage therapy", "a massage therapy session", (60,)),
    ("Nutrition counseling", "a nutrition counseling session", (45,)),
    ("Acupuncture", "an acupuncture session", (45, 60)),
]
_URGENT_SERVICES = {"Emergency dental visit", "Filling", "Root canal consultation"}
_NEW_PATIENT_SERVICES = {"New patient consultation", "Dental exam & X-rays", "Teeth cleaning", "Consultation"}

# primary reason, weight
_PRIMARY = [("new_booking", 55), ("reschedule", 25), ("cancel", 12), ("urgent", 8)]


def _spoken_time(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def _spoken_day(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}"


def _merged(turns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Join consecutive lines by the same speaker into one turn."""
    out: list[tuple[str, str]] = []
    for speaker, text in turns:
        if out and out[-1][0] == speaker:
            out[-1] = (speaker, f"{out[-1][1]} {text}")
        else:
            out.append((speaker, text))
    return out


def spoken_when(moment: datetime) -> str:
    """How the agent reads a local time back: ``Tuesday, November 24 at 10:30 AM``."""
    return f"{_spoken_day(moment.date())} at {_spoken_time(moment)}"


class CallSimulator:
    """Makes realistic booking payloads and POSTs them, signed, to the console's webhook.

    Args:
        post_url: the webhook URL (the console's ingest endpoint).
        secret: the shared signing secret.
        time_zone: the location's IANA zone; requested times are local to it.
        interval: (lo, hi) seconds between calls when running in the background.
        seed: makes the payloads (and intervals) reproducible.
        now: returns the current instant (aware); defaults to the system clock.
        open_hour, close_hour: opening hours (local, 24 h) that clean requests fall within.
        defect_rate: share of calls carrying one of ``defects``.
        business_name: what the agent answers the phone with.
        timeout: HTTP timeout for each POST.
        platform: which platform to speak (``voice_platforms.PLATFORMS``): ``generic`` posts our v1 payload;
            the others post that platform's own payload, signed as it signs, to ``post_url`` (its route).
        live_updates: before each call's report, post the platform's "call in progress" event (Vapi
            status-update, Retell call_started, Twilio in-progress) so the console shows it live.
    """

    def __init__(self, post_url: str, secret: str, *, time_zone: str = "America/Chicago",
                 interval: tuple[float, float] = (20.0, 40.0), seed: int | None = None,
                 now: Callable[[], datetime] | None = None, open_hour: int = 8, close_hour: int = 18,
                 defect_rate: float = 0.125, defects: Sequence[str] = DEFECTS,
                 business_name: str = "Demo Dental & Wellness", timeout: float = 10.0, platform: str = "generic",
                 live_updates: bool = False):
        lo, hi = interval
        if lo < 0 or hi < lo:
            raise ValueError("interval must be (lo, hi) with 0 <= lo <= hi")
        if not 0 <= open_hour < close_hour <= 24:
            raise ValueError("need 0 <= open_hour < close_hour <= 24")
        if not 0.0 <= defect_rate <= 1.0:
            raise ValueError("defect_rate must be between 0 and 1")
        unknown = set(defects) - set(DEFECTS)
        if unknown or not defects:
            raise ValueError(f"defects must be a non-empty subset of {DEFECTS}")
        from receptionist_sandbox.voice_platforms import PLATFORMS

        if platform not in PLATFORMS:
            raise ValueError(f"platform must be one of {PLATFORMS}")
        self.post_url = post_url
        self.secret = secret
        self.platform = platform
        self.live_updates = live_updates
        self.last_call = None  # the last PlatformCall posted (its platform call id, caller id...)
        self.zone = ZoneInfo(time_zone)
        self.interval = (float(lo), float(hi))
        self.open_hour = open_hour
        self.close_hour = close_hour
        self.defect_rate = defect_rate
        self.defects = tuple(defects)
        self.business_name = business_name
        self.timeout = timeout
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._rng = random.Random(seed)
        self._interval_rng = random.Random(None if seed is None else seed ^ 0x5EED)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._session = requests.Session()
        host = urlparse(post_url).hostname or ""
        self._session.trust_env = host not in {"127.0.0.1", "localhost", "::1"}
        self.sent = 0  # calls the receiver accepted (2xx)
        self.failed = 0  # calls refused (non-2xx) or not delivered (network error)
        self.last_defect: str | None = None
        self.last_result: tuple[int, object] | None = None
        self.last_error: str | None = None

    # ------------------------------------------------------------------ payloads

    def make_payload(self) -> dict:
        """One realistic call (schema v1). Sets ``last_defect``."""
        with self._lock:
            payload, defect = self._make(self._rng)
            self.last_defect = defect
            return payload

    def _make(self, rng: random.Random) -> tuple[dict, str | None]:
        now = self._now()
        if now.tzinfo is None:
            raise ValueError("now() must return an aware datetime")
        defect = rng.choice(self.defects) if rng.random() < self.defect_rate else None
        if defect == "after_hours" and self.open_hour < 1 and self.close_hour > 23:
            defect = "sunday"  # open around the clock: no hour is outside opening hours

        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        primary = rng.choices([r for r, _ in _PRIMARY], weights=[w for _, w in _PRIMARY])[0]
        if primary == "urgent":
            service, phrase, durations = rng.choice([s for s in SERVICES if s[0] in _URGENT_SERVICES])
            reasons = ["new_booking", "urgent"]
            new_patient = rng.random() < 0.3
        else:
            new_patient = primary == "new_booking" and rng.random() < 0.35
            pool = [s for s in SERVICES if s[0] in _NEW_PATIENT_SERVICES] if new_patient else SERVICES
            service, phrase, durations = rng.choice(pool)
            reasons = [primary]
        extra = rng.random()
        if extra < 0.15:
            reasons.append("question")
        elif extra < 0.22 and not new_patient:
            reasons.append("billing")
        account_id = None if new_patient or rng.random() < 0.15 else f"ACC-{rng.randint(10000, 99999)}"
        insurance = rng.choice(INSURERS)
        preferred = "sms" if rng.random() < 0.7 else "call"
        duration = rng.choice(durations)
        if self.close_hour - self.open_hour < 1:
            duration = 30

        number = self._phone(rng, short=(defect == "short_number"))
        local_start = self._requested_local(rng, duration, defect)
        requested = self._format_start(rng, local_start)
        when = spoken_when(local_start)
        call_end = now - timedelta(seconds=rng.randint(5, 180))
        shown_service = None if defect == "missing_service" else service
        visit = "an appointment" if shown_service is None else phrase

        spoken, message = self._message(rng, reasons, insurance, phrase if shown_service else None)
        transcript = self._transcript(rng, reasons, first, last, visit, when, number, preferred, spoken,
                                      local_start, new_patient)
        summary = self._summary(rng, reasons, name, phrase if shown_service else None, when, insurance, preferred,
                                new_patient)

        payload = {
            "schema_version": SCHEMA_VERSION,
            "call_id": f"sim-{rng.getrandbits(128):032x}",
            "platform": PLATFORM,
            "timestamp": call_end.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "caller": {"name": name, "callback_number": number, "account_id": account_id},
            "reason_codes": reasons,
            "service": shown_service,
            "requested_start": requested,
            "duration_minutes": duration,
            "message": message,
            "summary": summary,
            "transcript": transcript,
            "agent_id": AGENT_ID,
            "custom_fields": {"insurance": insurance, "preferred_contact": preferred, "new_patient": new_patient},
        }
        return payload, defect

    @staticmethod
    def _phone(rng: random.Random, *, short: bool) -> str:
        area, line = rng.choice(AREA_CODES), f"01{rng.randint(0, 99):02d}"
        digits = f"{area}555{line}"
        if short:
            kind = rng.randrange(3)
            if kind == 0:
                return f"555-{line}"  # no area code
            if kind == 1:
                return f"{area}-555-{line[:3]}"  # last digit lost
            return f"({area}) 555-{line[1:]}"  # a digit dropped
        return rng.choice([
            f"({area}) 555-{line}",
            f"{area}-555-{line}",
            f"+1 {area} 555 {line}",
            digits,
            f"{area}.555.{line}",
            f"+1{digits}",
        ])

    def _requested_local(self, rng: random.Random, duration: int, defect: str | None) -> datetime:
        today = self._now().astimezone(self.zone).date()
        if defect == "sunday":
            sundays = [today + timedelta(days=d) for d in range(1, 15) if (today + timedelta(days=d)).weekday() == 6]
            day = rng.choice(sundays[:2])
        else:
            days, d = [], 1
            while len(days) < 10:
                candidate = today + timedelta(days=d)
                if candidate.weekday() < 5:
                    days.append(candidate)
                d += 1
            day = rng.choice(days)
        if defect == "after_hours":
            early = [m for m in range(max(0, self.open_hour - 2) * 60, self.open_hour * 60, 15)]
            late = list(range(self.close_hour * 60, min(24, self.close_hour + 2) * 60, 15))
            minutes = rng.choice(early + late)
        else:
            latest = self.close_hour * 60 - duration
            slots = list(range(self.open_hour * 60, latest + 1, 15)) or [self.open_hour * 60]
            minutes = rng.choice(slots)
        return datetime.combine(day, dtime(minutes // 60, minutes % 60), tzinfo=self.zone)

    @staticmethod
    def _format_start(rng: random.Random, local_start: datetime) -> str:
        roll = rng.random()
        if roll < 0.75:
            return local_start.replace(tzinfo=None).isoformat(timespec="seconds")  # local, no offset
        if roll < 0.95:
            return local_start.isoformat(timespec="seconds")  # local with its UTC offset
        return local_start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    @staticmethod
    def _message(rng: random.Random, reasons: list[str], insurance: str, service: str | None) -> tuple[str, str]:
        """(what the caller said, what the agent passes on to the front desk)."""
        if "urgent" in reasons:
            options = [
                ("I chipped a front tooth last night and it really hurts with anything cold.",
                 "Chipped a front tooth last night; sensitive to cold. Wants the earliest possible slot."),
                ("My lower left molar has been throbbing since Sunday, ibuprofen is barely helping.",
                 "Lower left molar throbbing since Sunday; ibuprofen barely helping."),
                ("I lost a filling while eating and there's a sharp edge cutting my tongue.",
                 "Lost a filling while eating; a sharp edge is cutting the tongue."),
                ("My jaw on the upper right side has been swelling since this morning. Should I go to urgent care?",
                 "Swelling along the upper right jaw since this morning. Asked whether to go to urgent care."),
            ]
        elif "cancel" in reasons:
            options = [
                ("I have a work trip that week, I'll call back to rebook.",
                 "Has a work trip that week and will call back to rebook."),
                ("I'm not feeling well and don't want to come in sick.",
                 "Feeling unwell and does not want to come in sick."),
                ("My childcare fell through. Could you put me on the waitlist for next month?",
                 "Childcare fell through; asked to be put on the waitlist for next month."),
                ("I'm moving to a clinic closer to my new job, could you send my records over?",
                 "Switching to a clinic closer to a new job; asked for records to be sent over."),
            ]
        elif "reschedule" in reasons:
            options = [
                ("The old time clashes with school pickup, so afternoons after two are better from now on.",
                 "Original time clashes with a school pickup; afternoons after 2 work better going forward."),
                ("I don't mind seeing a different hygienist, whoever is free.",
                 "Fine with any hygienist, whoever is free."),
                ("Could I get a reminder text the day before?", "Would like a reminder text the day before."),
                ("Do you still validate parking for the garage on Elm Street?",
                 "Asked whether parking in the Elm Street garage is still validated."),
            ]
        else:
            options = [
                ("Could I get a reminder text the day before?", "Would like a reminder text the day before."),
                ("I'd prefer Dr. Patel if she's available, otherwise anyone is fine.",
                 "Prefers Dr. Patel if available, otherwise anyone."),
                ("I get pretty nervous at the dentist. Do you offer nitrous oxide?",
                 "Nervous about dental visits; asked if nitrous oxide is offered."),
                ("I'll bring my insurance card, could you check my coverage beforehand?",
                 "Will bring the insurance card; please check coverage beforehand."),
                ("I have a sensitive tooth on the upper right, could someone look at that too?",
                 "Has a sensitive tooth on the upper right that should be looked at too."),
                ("Is there step-free access from the parking lot? I use a walker.",
                 "Uses a walker; asked whether there is step-free access from the parking lot."),
                ("Mornings before eleven usually suit me best.", "Mornings before 11 suit best in general."),
            ]
        spoken, passed = rng.choice(options)
        if "question" in reasons:
            topic = service or "the visit"
            if insurance == "Self-pay":
                spoken += f" Also, what does {topic} cost if I pay myself?"
                passed += f" Also asked what {topic} costs for self-pay patients."
            else:
                spoken += f" Also, does {insurance} cover {topic}?"
                passed += f" Also asked whether {insurance} covers {topic}."
        if "billing" in reasons:
            spoken += " And I think I was charged twice for my last visit, could someone check?"
            passed += " Thinks the last visit was charged twice and would like someone to check the statement."
        return spoken, passed

    def _transcript(self, rng, reasons, first, last, visit, when, number, preferred, spoken, local_start,
                    new_patient) -> list[dict]:
        turns: list[tuple[str, str]] = [
            ("agent", f"Thank you for calling {self.business_name}, this is the virtual front desk. "
                      "How can I help you today?"),
        ]
        mine = "my " + visit.split(" ", 1)[1]  # "a teeth cleaning" -> "my teeth cleaning"
        if "cancel" in reasons:
            turns.append(("caller", f"Hi, I need to cancel {mine} on {when}."))
            turns.append(("agent", "I can help with that. Can I get your full name, please?"))
            turns.append(("caller", f"It's {first} {last}."))
            turns.append(("agent", f"Thanks, {first}. I've noted the cancellation of your {mine[3:]} on {when}."))
        elif "reschedule" in reasons:
            old = local_start + timedelta(days=rng.choice([-7, -3, -2, -1, 1, 2, 7]))
            if old.date() <= self._now().astimezone(self.zone).date():
                old = local_start + timedelta(days=7)
            turns.append(("caller", f"Hi, this is {first} {last}. I need to move {mine} on "
                                    f"{_spoken_day(old.date())}."))
            turns.append(("agent", f"Of course, {first}. What day and time would work better?"))
            turns.append(("caller", f"Could we do {when}?"))
            turns.append(("agent", f"I've noted a request to move your {mine[3:]} to {when}."))
        else:
            if "urgent" in reasons:
                turns.append(("caller", f"Hi, I have a dental problem and need {visit} as soon as "
                                        "possible."))
            else:
                turns.append(("caller", f"Hi, I'd like to book {visit}." + (" I'm a new patient." if new_patient else "")))
            turns.append(("agent", "I can help with that. May I have your full name?"))
            turns.append(("caller", f"Sure, it's {first} {last}."))
            turns.append(("agent", f"Thanks, {first}. What day and time work for you?"))
            turns.append(("caller", f"How about {when}?"))
            turns.append(("agent", f"I've noted {visit} on {when}. The front desk will confirm it."))
        optional: list[list[tuple[str, str]]] = [
            [("agent", "What's the best number to reach you?"), ("caller", f"You can reach me at {number}.")],
            [("agent", "Is there anything you'd like me to pass on to the team?"), ("caller", spoken)],
            [("agent", "Would you prefer a text message or a phone call to confirm?"),
             ("caller", "A text is fine." if preferred == "sms" else "A phone call, please.")],
        ]
        closing = ("agent", rng.choice(["Thank you for calling. Have a great day!",
                                        "Thanks for calling, we'll be in touch shortly. Goodbye!",
                                        "You're all set on my end. Take care!"]))
        for pair in optional:
            if rng.random() < 0.75:
                candidate = _merged(turns + pair + [closing])
                if len(candidate) <= 10:
                    turns = turns + pair
        return [{"speaker": speaker, "text": text} for speaker, text in _merged(turns + [closing])]

    @staticmethod
    def _summary(rng, reasons, name, phrase, when, insurance, preferred, new_patient) -> str:
        first = name.split()[0]
        who = f"{name} ({'new patient' if new_patient else 'existing patient'})"
        visit = phrase or "an appointment (visit type not given)"
        if "cancel" in reasons:
            head = f"{who} called to cancel {visit} on {when}."
        elif "reschedule" in reasons:
            head = f"{who} asked to reschedule {visit} to {when}."
        elif "urgent" in reasons:
            head = f"{who} reported a dental problem and asked for {visit} on {when}, the earliest time offered."
        else:
            head = rng.choice([f"{who} called to book {visit} on {when}.",
                               f"{who} would like {visit} on {when}."])
        contact = "a text" if preferred == "sms" else "a phone call"
        tail = rng.choice([f" Insurance: {insurance}; {first} prefers {contact} to confirm.",
                           f" {first} has {insurance} and would like {contact} to confirm."
                           if insurance != "Self-pay" else f" {first} is self-pay and would like {contact} to confirm."])
        if "billing" in reasons:
            tail += " Also raised a billing question about a possible double charge."
        elif "question" in reasons:
            tail += " Also asked a coverage/cost question."
        return head + tail

    # ------------------------------------------------------------------ sending

    def post_one(self) -> tuple[int, object]:
        """Make one call, sign it as the platform signs, POST it. Returns (HTTP status, parsed JSON answer or None).

        Network errors (``requests.RequestException``) propagate.
        """
        payload = self.make_payload()
        if self.platform == "generic":
            body = json.dumps(payload).encode("utf-8")
            return self._post(payload["call_id"], body, signed_headers(self.secret, int(time.time()), body))
        from receptionist_sandbox.voice_platforms import PlatformCall

        call = PlatformCall.from_v1(self.platform, payload)
        self.last_call = call
        if self.live_updates and self.platform in ("vapi", "retell", "twilio"):
            self.post_platform(call, "live", upto=2, count=False)
        return self.post_platform(call, "ended")

    def book_by_tools(self, tools_url: str, day: str | None = None,
                      service: str | None = None) -> tuple[dict, dict | None]:
        """A caller on ``self.platform`` (vapi or retell) booking mid-call, as the agent does it: the agent calls
        ``check_availability`` at ``tools_url`` for the day and service asked (``day`` / ``service``, else the
        generated call's) and, when it is offered times, ``book_appointment`` for the first one with the caller's
        name and number.
        Returns (the check's answer, the booking's answer or None when nothing was offered)."""
        from receptionist_sandbox.voice_platforms import call_tool

        payload = self.make_payload()
        caller = payload["caller"]
        service = service or payload["service"]
        asked = day or (payload["requested_start"] or "")[:10] or None
        now = self._now()
        status, offered = call_tool(tools_url, self.platform, self.secret, payload["call_id"], "check_availability",
                                    {"service": service, "date": asked}, now=now, timeout=self.timeout)
        if status != 200 or not offered.get("slots"):
            return offered, None
        status, booked = call_tool(tools_url, self.platform, self.secret, payload["call_id"], "book_appointment",
                                   {"service": service, "start": offered["slots"][0]["start"],
                                    "caller_name": caller["name"], "callback_number": caller["callback_number"]},
                                   now=now, timeout=self.timeout)
        return offered, booked

    def post_platform(self, call, event: str = "ended", *, upto: int | None = None,
                      count: bool = True) -> tuple[int, object]:
        """POST one of ``call``'s deliveries (``voice_platforms.render``) signed as its platform signs."""
        from receptionist_sandbox.voice_platforms import render, sign

        body, extra = render(call, event, upto=upto)
        headers = sign(call.platform, self.secret, body, url=self.post_url, call_id=call.call_id,
                       form=extra.get("form"))
        return self._post(call.call_id, body, headers, count=count)

    def _post(self, call_id: str, body: bytes, headers: dict, count: bool = True) -> tuple[int, object]:
        try:
            answer = self._session.post(self.post_url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException:
            self.failed += 1
            raise
        finally:
            if not self.running:  # a call posted by hand: no socket is kept open for a loop that is not running
                self._session.close()
        try:
            parsed: object = answer.json()
        except ValueError:
            parsed = None
        if 200 <= answer.status_code < 300:
            self.sent += count
        else:
            self.failed += 1
            log.warning("simulated call %s refused: HTTP %s %s", call_id, answer.status_code, answer.text[:200])
        self.last_result = (answer.status_code, parsed)
        return answer.status_code, parsed

    def start(self) -> "CallSimulator":
        """Post one call every random ``interval`` seconds in a background thread until ``stop()``."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="call-simulator", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        lo, hi = self.interval
        while not self._stop.wait(self._interval_rng.uniform(lo, hi)):
            try:
                self.post_one()
            except requests.RequestException as exc:
                self.last_error = str(exc)
                log.warning("simulated call not delivered to %s: %s", self.post_url, exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None
        self._session.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> "CallSimulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
