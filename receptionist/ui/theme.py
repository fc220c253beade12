"""The console's look: its style sheet, and the colours and small painting helpers shared by the views, so a state
looks the same everywhere."""

from __future__ import annotations

import logging

from PySide6.QtGui import QColor

from receptionist.paths import resource

from receptionist.domain.models import ProposalStatus, Severity, SyncState

log = logging.getLogger(__name__)


def load_stylesheet() -> str:
    """The console's style sheet (``resources/style/console.qss``), or "" (the platform look) when it is missing."""
    path = resource("style", "console.qss")
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        log.warning("stylesheet %s is missing; using the platform look", path)
        return ""


SYNC_COLORS: dict[SyncState, str] = {
    SyncState.SYNCED: "#15803d",
    SyncState.PENDING: "#b45309",
    SyncState.FAILED: "#dc2626",
    SyncState.CONFLICT: "#be185d",
    SyncState.DRIFT: "#0e7490",  # cyan: unlike Pending's amber at a glance
    SyncState.RECONNECT: "#6d28d9",
}
SYNC_BACKGROUNDS: dict[SyncState, str] = {
    SyncState.SYNCED: "#dcfce7",
    SyncState.PENDING: "#fef3c7",
    SyncState.FAILED: "#fee2e2",
    SyncState.CONFLICT: "#fce7f3",
    SyncState.DRIFT: "#cffafe",
    SyncState.RECONNECT: "#ede9fe",
}

PROPOSAL_COLORS: dict[ProposalStatus, str] = {
    ProposalStatus.PENDING: "#1d4ed8",
    ProposalStatus.APPROVED: "#15803d",
    ProposalStatus.REJECTED: "#6b7280",
}

SEVERITY_COLORS: dict[Severity | None, str] = {
    None: "#15803d",
    Severity.WARNING: "#b45309",
    Severity.ERROR: "#dc2626",
}
SEVERITY_MARKS: dict[Severity | None, str] = {None: "✓", Severity.WARNING: "⚠", Severity.ERROR: "✗"}

APPOINTMENT_COLOR = "#0f766e"  # our bookings
CALENDAR_COLORS = {"google": "#2563eb", "outlook": "#7c3aed", "caldav": "#c2410c"}
OTHER_CALENDAR_COLOR = "#64748b"
NOW_COLOR = "#dc2626"
ON_CALL_COLOR, ON_CALL_FILL = "#be185d", "#fdf2f8"  # who is on call: the band's stripe and name, its shade

HEALTH_COLORS = {"ok": "#15803d", "pending": "#b45309", "error": "#dc2626", "off": "#6b7280"}


def calendar_color(calendar_key: str) -> QColor:
    """``google:primary`` → the Google colour; unknown kinds get slate."""
    kind = calendar_key.split(":", 1)[0]
    return QColor(CALENDAR_COLORS.get(kind, OTHER_CALENDAR_COLOR))


def sync_color(state: SyncState) -> QColor:
    return QColor(SYNC_COLORS[state])


def sync_background(state: SyncState) -> QColor:
    return QColor(SYNC_BACKGROUNDS[state])


def worst(severities) -> Severity | None:
    """ERROR beats WARNING beats nothing."""
    found = set(severities)
    if Severity.ERROR in found:
        return Severity.ERROR
    if Severity.WARNING in found:
        return Severity.WARNING
    return None
