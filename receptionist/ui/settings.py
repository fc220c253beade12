"""File → Settings…: every option of the location profile, generated from its declarations in ``config.py`` (so
a new option appears here by itself, with its help text), plus the secrets, which go to the OS keyring only.

Saving writes the user profile; the console applies it at its next start (it is composed once, at start).
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from pathlib import Path

import annotated_types
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from receptionist import onboarding
from receptionist.config import Profile
from receptionist.domain.ports import SecretStore
from receptionist.errors import UserError
from receptionist.ui.setup import SignInRunner, ZoneBox, help_label, secret_edit, with_help
from receptionist.ui.wheel_guard import guard_wheel

# Twilio's tab holds SMS and the voice status callbacks' replay window (one account, one auth token).
SECTION_TITLES = {"location": "Location", "google": "Google Calendar", "outlook": "Outlook", "twilio": "Twilio",
                  "ingest": "Webhook", "sync": "Sync", "elevenlabs": "ElevenLabs"}


def _bounds(field) -> tuple[float | None, float | None]:  # noqa: ANN001
    lo = hi = None
    for meta in field.metadata:
        if isinstance(meta, annotated_types.Ge):
            lo = meta.ge
        elif isinstance(meta, annotated_types.Gt):
            lo = meta.gt
        elif isinstance(meta, annotated_types.Le):
            hi = meta.le
        elif isinstance(meta, annotated_types.Lt):
            hi = meta.lt
    return lo, hi


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class SettingsDialog(QDialog):
    """Attributes: ``editors[(section, option)]`` the widget of each option; ``secret_edits[key]``; ``written``."""

    def __init__(self, profile: Profile, secrets: SecretStore | None, *, target: Path | None = None,
                 open_url: Callable[[str], object] = webbrowser.open,
                 connect: Callable[..., str] = onboarding.connect, parent: QWidget | None = None):
        super().__init__(parent)
        self.open_url = open_url
        self._connect = connect
        self.setWindowTitle("Settings — Receptionist Console")
        self.profile = profile
        self.secrets = secrets
        self.target = target
        self.written: Path | None = None
        self.editors: dict[tuple[str, str], QWidget] = {}
        self.tabs = QTabWidget()
        data = profile.model_dump()
        for section, field in Profile.model_fields.items():
            self.tabs.addTab(self._section_tab(section, field.annotation, data[section]),
                             SECTION_TITLES.get(section, _label(section)))
        self.tabs.addTab(self._secrets_tab(), "Secrets")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(help_label("Saved to the user profile; the console uses the new settings when it starts "
                                 "again. Secrets go to this computer's keyring only."))
        lay.addWidget(buttons)
        self.setMinimumSize(640, 480)
        self.resize(760, 600)
        guard_wheel(self)  # scrolling a long tab must not edit the spin boxes it passes over

    def _scroll(self, inner: QWidget) -> QScrollArea:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
        return scroll

    def _section_tab(self, section: str, model, values: dict) -> QWidget:  # noqa: ANN001
        inner = QWidget()
        form = QFormLayout(inner)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setVerticalSpacing(12)
        for name, field in model.model_fields.items():
            if isinstance(values[name], (list, tuple)):  # people.members: kept as they are (receptionist people)
                continue
            editor = self._editor(section, name, field, values[name])
            editor.setToolTip(field.description or "")
            self.editors[(section, name)] = editor
            form.addRow(_label(name) if not isinstance(editor, QCheckBox) else "",
                        with_help(editor, field.description or ""))
        return self._scroll(inner)

    def _editor(self, section: str, name: str, field, value) -> QWidget:  # noqa: ANN001
        kind = field.annotation
        if (section, name) == ("location", "time_zone"):
            return ZoneBox(value)
        if kind is bool:
            box = QCheckBox(_label(name))
            box.setChecked(bool(value))
            return box
        if kind is int:
            lo, hi = _bounds(field)
            box = QSpinBox()
            box.setRange(int(lo) if lo is not None else -2**31, int(hi) if hi is not None else 2**31 - 1)
            box.setValue(int(value))
            box.setMinimumWidth(110)
            return box
        if kind is float:
            lo, hi = _bounds(field)
            box = QDoubleSpinBox()
            box.setDecimals(1)
            box.setRange(max(float(lo), 0.1) if lo is not None else 0.0, float(hi) if hi is not None else 1e9)
            box.setValue(float(value))
            box.setMinimumWidth(110)
            return box
        edit = QLineEdit(str(value))
        if (section, name) == ("location", "id"):
            edit.setReadOnly(True)  # keys the keyring, data folder and database: changing it would orphan them
            edit.setPlaceholderText(f"{self.profile.location.key} (derived from the name; written down on Save)")
        return edit

    def _secrets_tab(self) -> QWidget:
        inner = QWidget()
        form = QFormLayout(inner)
        self.secret_edits: dict[str, QLineEdit] = {}
        self.secret_state = QLabel()
        self.secret_state.setWordWrap(True)
        form.addRow(self.secret_state)
        problem = None
        for key, label in onboarding.SECRET_FIELDS.items():
            edit = secret_edit()
            state = "not set"
            if self.secrets is None:
                problem = "no keyring"
            elif problem is None:
                try:
                    state = "stored (type to replace)" if self.secrets.get(key) else "not set"
                except UserError as exc:
                    problem = str(exc)
            edit.setPlaceholderText(state)
            self.secret_edits[key] = edit
            form.addRow(label, edit)
        self.secret_state.setText(
            f"Secrets cannot be stored right now: {problem}" if problem else
            "Values are never shown; leave a field empty to keep what is stored.")
        self.connect_buttons: dict[str, QPushButton] = {}
        self.connect_status: dict[str, QLabel] = {}
        for kind, label in (("google", "Connect Google…"), ("outlook", "Connect Outlook…")):
            button = QPushButton(label)
            status = help_label("Signs in with the settings on the calendar tabs (as edited here).")
            button.clicked.connect(lambda _=False, kind=kind: self.connect_calendar(kind))
            self.connect_buttons[kind], self.connect_status[kind] = button, status
            form.addRow(button, status)
        if problem:
            self.secret_state.setStyleSheet("color: #dc2626;")
            for edit in [*self.secret_edits.values(), *self.connect_buttons.values()]:
                edit.setEnabled(False)
        self.sign_in = SignInRunner(self)
        self.sign_in.finished.connect(self._signed_in)
        return self._scroll(inner)

    def connect_calendar(self, kind: str) -> None:
        """Run the sign-in flow on a worker thread (it waits for the browser); the answer comes back by signal."""
        if kind in self.sign_in.running or self.secrets is None:
            return
        try:
            profile = self.edited_profile()
        except UserError as exc:
            self.connect_status[kind].setText(f"✗ {exc}")
            return
        self.connect_buttons[kind].setEnabled(False)
        self.connect_status[kind].setText("Waiting for you to finish signing in in the browser…")
        secrets = self.secrets
        self.sign_in.start(kind, lambda: self._connect(kind, profile, secrets, open_url=self.open_url))

    def _signed_in(self, kind: str, ok: bool, message: str) -> None:
        self.sign_in.done(kind)
        self.connect_buttons[kind].setEnabled(True)
        self.connect_status[kind].setText(("✓ " if ok else "✗ ") + message)

    # --- reading the widgets back -----------------------------------------------------------------------------

    def values(self) -> dict:
        data: dict[str, dict] = {}
        for (section, name), editor in self.editors.items():
            if isinstance(editor, ZoneBox):
                value = editor.zone()
            elif isinstance(editor, QCheckBox):
                value = editor.isChecked()
            elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
                value = editor.value()
            else:
                value = editor.text().strip()
            data.setdefault(section, {})[name] = value
        return data

    def edited_profile(self) -> Profile:
        values = self.profile.model_dump()  # what has no editor (people.members) stays as it was
        for section, edited in self.values().items():
            values[section].update(edited)
        # A profile from before ids gets its derived id written down now, from the name it had: renaming the
        # location in this same dialog then changes nothing stored.
        values["location"]["id"] = values["location"]["id"] or self.profile.location.key
        return Profile.from_dict(values, source="settings")

    def accept(self) -> None:
        try:
            profile = self.edited_profile()
        except UserError as exc:
            QMessageBox.warning(self, "Check the settings", str(exc))
            return
        try:
            path = onboarding.save_profile(profile, self.target)
            for key, edit in self.secret_edits.items():
                if edit.text() and self.secrets is not None:
                    self.secrets.set(key, edit.text())
        except UserError as exc:
            QMessageBox.warning(self, "Not saved", str(exc))
            return
        self.written = path
        self.profile = profile
        super().accept()


__all__ = ["SettingsDialog"]
