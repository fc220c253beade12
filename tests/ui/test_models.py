"""The Qt item models, with plain records and no widgets; each one through qtmodeltester."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from receptionist.domain.models import (
    AppointmentRow,
    AppointmentStatus,
    LinkBadge,
    SyncState,
)
from receptionist.services.context import location_rules
from receptionist.ui.models import AppointmentTableModel, table_rows
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload
from tests.helpers.ui import badge_column

pytestmark = pytest.mark.gui

T0 = datetime(2026, 11, 24, 16, 30, tzinfo=timezone.utc)  # 10:30 AM in Chicago


def record_calls(store, profile, clock, *overrides):
    out = []
    for kw in overrides:
        out.append(store_payload(store, payload(**kw), location_rules(profile), clock()))
        clock.advance(minutes=3)
    return list(reversed(out))  # newest first, like desk.bookings.calls()


def link(link_id, calendar, state, error=None):
    return LinkBadge(link_id, calendar, state, error, 1 if error else 0, None,
                     T0 if state is SyncState.SYNCED else None)


def appointment(appt_id, start, *links):
    return AppointmentRow(appt_id, start, start + timedelta(minutes=45), "Maria Lopez", "+13125550142",
                          "Teeth cleaning", AppointmentStatus.CONFIRMED, links=links)


def test_appointment_table_model(qtmodeltester, profile):
    model = AppointmentTableModel(profile.location.zone, [("google:primary", "Google Calendar"),
                                                          ("outlook:default", "Outlook")])
    qtmodeltester.check(model)
    rows = [
        appointment("a1", T0, link(1, "google:primary", SyncState.SYNCED),
                    link(2, "outlook:default", SyncState.FAILED, "Outlook: 503 — retrying at 11/23/2026")),
        appointment("a2", T0 + timedelta(days=1), link(3, "google:primary", SyncState.CONFLICT)),
    ]
    model.set_rows(rows)
    qtmodeltester.check(model)
    C = AppointmentTableModel.Column
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "When", "Caller", "Phone", "Service", "Status", "Google Calendar", "Outlook"]
    assert model.data(model.index(0, C.WHEN)) == "11/24/2026 10:30 AM"
    assert model.data(model.index(0, C.PHONE)) == "(312) 555-0142"
    g, o = badge_column(model, "google:primary"), badge_column(model, "outlook:default")
    assert model.data(model.index(0, g)) == "Synced"
    assert model.data(model.index(0, o)) == "Failed"
    assert model.data(model.index(0, o), Qt.ItemDataRole.ToolTipRole) == (
        "Outlook: Failed\nOutlook: 503 — retrying at 11/23/2026.")
    assert model.data(model.index(0, C.STATUS)) == "Booked"
    assert isinstance(model.data(model.index(0, o), Qt.ItemDataRole.DecorationRole), QColor)
    assert model.data(model.index(0, o), Qt.ItemDataRole.BackgroundRole) != model.data(
        model.index(0, g), Qt.ItemDataRole.BackgroundRole)
    assert model.data(model.index(1, g)) == "Conflict"
    assert model.data(model.index(1, o)) == "—"  # no link to that calendar
    assert model.data(model.index(0, o), model.Role.LINK).id == 2
    assert model.data(model.index(0, o), model.Role.SYNC_STATE) is SyncState.FAILED
    assert [x.id for x in model.links_of_row(0)] == [1, 2]

    # same appointments: in-place update, no reset
    resets, changed = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b, roles=(): changed.append((a.row(), b.row())))
    fixed = [replace(rows[0], links=(rows[0].links[0], replace(rows[0].links[1], state=SyncState.PENDING,
                                                                      last_error=None))), rows[1]]
    model.set_rows(fixed)
    assert not resets and changed == [(0, 1)]
    assert model.data(model.index(0, o)) == "Pending"

    # a link to a calendar no longer connected gets its own column
    orphan = appointment("a3", T0, link(9, "google:old", SyncState.FAILED, "calendar google:old is not "
                                        "connected"))
    model.set_rows(fixed + [orphan])
    qtmodeltester.check(model)
    assert model.columnCount() == 8 and model.data(model.index(2, 7)) == "Failed"

    # cancelled appointments stay listed, struck through, with the reason in the tooltip
    gone = replace(fixed[1], status=AppointmentStatus.CANCELLED, cancel_reason="caller is ill")
    model.set_rows([fixed[0], gone])
    qtmodeltester.check(model)
    assert model.data(model.index(1, C.STATUS)) == "Cancelled"
    assert model.data(model.index(1, C.SERVICE), Qt.ItemDataRole.FontRole).strikeOut()
    assert model.data(model.index(0, C.SERVICE), Qt.ItemDataRole.FontRole) is None
    assert "Cancelled: caller is ill" in model.data(model.index(1, C.WHEN), Qt.ItemDataRole.ToolTipRole)
    model.set_rows([])
    qtmodeltester.check(model)
    assert model.rowCount() == 0


def test_rows_made_ready_on_the_worker_reuse_the_rows_shown(qtmodeltester, profile):
    """A refresh's rows are made ready on the worker (``table_rows``): each row equal to the one shown is that very
    object, so the GUI thread frees only what changed; the model then sets them without walking them."""
    model = AppointmentTableModel(profile.location.zone, [("google:primary", "Google Calendar")])
    rows = [appointment(f"a{n}", T0 + timedelta(hours=n), link(n, "google:primary", SyncState.SYNCED))
            for n in range(3)]
    model.set_rows(table_rows(rows))
    again = [replace(r) for r in rows]  # equal copies, as the next read returns them
    again[1] = replace(again[1], caller_name="Ann Lee")
    ready = table_rows(again, model.shown())
    assert ready.rows[0] is rows[0] and ready.rows[2] is rows[2] and ready.rows[1] is again[1]
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.set_rows(ready)
    qtmodeltester.check(model)
    C = AppointmentTableModel.Column
    assert not resets and model.data(model.index(1, C.CALLER)) == "Ann Lee"
    assert model.states() == {SyncState.SYNCED}
    model.replace_rows([replace(again[0], links=(link(0, "google:primary", SyncState.FAILED),))])
    assert model.states() == {SyncState.SYNCED, SyncState.FAILED}
    assert model.appointment_of_link(2).id == "a2" and model.row_of("a1") == 1 and model.row_of("zz") == -1
    # columns of known format are sized from their widest text, never by asking every row
    assert model.widest_text(C.WHEN) == "12/28/2026 10:48 PM"
    assert model.widest_text(C.PHONE) == "(888) 888-8888"
    assert model.widest_text(badge_column(model, "google:primary")) == "Reconnect"
    assert model.widest_text(C.CALLER) is None and model.widest_text(C.SERVICE) is None
