"""What the review pane shows below the proposal (:class:`CallFacts`): what else the caller said, with readable
labels, and one click away (Call details) the transcript, the recording links and the technical fields (ids, raw
times, platform keys, reason codes)."""

from __future__ import annotations

import html
from collections.abc import Callable
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QTextBrowser, QToolButton, QVBoxLayout, QWidget

from receptionist.domain.formatting import format_datetime, is_platform_key, readable_key
from receptionist.domain.models import CallRecord


class CallFacts:
    """The "Also captured" box, the Call details toggle and the details it folds (``toggled(bool)`` shows them)."""

    def __init__(self, toggled: Callable[[bool], None]):
        self.captured_box = QGroupBox("Also captured")
        form = QFormLayout(self.captured_box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.captured: dict[str, QLabel] = {}
        for key, label in (("message", "Caller's message"), ("custom", "Other answers")):
            self.captured[key] = value = text_label("", selectable=True)
            form.addRow(label, value)

        self.details_button = QToolButton()
        self.details_button.setObjectName("detailsToggle")
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setText("Call details: transcript, recording, ids")
        self.details_button.setAccessibleName("Show the call details")
        self.details_button.toggled.connect(toggled)
        self.details_box = QWidget()
        details = QVBoxLayout(self.details_box)
        details.setContentsMargins(0, 0, 0, 0)
        tech = QFormLayout()
        tech.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        for key, label in (("received", "Received"), ("requested", "Asked for"), ("reasons", "Reason codes"),
                           ("account", "Account id"), ("agent", "Agent"), ("platform", "Platform fields"),
                           ("recording", "Recording")):
            value = text_label("", selectable=True, rich=key in ("reasons", "recording"))
            if key == "recording":
                value.setOpenExternalLinks(True)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            self.captured[key] = value
            tech.addRow(label, value)
        details.addLayout(tech)
        self.transcript = QTextBrowser()
        self.transcript.setMinimumHeight(140)
        self.transcript.setOpenExternalLinks(False)
        self.transcript.setAccessibleName("Transcript")
        details.addWidget(self.transcript, 1)

    def fill(self, call: CallRecord, zone: ZoneInfo) -> None:
        c = self.captured
        c["received"].setText(f"{format_datetime(call.received_at, zone, with_zone=True)} via {call.platform}"
                              f" (call {call.call_id})")
        chips = " ".join(
            f'<span style="background-color:#e0e7ff; color:#3730a3;">&nbsp;{html.escape(code)}&nbsp;</span>'
            for code in call.reason_codes)
        c["reasons"].setText(chips or "—")
        c["account"].setText(call.account_id or "—")
        c["agent"].setText(call.agent_id or "—")
        asked = call.requested_start_raw or "—"
        if call.requested_start is not None:
            asked += f"  →  {format_datetime(call.requested_start, zone, with_zone=True)}"
        if call.callback_number_raw:
            asked += f"\nnumber said: {call.callback_number_raw}"
        c["requested"].setText(asked)
        c["message"].setText(call.message or "—")
        links = {k: v for k, v in call.custom_fields.items() if isinstance(v, str) and v.startswith("https://")}
        ours = {k: v for k, v in call.custom_fields.items() if not is_platform_key(k) and k not in links}
        theirs = {k: v for k, v in call.custom_fields.items() if is_platform_key(k) and k not in links}
        c["custom"].setText("\n".join(f"{readable_key(k)}: {_plain(v)}" for k, v in ours.items()) or "—")
        c["platform"].setText("\n".join(f"{k}: {_plain(v)}" for k, v in theirs.items()) or "—")
        c["recording"].setText(" · ".join(f'<a href="{html.escape(v)}">{html.escape(readable_key(k))}</a>'
                                          for k, v in links.items()) or "none was sent")
        lines = []
        for speaker, text in call.transcript:
            color = "#0f766e" if speaker.lower() in ("agent", "assistant", "ai", "bot") else "#1d4ed8"
            lines.append(f'<p style="margin:0 0 6px 0;"><b style="color:{color};">{html.escape(speaker.capitalize())}'
                         f':</b> {html.escape(text)}</p>')
        self.transcript.setHtml("".join(lines) or "<p style='color:#64748b;'>No transcript was sent.</p>")


def text_label(name: str, *, rich: bool = False, selectable: bool = True) -> QLabel:
    """A wrapping label (plain or rich text), selectable by mouse, named for the style sheet."""
    label = QLabel()
    if name:
        label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


__all__ = ["CallFacts", "text_label"]
