"""File → Settings: the location profile in a few plain sections — Business and hours, Calendars, AI agent, Texts —
each with the few things a business owner changes at the top and every other option of its part of the profile under
Advanced (generated from the declarations in ``config.py``, so a new option appears by itself, with its help text).
Secrets go to the OS keyring only. The location id is shown, never edited (it keys the keyring, the data folder and
the database).

Sections are listed once, in ``SECTIONS``. The weekly hours, closed days and services have their own editors
(``ui/hours_editor.py``), and so have the resources (``ui/resources_editor.py``); the rest of ``[availability]`` is
under Services → Advanced.

Saving writes the profile (the user's, or the demo's own in demo mode); the window then asks the desk to apply it
(``desk.settings``) and says what applied at once and what waits for the next start.
"""

from __future__ import annotations

import json
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import annotated_types
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from receptionist import onboarding
from receptionist.config import Profile
from receptionist.domain.ports import SecretStore
from receptionist.domain.schedule import WeeklyHours
from receptionist.errors import UserError
from receptionist.ui.accessible import name_form_fields
from receptionist.ui.caldav_fields import CalDavPicker
from receptionist.ui.hours_editor import ClosuresEditor, ServicesEditor, WeekHoursEditor
from receptionist.ui.resources_editor import ResourcesEditor
from receptionist.ui.setup_fields import (
    Disclosure,
    FlowRunner,
    ZoneBox,
    help_label,
    secret_edit,
    with_help,
)
from receptionist.ui.people_editor import PeopleEditor
from receptionist.ui.wheel_guard import guard_wheel

if TYPE_CHECKING:
    from receptionist.services.intake import IntakeDesk
    from receptionist.services.people import People

#: (title, the profile's parts it holds, its plain options as (part, option, label, help)); every other option of
#: those parts is under the section's Advanced.
SECTIONS: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, str, str, str], ...]], ...] = (
    ("Business and hours", ("location",), (
        ("location", "name", "Business name", "Shown in the title bar and in the texts callers get."),
        ("location", "time_zone", "Time zone", "Where the business is: type a city. Every time is shown in it."),
        ("location", "default_duration_minutes", "Usual appointment length",
         "Minutes, for a call that does not say how long."),
        ("location", "country", "Country",
         "Two letters, e.g. US: phone numbers said without +1 are read as numbers of this country."),
    )),
    ("Services", ("availability",), ()),
    ("Calendars", ("google", "outlook", "caldav", "sync", "events", "health"), (
        ("google", "enabled", "Use Google Calendar", ""),
        ("outlook", "enabled", "Use an Outlook calendar", ""),
        ("caldav", "enabled", "Use a CalDAV calendar (iCloud, Fastmail, Nextcloud)", ""),
        ("events", "private", "Keep callers' details off the calendars",
         "The calendars show only “Patient appointment” (for clinics)."),
    )),
    ("AI agent", ("ingest", "vapi", "retell", "elevenlabs", "synthflow"), (
        ("ingest", "platform", "Platform", "The AI platform that answers your phone."),
    )),
    ("Texts", ("twilio", "reminders"), (
        ("twilio", "enabled", "Text callers",
         "A confirmation when a booking is approved, through your Twilio account."),
        ("twilio", "account_sid", "Twilio account SID", "On the Twilio Console's home page; starts with AC."),
        ("twilio", "from_number", "Texts come from", "Your Twilio number, e.g. +15551234567."),
        ("reminders", "enabled", "Remind callers of their appointment",
         "A text before each appointment; a reply C confirms it, R asks for a call back, STOP ends texts."),
        ("reminders", "hours_before", "Reminder, hours before", ""),
    )),
    ("People", ("people",), (
        ("people", "os_login", "This computer has one user: the audit log names its login",
         "Otherwise each person picks themself when the desk opens (owners add people below)."),
        ("people", "idle_minutes", "Ask who is at the desk after this many idle minutes", ""),
    )),
)

PART_TITLES = {"location": "Business", "availability": "When callers can book", "google": "Google Calendar", "outlook": "Outlook", "caldav": "CalDAV",
               "sync": "Sync",
               "events": "Calendar events", "ingest": "Receiving calls", "vapi": "Vapi", "retell": "Retell",
               "elevenlabs": "ElevenLabs", "synthflow": "Synthflow", "twilio": "Twilio", "reminders": "Reminders",
               "people": "People", "health": "Health and alerts"}

#: the API keys a desk uses to fetch calls (or, for Synthflow, to read each call back), under AI agent → Advanced
API_KEYS = {"vapi.api_key": "Vapi API key", "retell.api_key": "Retell API key",
            "elevenlabs.api_key": "ElevenLabs API key", "synthflow.api_key": "Synthflow API key"}


def _bounds(field, step: float = 1) -> tuple[float | None, float | None]:  # noqa: ANN001
    """The field's range as a spin box can hold it: a strict bound (``gt``/``lt``) moves in by one ``step``."""
    lo = hi = None
    for meta in field.metadata:
        if isinstance(meta, annotated_types.Ge):
            lo = meta.ge
        elif isinstance(meta, annotated_types.Gt):
            lo = meta.gt + step
        elif isinstance(meta, annotated_types.Le):
            hi = meta.le
        elif isinstance(meta, annotated_types.Lt):
            hi = meta.lt - step
    return lo, hi


_WORDS = {"api": "API", "uri": "URI", "url": "URL", "sid": "SID", "ca": "CA"}


def _label(name: str) -> str:
    """An option's name as a label: ``api_base`` → "API base"."""
    words = [_WORDS.get(w, w) for w in name.split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


class SettingsDialog(QDialog):
    """Attributes: ``sections`` (the list) and ``pages`` (title → page); ``editors[(part, option)]`` the widget of
    each option (the location id is shown, not edited); ``secret_edits[key]``; ``written``."""

    def __init__(self, profile: Profile, secrets: SecretStore | None, *, target: Path | None = None,
                 open_url: Callable[[str], object] = webbrowser.open,
                 connect: Callable[..., str] = onboarding.connect, people: "People | None" = None,
                 intake: "IntakeDesk | None" = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.people_service, self.people_editor = people, None  # Settings → People's editor (owners)
        self.intake = intake  # the running desk's door, for Send a test call
        self.test_calls_here = 0  # test calls sent through it (the window removes them when Settings closes)
        self.open_url = open_url
        self._connect = connect
        self.setWindowTitle("Settings — Receptionist Console")
        self.profile = profile
        self.secrets = secrets
        self.target = target
        self.written: Path | None = None
        self.editors: dict[tuple[str, str], QWidget] = {}
        self.secret_edits: dict[str, QLineEdit] = {}
        self._secret_problem = self._keyring_state()
        self.flows = FlowRunner(self)
        self.flows.finished.connect(self._signed_in)
        self.sections = QListWidget()
        self.sections.setFixedWidth(180)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        data = profile.model_dump()
        for title, parts, plain in SECTIONS:
            page = self._section(title, parts, plain, data)
            self.pages[title] = page
            self.sections.addItem(title)
            self.stack.addWidget(self._scroll(page))
        self.sections.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.sections.setCurrentRow(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.sections)
        body.addWidget(self.stack, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(body, 1)
        note = ("Secrets go to this computer's keyring only." if self._secret_problem is None else
                f"Secrets cannot be stored right now: {self._secret_problem}")
        self.secret_state = help_label(note)
        lay.addWidget(self.secret_state)
        lay.addWidget(buttons)
        self.setMinimumSize(760, 520)
        self.resize(1000, 660)
        guard_wheel(self)  # scrolling a long section must not edit the spin boxes it passes over
        self.sections.setAccessibleName("Settings sections")
        for index, (title, _parts, _plain) in enumerate(SECTIONS):
            self.stack.widget(index).setAccessibleName(f"{title} settings")  # the section's scrolled page
        name_form_fields(self)  # a field shown with its help text is not its label's buddy: named here

    # --- building the sections ------------------------------------------------------------------------------------

    def _keyring_state(self) -> str | None:
        if self.secrets is None:
            return "this desk has no keyring"
        try:
            self.secrets.get("__settings_probe__")
        except UserError as exc:
            return str(exc)
        return None

    @staticmethod
    def _scroll(inner: QWidget) -> QScrollArea:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the page fits its width
        scroll.setWidget(inner)
        return scroll

    def _section(self, title: str, parts: tuple[str, ...], plain, data: dict) -> QWidget:  # noqa: ANN001
        page = QWidget()
        lay = QVBoxLayout(page)
        heading = QLabel(f"<h3>{title}</h3>")
        lay.addWidget(heading)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setVerticalSpacing(12)
        shown = set()
        for part, name, label, help_text in plain:
            field = Profile.model_fields[part].annotation.model_fields[name]  # type: ignore[union-attr]
            editor = self._editor(part, name, field, data[part][name], label)
            self.editors[(part, name)] = editor
            shown.add((part, name))
            form.addRow("" if isinstance(editor, QCheckBox) else label, with_help(editor, help_text))
        extra = getattr(self, f"_plain_{parts[0]}", None)
        if extra is not None:
            extra(form)
        lay.addLayout(form)
        advanced = QWidget()
        a = QFormLayout(advanced)
        a.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        a.setVerticalSpacing(10)
        # the plain side shows these; people (their PIN hashes) are changed with `receptionist people` only
        elsewhere = {("location", "id"), ("location", "open_hour"), ("location", "close_hour"), ("people", "members"),
                     ("availability", "hours"), ("availability", "closures"), ("availability", "services"),
                     ("availability", "resources"),
                     ("caldav", "url"), ("caldav", "username"), ("caldav", "calendar_url"),
                     ("caldav", "calendar_name")}  # the CalDAV picker's
        for part in parts:
            fields = [(name, field) for name, field in
                      Profile.model_fields[part].annotation.model_fields.items()  # type: ignore[union-attr]
                      if (part, name) not in shown and (part, name) not in elsewhere]
            if fields:
                a.addRow(QLabel(f"<b>{PART_TITLES[part]}</b>"))
            for name, field in fields:
                editor = self._editor(part, name, field, data[part][name], _label(name))
                editor.setToolTip(field.description or "")
                self.editors[(part, name)] = editor
                a.addRow("" if isinstance(editor, QCheckBox) else _label(name),
                         with_help(editor, field.description or ""))
        extra = getattr(self, f"_advanced_{parts[0]}", None)
        if extra is not None:
            extra(a)
        lay.addWidget(Disclosure("Advanced", advanced))
        lay.addStretch(1)
        return page

    def _plain_location(self, form: QFormLayout) -> None:
        loc = self.profile.location
        hours = self.profile.availability.booking_rules(loc).hours
        self.hours = WeekHoursEditor(hours, twelve_hour=loc.country == "US")
        form.insertRow(2, "Opening hours", with_help(self.hours, "When callers can book; a call asking for another "
                                                                 "time is flagged for a person."))
        self.closures = ClosuresEditor(self.profile.model_dump()["availability"]["closures"])
        form.insertRow(3, "Closed days", with_help(self.closures, "Holidays and other days the business is closed."))
        self.location_id = QLabel(loc.id or f"{loc.key} (from the name; written down when you save)")
        self.location_id.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Location id", with_help(self.location_id, "Set once by setup; it names this location's "
                                                               "keyring entries, data folder and database."))

    def _plain_availability(self, form: QFormLayout) -> None:
        availability = self.profile.model_dump()["availability"]
        self.resources_editor = ResourcesEditor(availability["resources"], business_hours=self._business_hours,
                                                twelve_hour=self.profile.location.country == "US")
        self.services = ServicesEditor(availability["services"], resources=self.resources_editor.names)
        form.addRow(with_help(self.services, "“Usual” free time is the location's, under Advanced; a service "
                                             "that needs a person or a chair names them (Resources, below)."))
        form.addRow(QLabel("<b>Resources</b>"))
        form.addRow(with_help(self.resources_editor, "People, chairs and rooms a service needs, each with the "
                                                     "business's hours or its own."))

    def _business_hours(self) -> WeeklyHours:
        """The weekly hours as edited under Business and hours (as saved while they have a problem)."""
        try:
            return WeeklyHours.of(self.hours.table())
        except ValueError:
            return self.profile.availability.booking_rules(self.profile.location).hours

    def _plain_people(self, form: QFormLayout) -> None:
        if self.people_service is not None:
            self.people_editor = PeopleEditor(self.profile.people.members, self.people_service)
            form.addRow(QLabel("<b>The desk's people</b>"))
            form.addRow(self.people_editor)

    def _plain_google(self, form: QFormLayout) -> None:
        self.connect_buttons: dict[str, QPushButton] = {}
        self.connect_status: dict[str, QLabel] = {}
        secrets = self.secrets
        self.caldav = CalDavPicker(self.profile.caldav, lambda: secrets.get("caldav.password") if secrets else None)
        self._secret("caldav.password", self.caldav.password)  # saved with the other secrets
        self.caldav.find_button.setEnabled(self._secret_problem is None)
        self.caldav.calendars.activated.connect(lambda _i: self.editors[("caldav", "enabled")].setChecked(True))
        form.insertRow(3, "", self.caldav)
        for kind, label in (("google", "Connect Google…"), ("outlook", "Connect Outlook…")):
            button = QPushButton(label)
            status = QLabel("Opens the sign-in page in your browser.")
            status.setObjectName("muted")
            button.clicked.connect(lambda _=False, kind=kind: self.connect_calendar(kind))
            button.setEnabled(self._secret_problem is None)
            self.connect_buttons[kind], self.connect_status[kind] = button, status
            row = QHBoxLayout()
            row.addWidget(button)
            row.addWidget(status, 1)
            form.addRow(row)

    def _advanced_google(self, form: QFormLayout) -> None:
        form.addRow("Google client secret", self._secret("google.client_secret"))

    def _plain_ingest(self, form: QFormLayout) -> None:
        self.platform_steps = help_label("")
        form.addRow(self.platform_steps)
        self.address = QLineEdit()
        self.address.setReadOnly(True)
        form.addRow("Address", with_help(self.address, "Where the platform sends each finished call."))
        self.platform_secrets = QStackedWidget()
        self.platform_secret_label = QLabel()
        for guide in onboarding.PLATFORM_GUIDES.values():
            if guide.secret_key == "twilio.auth_token":  # one field for it, under Texts
                elsewhere = QLineEdit()
                elsewhere.setEnabled(False)
                elsewhere.setPlaceholderText("Twilio signs with your auth token: set it under Texts")
                self.platform_secrets.addWidget(elsewhere)
            else:
                self.platform_secrets.addWidget(self._secret(guide.secret_key))
        form.addRow(self.platform_secret_label, self.platform_secrets)
        self.test_button = QPushButton("Send a test call")
        self.test_button.setAutoDefault(False)
        self.test_button.clicked.connect(self.send_test_call)
        self.test_button.setEnabled(self._secret_problem is None)
        self.test_result = help_label("Sends the platform's own signed report of a made-up call through this desk's "
                                      "receiver (or one on a spare port when the desk runs none); it is removed "
                                      "again.")
        row = QHBoxLayout()
        row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.test_result, 1)
        form.addRow(row)
        box: QComboBox = self.editors[("ingest", "platform")]  # type: ignore[assignment]
        box.currentIndexChanged.connect(lambda _i: self._show_platform())
        self._show_platform()

    def _advanced_ingest(self, form: QFormLayout) -> None:
        for key, label in API_KEYS.items():
            if key not in self.secret_edits:
                form.addRow(label, self._secret(key))

    def _plain_twilio(self, form: QFormLayout) -> None:
        form.addRow("Twilio auth token", with_help(self._secret("twilio.auth_token"),
                                                   "On the Twilio Console's home page."))

    def _show_platform(self) -> None:
        box: QComboBox = self.editors[("ingest", "platform")]  # type: ignore[assignment]
        guide = onboarding.PLATFORM_GUIDES[box.currentData()]
        self.platform_secrets.setCurrentIndex(box.currentIndex())
        self.platform_secret_label.setText(guide.secret_label)
        self.platform_steps.setText(guide.steps)
        self.address.setText(onboarding.webhook_url(self.profile, guide.key))

    def _secret(self, key: str, edit: QLineEdit | None = None) -> QLineEdit:
        edit = edit or secret_edit()
        state = "not set"
        if self._secret_problem is None and self.secrets is not None:
            state = "stored (type to replace)" if self.secrets.get(key) else "not set"
        edit.setPlaceholderText(state)
        edit.setEnabled(self._secret_problem is None)
        self.secret_edits[key] = edit
        return edit

    def _editor(self, part: str, name: str, field, value, label: str) -> QWidget:  # noqa: ANN001
        kind = field.annotation
        if (part, name) == ("location", "time_zone"):
            return ZoneBox(value)
        if (part, name) == ("ingest", "platform"):
            box = QComboBox()
            for key, guide in onboarding.PLATFORM_GUIDES.items():
                box.addItem(guide.label, key)
            box.setCurrentIndex(max(0, box.findData(value)))
            return box
        if kind is bool:
            box = QCheckBox(label)
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
            decimals = 3 if any(isinstance(m, (annotated_types.Le, annotated_types.Lt)) and
                                (getattr(m, "le", None) or getattr(m, "lt", None)) <= 1 for m in field.metadata) else 1
            lo, hi = _bounds(field, 10 ** -decimals)  # a share (0.995) keeps its digits
            box = QDoubleSpinBox()
            box.setDecimals(decimals)
            box.setRange(float(lo) if lo is not None else 0.0, float(hi) if hi is not None else 1e9)
            box.setValue(float(value))
            box.setMinimumWidth(110)
            return box
        if value is None or isinstance(value, (list, dict)):  # the on-call rota: JSON under Advanced for now
            edit = QLineEdit("" if value is None else json.dumps(value, default=str))
            edit.setProperty("json", True)
            return edit
        return QLineEdit(str(value))

    # --- sign-in and the test call --------------------------------------------------------------------------------

    def send_test_call(self) -> None:
        """The chosen platform's signed test call through the desk's own running receiver (``desk.intake.test_call``:
        it shows in the desk's queue until Settings closes), or, when the desk cannot take it (no receiver here, a secret
        typed but not saved, Synthflow), through a throwaway receiver on a spare port (``onboarding.send_test_call``,
        as setup sends it); the result says which. The answer lands by signal."""
        if "test-call" in self.flows.running or self.secrets is None:
            return
        try:
            profile = self.edited_profile()
        except UserError as exc:
            self.test_result.setText(f"✗ {exc}")
            return
        guide = onboarding.PLATFORM_GUIDES[profile.ingest.platform]
        typed = self.secret_edits[guide.secret_key].text()
        secrets, intake = self.secrets, self.intake
        stored = secrets.get(guide.secret_key) or ""
        why = "this window has no desk" if intake is None else intake.own_door(guide.key)
        if why is None and typed and typed != stored:
            why = "the secret typed here is not saved yet, and the desk checks the saved one"
        if why is None and not stored:
            why = "no secret is saved for the desk to check"
        spare = profile.model_copy(update={"ingest": profile.ingest.model_copy(update={"port": 0})})
        self.test_button.setEnabled(False)
        self.test_result.setText("Sending a test call…")

        if why is None:
            self.test_calls_here += 1

        def flow() -> tuple[bool, str]:
            if why is None:
                return intake.test_call(guide.key, stored, label=guide.label)
            result = onboarding.send_test_call(spare, guide.key, typed or stored)
            if not typed and not stored:
                return result.ok, result.sentence
            return result.ok, f"{result.sentence} (Through a receiver on a spare port: {why}.)"

        self.flows.start("test-call", flow)

    def connect_calendar(self, kind: str) -> None:
        """Run the sign-in flow on a worker thread (it waits for the browser); the answer comes back by signal."""
        if kind in self.flows.running or self.secrets is None:
            return
        try:
            profile = self.edited_profile()
        except UserError as exc:
            self.connect_status[kind].setText(f"✗ {exc}")
            return
        self.connect_buttons[kind].setEnabled(False)
        secrets = self.secrets
        self.connect_status[kind].setText("Waiting for you to finish signing in in the browser…")
        self.flows.start(kind, lambda: self._connect(kind, profile, secrets, open_url=self.open_url))

    def _signed_in(self, kind: str, ok: bool, message: str) -> None:
        self.flows.done(kind)
        if kind == "test-call":
            self.test_button.setEnabled(True)
            self.test_result.setText(("✓ " if ok else "✗ ") + message)
            return
        self.connect_buttons[kind].setEnabled(True)
        self.connect_status[kind].setText(("✓ " if ok else "✗ ") + message)

    # --- reading the widgets back -----------------------------------------------------------------------------

    def values(self) -> dict:
        data: dict[str, dict] = self.profile.model_dump()
        for (part, name), editor in self.editors.items():
            if isinstance(editor, ZoneBox):
                value = editor.zone() or editor.currentText().strip()
            elif isinstance(editor, QComboBox):
                value = editor.currentData()
            elif isinstance(editor, QCheckBox):
                value = editor.isChecked()
            elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
                value = editor.value()
            elif editor.property("json"):
                value = _json_option(part, name, editor.text().strip())
            else:
                value = editor.text().strip()
            data[part][name] = value
        data["caldav"].update(self.caldav.section())
        data["availability"].update(hours=self.hours.table(), closures=self.closures.closures(),
                                    services=self.services.services(), resources=self.resources_editor.resources())
        return data

    def edited_profile(self) -> Profile:
        values = self.profile.model_dump()  # what has no editor (people.members) stays as it was
        for section, edited in self.values().items():
            values[section].update(edited)
        # A profile from before ids gets its derived id written down now, from the name it had: renaming the
        # location in this same dialog then changes nothing stored.
        values["location"]["id"] = self.profile.location.id or self.profile.location.key
        if self.people_editor is not None:
            values["people"]["members"] = [p.model_dump() for p in self.people_editor.members]
        return Profile.from_dict(values, source="settings")

    def editors_clear(self) -> bool:
        """Say every problem of the hours, closed days and services editors; on one, show its section."""
        for title, editor in (("Business and hours", self.hours), ("Business and hours", self.closures),
                              ("Services", self.services), ("Services", self.resources_editor)):
            if not editor.show_problems(every=True):
                self.sections.setCurrentRow([t for t, *_ in SECTIONS].index(title))
                return False
        return True

    def accept(self) -> None:
        if not self.editors_clear():
            return
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


def _json_option(section: str, name: str, text: str):
    try:
        return json.loads(text) if text else None
    except ValueError as exc:
        raise UserError(f"settings: {section}.{name} is not JSON ({exc.msg} at character {exc.pos})") from None


__all__ = ["SECTIONS", "SettingsDialog"]
