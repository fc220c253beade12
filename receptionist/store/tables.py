"""Tables (SQLAlchemy 2 typed ORM). Alembic migrations in ``migrations/`` must match these exactly (a test checks).

Instants are stored as UTC: ``UTCDateTime`` writes naive UTC on SQLite (which has no zone type) and
``timestamptz`` on PostgreSQL, and always hands back aware UTC datetimes.
Rows that two desks may edit at once carry a ``version`` column (SQLAlchemy ``version_id_col``), so a stale
write fails with ``StaleDataError`` instead of silently overwriting (no lost updates on a shared PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC instant")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect):
        """On SQLite, the whole bind in one step: SQLAlchemy's own SQLite ``DATETIME`` text
        (``YYYY-MM-DD HH:MM:SS.ffffff``) written by ``isoformat`` in C rather than a ``%`` format of seven fields.
        A bulk write of 10,000 cached events binds 30,000 instants; this halves what binding them costs."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        to_naive_utc = self.process_bind_param

        def process(value: datetime | None) -> str | None:
            return None if value is None else to_naive_utc(value, dialect).isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (UniqueConstraint("platform", "call_id", name="uq_calls_platform_call_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    call_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    caller_name: Mapped[str | None] = mapped_column(String(200))
    callback_number: Mapped[str | None] = mapped_column(String(20))
    callback_number_raw: Mapped[str | None] = mapped_column(String(40))
    account_id: Mapped[str | None] = mapped_column(String(200))
    reason_codes: Mapped[list] = mapped_column(JSON, default=list)
    service: Mapped[str | None] = mapped_column(String(200))
    requested_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_start_raw: Mapped[str | None] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[list] = mapped_column(JSON, default=list)
    agent_id: Mapped[str | None] = mapped_column(String(200))
    custom_fields: Mapped[dict] = mapped_column(JSON, default=dict)
    issues: Mapped[list] = mapped_column(JSON, default=list)
    payload: Mapped[dict] = mapped_column(JSON)
    # issue 6 (durable intake): what the platform adapters add to a capture
    intent: Mapped[str] = mapped_column(String(16), default="book", server_default="book")
    caller_id_number: Mapped[str | None] = mapped_column(String(20), index=True)
    raw_fields: Mapped[dict] = mapped_column(JSON, default=dict)
    inbox_id: Mapped[int | None] = mapped_column(Integer)  # the delivery this call was mapped from
    # where the call ended in the conversion funnel, and its appointment's start (``store/funnel.py``): read by the
    # report's SQL only, never loaded with a call
    funnel: Mapped[str | None] = mapped_column(String(16), deferred=True)
    funnel_at: Mapped[datetime | None] = mapped_column(UTCDateTime, deferred=True)

    proposal: Mapped["BookingProposal | None"] = relationship(back_populates="call", uselist=False)


class BookingProposal(Base):
    __tablename__ = "booking_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_row_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(200))
    callback_number: Mapped[str | None] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(200))
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    issues: Mapped[list] = mapped_column(JSON, default=list)
    resource: Mapped[str | None] = mapped_column(String(80))  # the resource the rule picked when it was checked
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    appointment_id: Mapped[str | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    call: Mapped[Call] = relationship(back_populates="proposal")
    __mapper_args__ = {"version_id_col": version}


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_window", "start_at", "end_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex: also the remote event uid
    caller_name: Mapped[str | None] = mapped_column(String(200))
    callback_number: Mapped[str | None] = mapped_column(String(20))
    account_id: Mapped[str | None] = mapped_column(String(200))
    service: Mapped[str | None] = mapped_column(String(200))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[str | None] = mapped_column(String(128))
    # A person's edit on a calendar that staff took ("Take theirs"): it replaces the title/description made
    # from the location's template, on every calendar, until staff edit those fields here.
    title_override: Mapped[str | None] = mapped_column(String(500))
    description_override: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    caller_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the caller replied C to a reminder
    attendance: Mapped[str | None] = mapped_column(String(16))  # Attendance: attended / no-show; None = not marked
    attendance_by: Mapped[str | None] = mapped_column(String(200))
    attendance_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resource: Mapped[str | None] = mapped_column(String(80))  # the chair, room or person it takes; None: the location

    links: Mapped[list["CalendarLink"]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", order_by="CalendarLink.calendar"
    )
    __mapper_args__ = {"version_id_col": version}


class CalendarLink(Base):
    """The sync status row of one (appointment, calendar): what we last wrote there and confirmed by reading back.

    ``content_hash`` is the hash of the event as read back after our last good write (the plan's ``have``);
    ``detail`` holds what a person needs to decide a Drift/Conflict (the field-by-field difference)."""

    __tablename__ = "calendar_links"
    __table_args__ = (
        UniqueConstraint("appointment_id", "calendar", name="uq_calendar_links_appointment_calendar"),
        Index("ix_calendar_links_due", "state", "next_attempt_at"),
        Index("ix_calendar_links_state_calendar", "state", "calendar"),  # attention counts
        Index("ix_calendar_links_calendar_state", "calendar", "state"),  # the plan's candidates, attention counts
        Index("ix_calendar_links_calendar_remote", "calendar", "remote_id"),  # remote copy → link
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    calendar: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(16))
    remote_id: Mapped[str | None] = mapped_column(String(1024))
    etag: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[dict | None] = mapped_column(JSON)
    # Bumped each time the event is re-created after a deletion (Keep ours): the create's idempotency key
    # changes with it, since Graph refuses a transactionId already used for a deleted event.
    generation: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    appointment: Mapped[Appointment] = relationship(back_populates="links")


class SyncCursor(Base):
    __tablename__ = "sync_cursors"

    calendar: Mapped[str] = mapped_column(String(120), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProviderMemory(Base):
    """What a provider remembers across restarts beyond the cursor (CalDAV: the occurrences last reported per
    series as of each recent cursor, our events seen deleted, a refused sync-collection), one document per scope."""

    __tablename__ = "provider_memory"

    scope: Mapped[str] = mapped_column(String(500), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class OnCallShift(Base):
    """A shift read from the shared on-call calendar (``availability.on_call_calendar``) by the sync leader's
    refresh: who is on call from ``start_at`` to ``end_at``, and the phone to transfer to ("" when none is known)."""

    __tablename__ = "on_call_shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar: Mapped[str] = mapped_column(String(500))
    person: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OnCallRefresh(Base):
    """The last refresh of an on-call calendar: when one last succeeded, the last attempt and its error, and what
    the events got wrong (sentences)."""

    __tablename__ = "on_call_refreshes"

    calendar: Mapped[str] = mapped_column(String(500), primary_key=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list] = mapped_column(JSON, default=list)
    shifts: Mapped[int] = mapped_column(Integer, default=0)


class ExternalEvent(Base):
    """The remote cache: every event the pulls read from a calendar, with its etag and our fields, so the sync plan
    can compare the calendar's copy with what we wrote (and the week view shows busy time). Ours are recognised by
    ``uid``."""

    __tablename__ = "external_events"
    __table_args__ = (Index("ix_external_events_window", "start_at", "end_at"),
                      Index("ix_external_events_long", "long_span", "start_at"))

    calendar: Mapped[str] = mapped_column(String(120), primary_key=True)
    remote_id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(500), default="")
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    long_span: Mapped[bool] = mapped_column(Boolean, default=False)  # longer than the store's LONG_EVENT
    busy: Mapped[bool] = mapped_column(Boolean, default=True)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    uid: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarHealth(Base):
    """How each calendar is doing, shared by every desk on the database: whether it takes writes (``gate``), until
    when it is paused, the last good pull, the last error, the mass-deletion hold and the last reconciliation."""

    __tablename__ = "calendar_health"

    calendar: Mapped[str] = mapped_column(String(120), primary_key=True)
    gate: Mapped[str] = mapped_column(String(16), default="open")
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_missing: Mapped[int] = mapped_column(Integer, default=0)  # >0: mass-deletion guard holds writes
    reconciled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reconcile_report: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """Work owed to the outside world, written in the same transaction as the change that owes it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "done_at", "available_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set before the provider is asked to send: after a crash, a row with sending_at and no done_at is checked
    # with the provider before it is sent again (so an SMS is never sent twice).
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_id: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appointment_id: Mapped[str | None] = mapped_column(String(64), index=True)  # the texts of an appointment


class SmsStatus(Base):
    """Twilio's latest delivery status of a text we sent (its status callback), by MessageSid: kept apart from the
    outbox row, so a callback that comes before the send's own answer is recorded is not lost."""

    __tablename__ = "sms_statuses"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Lease(Base):
    """A named lease (the sync leader): held by one desk until it expires or is renewed."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- durable intake (issue 6) ---------------------------------------------------------------------------------------


class InboxDelivery(Base):
    """A delivery exactly as it came in (raw bytes, headers, URL), written before it is acknowledged.

    ``state``: ``pending`` (not mapped yet: a crash leaves it here and the next start maps it), ``done``,
    ``quarantined`` (could not be mapped; ``reason`` says why; Replay or Discard), ``discarded``.
    One row per (platform, dedupe key): a platform's retry of the same delivery finds the row and changes nothing.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "dedupe_key", name="uq_inbox_platform_dedupe_key"),
        Index("ix_inbox_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(16))  # webhook | poll | file
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    url: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    call_row_id: Mapped[int | None] = mapped_column(Integer)


class LiveCall(Base):
    """A call in progress, from the platforms' status updates; ``ended_at`` set when it ended."""

    __tablename__ = "live_calls"

    platform: Mapped[str] = mapped_column(String(40), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    caller_id_number: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transcript: Mapped[list] = mapped_column(JSON, default=list)


class SlotHold(Base):
    """A slot offered to a caller, held for that call for a few minutes (``booked``: until the booking it became
    is decided). Other callers and the desk see it as busy; it stops counting when it expires, when the call ended
    without booking, or when its booking was approved (the appointment counts then) or rejected."""

    __tablename__ = "slot_holds"
    __table_args__ = (Index("ix_slot_holds_window", "start_at", "end_at"),
                      Index("ix_slot_holds_call", "platform", "call_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    call_id: Mapped[str] = mapped_column(String(128))
    service: Mapped[str | None] = mapped_column(String(200))
    resource: Mapped[str | None] = mapped_column(String(80))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    booked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PollCursor(Base):
    """Where each polling source (``vapi``, ``retell``, ``elevenlabs``) left off."""

    __tablename__ = "poll_cursors"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- the callback desk (issue 19) -----------------------------------------------------------------------------------


class Callback(Base):
    """A call that needs a person to call back (``domain/callbacks.py`` says which and by when): open until a
    person records its outcome. One per call; a booking rejected later turns the call's callback into a
    rejection's (the reason in ``note``)."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_open_due", "done_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_row_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assignee: Mapped[str | None] = mapped_column(String(80))
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    called_by: Mapped[str | None] = mapped_column(String(80))
    call_sid: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16))
    appointment_id: Mapped[str | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # what the AI last told the caller (``domain.callbacks.ai_told``), kept when the callback is made: the list
    # shows it without reading the call's transcript
    told: Mapped[str | None] = mapped_column(Text)

    call: Mapped[Call] = relationship()
    __mapper_args__ = {"version_id_col": version}


class Reminder(Base):
    """A reminder queued in the outbox for one appointment at one start time (a moved appointment gets another;
    the unique key stops two desks queueing the same one)."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("appointment_id", "start_at", name="uq_reminders_appointment_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outbox_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SmsOptOut(Base):
    """A number that replied STOP (``stopped``) or START again: honoured by every text the desk sends."""

    __tablename__ = "sms_opt_outs"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    stopped: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SmsReply(Base):
    """A text a caller sent the business number (Twilio's inbound webhook), and what the desk did with it."""

    __tablename__ = "sms_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(16))
    appointment_id: Mapped[str | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"))


class WriteOutcome(Base):
    """One write to a calendar settled: Synced (``ok``) or a failed attempt, with when its change was made
    (``owed_at``): the error budget's events (``domain/reliability.py``). Kept 8 days."""

    __tablename__ = "write_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar: Mapped[str] = mapped_column(String(120))
    appointment_id: Mapped[str] = mapped_column(String(32))
    owed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delay_seconds: Mapped[float] = mapped_column(Float)  # settled_at - owed_at, counted in SQL against the budget
    ok: Mapped[bool] = mapped_column(Boolean)


class ConnectionMark(Base):
    """When this desk first tracked a connection and when it was last signed in (the sign-in forecast)."""

    __tablename__ = "connection_marks"

    connection: Mapped[str] = mapped_column(String(120), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HealthAlert(Base):
    """An alert about one connection (a fast or slow budget burn, a silent platform, a failing check): one open
    alert per ``key`` (de-duplicated), acknowledged and resolved by a person (audited), cleared when the condition
    ends, escalated by SMS to the owners when nobody acknowledged it in time."""

    __tablename__ = "health_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    connection: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(24))  # the failure state (runbook entry)
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_by: Mapped[str | None] = mapped_column(String(80))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    texted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    text_error: Mapped[str | None] = mapped_column(Text)


class SampleAudit(Base):
    """The daily sample audit of one calendar: Synced events read back one by one, and what differed."""

    __tablename__ = "sample_audits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked: Mapped[int] = mapped_column(Integer)
    mismatched: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)



class WebhookRefusal(Base):
    """Deliveries the webhook refused at the door (bad signature, too large, no adapter, busy), counted per minute
    and source (the platform the path named), by whichever desk listens: every desk's health view, ``doctor`` and the
    refusal-spike alert read them here. One row per minute and source, its count added to by an upsert
    (``store/reliability.py``), so a flood of refusals is a few rows, never one per refusal."""

    __tablename__ = "webhook_refusals"

    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


# a caller's history ("returning caller, last visit ...") is looked up by number when a call is opened
Index("ix_calls_callback_number", Call.callback_number)
Index("ix_appointments_callback_number", Appointment.callback_number)
# the audit log read by person (the owner's filter)
Index("ix_audit_log_actor_at", AuditEntry.actor, AuditEntry.at)
# the error budget's windows per calendar, the last audit per calendar
Index("ix_write_outcomes_calendar_settled", WriteOutcome.calendar, WriteOutcome.settled_at)
Index("ix_sample_audits_calendar_at", SampleAudit.calendar, SampleAudit.at)
# who is on call at an instant (the on-call calendar's shifts)
Index("ix_on_call_shifts_calendar_start", OnCallShift.calendar, OnCallShift.start_at)
# deliveries per platform and hour against the usual (silence)
Index("ix_inbox_platform_received", InboxDelivery.platform, InboxDelivery.received_at)
# the conversion report (store/reports.py) reads a year of calls through this index alone: each call's day, reason,
# platform and where it ended in the funnel (store/funnel.py), never the wide rows (transcripts, payloads)
Index("ix_calls_funnel", Call.received_at, Call.intent, Call.platform, Call.funnel, Call.funnel_at)
