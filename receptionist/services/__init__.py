"""Everything a person can do at the desk, one capability per module over one immutable ``DeskContext``:

- ``checks``: a booking draft against the booking rules and busy time;
- ``bookings``: the calls and a person's decision on each proposal;
- ``appointments``: what the views list, and reschedule / edit / cancel;
- ``sync_decisions``: Retry, Keep ours / Take theirs, the mass-deletion answer;
- ``health``: each connection's state, Reconnect, reconciliation on demand, ``status``;
- ``intake``: quarantine, a saved delivery handed in, the calls in progress;
- ``callers``: a number as written, and what the desk knows of its caller;
- ``wording``: the words a caller reads;
- ``settings``: a saved profile taken into the running desk.
- ``availability``: free times and why a time is refused (the desk, the command line, the AI agent's tools);
- ``callbacks``: the callback desk (the calls that need a person, Call back, Done with an outcome);
- ``people``: who is at the desk, and the audit log owners read;
- ``reports``: the conversion funnel (calls → proposals → confirmed → kept);
- ``watch``: each connection against its error budget, its alerts, the daily sample audit.
- ``on_call``: who is on call now or at a time (the AI agent's ``who_is_on_call`` tool, the ``on-call`` command).
- ``texts``: the texts sent about an appointment and how far each got (Twilio's status callbacks).

``Desk`` holds them all for the command line and the tests; each window view is handed only those it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from receptionist.services.appointments import Appointments, WeekView
from receptionist.services.availability import Availability
from receptionist.services.bookings import ApprovalPlan, Bookings, CallReview
from receptionist.services.callbacks import CallbackDesk, Callbacks
from receptionist.services.callers import Callers
from receptionist.services.checks import Checks
from receptionist.services.context import DeskContext
from receptionist.services.health import CalendarHealth, CalendarStatus, HealthSnapshot, SignIn
from receptionist.services.intake import IntakeDesk
from receptionist.services.on_call import OnCallDesk
from receptionist.services.people import People
from receptionist.services.reports import Reports
from receptionist.services.settings import Applied, DeskSettings
from receptionist.services.sync_decisions import Discrepancy, SyncDecisions
from receptionist.services.watch import Connection, ConnectionWatch, HealthReport
from receptionist.services.texts import Texts
from receptionist.services.wording import Wording

if TYPE_CHECKING:
    from receptionist.config import Profile
    from receptionist.ingest.intake import Intake
    from receptionist.ingest.receiver import WebhookReceiver
    from receptionist.sync.engine import SyncEngine


class Desk:
    """The capabilities of one desk over one context."""

    def __init__(self, ctx: DeskContext, *, engine: "SyncEngine | None" = None, intake: "Intake | None" = None,
                 webhook: "WebhookReceiver | None" = None, sign_in: SignIn | None = None,
                 is_leader: Callable[[], bool] = lambda: False,
                 reconfigure: "Callable[[Profile], Applied] | None" = None):
        self.context = ctx
        self.checks = Checks(ctx)
        self.wording = Wording(ctx)
        self.callers = Callers(ctx)
        self.bookings = Bookings(ctx, self.checks, self.wording, self.callers)
        self.appointments = Appointments(ctx, self.checks, self.wording)
        self.sync = SyncDecisions(ctx, self.appointments, self.wording)
        self.health = CalendarHealth(ctx, engine=engine, webhook=webhook, sign_in=sign_in, is_leader=is_leader,
                                     takes_deliveries=intake is not None)
        self.intake = IntakeDesk(ctx, intake, self.callers, webhook)
        self.on_call = OnCallDesk(ctx, engine)
        self.watch = ConnectionWatch(ctx, self.health, engine=engine, messenger=engine.messenger if engine else None,
                                     on_call=self.on_call)
        self.settings = DeskSettings(ctx, reconfigure)
        self.availability = Availability(ctx, self.on_call)
        self.callbacks = Callbacks(ctx)
        self.people = People(ctx)
        self.reports = Reports(ctx)
        self.texts = Texts(ctx)


# the records the window shows, with the capabilities that return them
__all__ = ["Applied", "ApprovalPlan", "CalendarStatus", "CallbackDesk", "CallReview", "Connection", "Desk",
           "DeskContext", "Discrepancy", "HealthReport", "HealthSnapshot", "WeekView"]
