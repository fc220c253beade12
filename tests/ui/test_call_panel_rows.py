"""The call list's rows: drawn once and copied while their call is unchanged, drawn again when it changes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage, QRegion
from PySide6.QtWidgets import QListView

from receptionist.domain.models import ProposalStatus
from receptionist.services.context import location_rules
from receptionist.ui.call_list import CallItemDelegate, CallListModel
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload

pytestmark = pytest.mark.gui


def grab(view: QListView) -> QImage:
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32)
    view.viewport().render(image, QPoint(), QRegion(), view.viewport().RenderFlag.DrawChildren)
    return image


@pytest.fixture
def call(store, profile, clock):
    return store_payload(store, payload(), location_rules(profile), clock())


def list_of(qtbot, model: CallListModel, delegate: CallItemDelegate) -> QListView:
    view = QListView()
    view.setModel(model)
    view.setItemDelegate(delegate)
    view.resize(480, 200)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_a_row_is_drawn_again_when_its_call_changes(qtbot, profile, clock, call):
    model = CallListModel(profile.location.zone, now=clock)
    model.set_rows([call])
    view = list_of(qtbot, model, CallItemDelegate())
    pending = grab(view)
    assert grab(view) == pending  # copied: the same row
    approved = replace(call, proposal=replace(call.proposal, status=ProposalStatus.APPROVED,
                                              version=call.proposal.version + 1))
    model.upsert([approved])
    shown = grab(view)
    assert shown != pending
    fresh = CallListModel(profile.location.zone, now=clock)
    fresh.set_rows([approved])
    assert grab(list_of(qtbot, fresh, CallItemDelegate())) == shown  # as a delegate that never saw it draws it
