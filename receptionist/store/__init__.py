"""The store: every read and write the rest of the app makes, one room per part of the data, each method in its
own short transaction, plain records in and out (``receptionist.domain.models``)."""

from __future__ import annotations

from sqlalchemy import Engine

from receptionist.store.appointments import AppointmentStore
from receptionist.store.audit import AuditLog
from receptionist.store.base import StaleEdit
from receptionist.store.busy import BusyTime
from receptionist.store.callbacks import CallbackStore
from receptionist.store.calls import CallStore, ProposalStore
from receptionist.store.db import session_factory
from receptionist.store.health import HealthStore
from receptionist.store.holds import Holds
from receptionist.store.inbox import InboxStore
from receptionist.store.leases import Leases
from receptionist.store.on_call import OnCallShifts
from receptionist.store.links import LinkStore
from receptionist.store.outbox import OutboxStore
from receptionist.store.privacy import CallerData
from receptionist.store.provider_memory import ProviderMemoryStore
from receptionist.store.reliability import Reliability
from receptionist.store.remote_cache import RemoteCache
from receptionist.store.reports import Reports
from receptionist.store.texting import Texting


class Store:
    """The rooms over one database engine (SQLAlchemy's ``engine``), sharing one session factory."""

    def __init__(self, engine: Engine):
        self.engine = engine
        sessions = session_factory(engine)
        self.session = sessions
        self.calls = CallStore(sessions)
        self.proposals = ProposalStore(sessions)
        self.appointments = AppointmentStore(sessions)
        self.links = LinkStore(sessions)
        self.cache = RemoteCache(sessions)
        self.busy = BusyTime(sessions)
        self.holds = Holds(sessions)
        self.health = HealthStore(sessions)
        self.outbox = OutboxStore(sessions)
        self.audit = AuditLog(sessions)
        self.leases = Leases(sessions)
        self.inbox = InboxStore(engine, sessions)
        self.callbacks = CallbackStore(sessions)
        self.reports = Reports(sessions)
        self.texting = Texting(sessions)
        self.caller_data = CallerData(sessions)
        self.reliability = Reliability(sessions)
        self.provider_memory = ProviderMemoryStore(sessions)
        self.on_call = OnCallShifts(sessions)


__all__ = ["StaleEdit", "Store"]
