"""The setup screen of a first start: the business, its calendars, the AI agent's connection and text messages.

The first page checks this computer's keyring before anything secret exists: without one the setup says what to
install or unlock and goes no further.  Sign-in apps (OAuth clients) come from the build's profile; a custom one is
under Advanced.  It writes the user profile (``onboarding.save_profile``) and puts every secret in the OS keyring
only.  The sign-in flows and the test call block, so they run on a worker thread and report back by queued signal.

Pages are listed once, in ``SetupWizard.__init__``; the hours, closed days and services (``ui/hours_editor.py``)
and the resources (``ui/resources_editor.py``) have their page after the business, and a CalDAV calendar
(``ui/caldav_fields.py``) its own after Google and Outlook.
"""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from receptionist import onboarding
from receptionist.config import Profile, new_location_id
from receptionist.domain.ports import SecretStore
from receptionist.domain.schedule import WeeklyHours
from receptionist.errors import EnvironmentProblem, UserError
from receptionist.ui import icons, theme
from receptionist.ui.accessible import name_form_fields
from receptionist.ui.caldav_fields import CalDavPicker
from receptionist.ui.hours_editor import ClosuresEditor, ServicesEditor, WeekHoursEditor
from receptionist.ui.resources_editor import ResourcesEditor
from receptionist.ui.setup_fields import (
    Disclosure,
    FlowRunner,
    ZoneBox,
    help_label,
    on_leave,
    problem_label,
    secret_edit,
    with_help,
)
from receptionist.ui.wheel_guard import guard_wheel

SecretsFor = Callable[[Profile], SecretStore]

class KeyringCheck(QFrame):
    """The keyring, checked on the first page: nothing secret is generated or asked for until it works."""

    def __init__(self, check: Callable[[], str | None], on_change: Callable[[], None]):
        super().__init__()
        self.setObjectName("keyringProblem")
        self.setStyleSheet("#keyringProblem { border: 1px solid #dc2626; border-radius: 6px; background: #fef2f2; }")
        self._check = check
        self._on_change = on_change
        self.title = QLabel("<b>This computer cannot keep passwords safely yet</b>")
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.advice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.again = QPushButton("Check again")
        self.again.clicked.connect(lambda: self.run())
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.advice)
        lay.addWidget(self.again, 0, Qt.AlignmentFlag.AlignLeft)
        self.problem: str | None = None
        self.run(notify=False)

    def run(self, notify: bool = True) -> None:
        self.problem = self._check()
        self.advice.setText(self.problem or "")
        self.setVisible(bool(self.problem))
        if notify:
            self._on_change()


class LocationPage(QWizardPage):
    """The business: its name and where it is. A field's problem is said once the field is left (or on
    Next), never before it was touched."""

    def __init__(self, wizard: "SetupWizard", base: Profile):
        super().__init__()
        self.setTitle("Your business")
        self.setSubTitle("Welcome! A few questions set this computer up for your front desk; you can change any of "
                         "it later under File → Settings.")
        loc = base.location
        self.touched: set[str] = set()
        self.keyring = KeyringCheck(wizard.keyring_problem, self.completeChanged.emit)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Lakeside Dental")
        self.zone = ZoneBox(loc.time_zone)
        self.problem = problem_label()
        lay = QVBoxLayout(self)
        lay.addWidget(self.keyring)
        form = QFormLayout()
        form.setVerticalSpacing(14)
        form.addRow("Business name", with_help(self.name, "Shown in the title bar and in the texts callers get."))
        form.addRow("Time zone", with_help(self.zone, "Where the business is: type a city, e.g. New York or "
                                                      "Phoenix. Every time is shown in this zone."))
        form.addRow(self.problem)
        lay.addLayout(form)
        lay.addStretch(1)
        on_leave(self.name, lambda: self._leave("name"))
        on_leave(self.zone, lambda: self._leave("zone"))  # the combo box has the focus, its line edit follows
        self.name.textChanged.connect(lambda _t: self._show() if "name" in self.touched else None)

    def _leave(self, field: str) -> None:
        if field == "zone":
            self.zone.settle()
        self.touched.add(field)
        self._show()

    def problems(self) -> dict[str, str]:
        found = {}
        if not self.name.text().strip():
            found["name"] = "Enter the business name."
        if not self.zone.zone():
            found["zone"] = f"“{self.zone.currentText().strip()}” is not a place in the list: type a city and pick " \
                            "one of the matches."
        return found

    def _show(self) -> bool:
        shown = [text for field, text in self.problems().items() if field in self.touched]
        self.problem.setText(" ".join(shown))
        return not shown

    def isComplete(self) -> bool:
        return self.keyring.problem is None

    def validatePage(self) -> bool:
        self.zone.settle()
        self.touched.update(("name", "zone"))
        return self._show() and self.keyring.problem is None


class HoursPage(QWizardPage):
    """When callers can book: the weekly hours (several ranges a day, quarter hours), closed days and the services
    with their length. A row's problem is said once it is left, or on Next."""

    def __init__(self, base: Profile):
        super().__init__()
        self.setTitle("Hours and services")
        self.setSubTitle("When callers can book, and what. Calls asking for another time are flagged for a person.")
        availability = base.model_dump()["availability"]
        self.hours = WeekHoursEditor(base.availability.booking_rules(base.location).hours,
                                     twelve_hour=base.location.country == "US")
        self.closures = ClosuresEditor(availability["closures"])
        self._base_hours = base.availability.booking_rules(base.location).hours
        self.resources = ResourcesEditor(availability["resources"], business_hours=self._business_hours,
                                         twelve_hour=base.location.country == "US")
        self.services = ServicesEditor(availability["services"], resources=self.resources.names)
        inner = QWidget()
        lay = QVBoxLayout(inner)
        for title, editor, text in (
                ("Opening hours", self.hours, ""),
                ("Closed days", self.closures, "Holidays and other days the business is closed."),
                ("Services", self.services, "Optional: what callers book and how long it takes (buffers and caps "
                                            "can be changed later under File → Settings)."),
                ("Resources", self.resources, "Optional: the people, chairs or rooms a service needs, each with "
                                              "the business's hours or its own.")):
            lay.addWidget(QLabel(f"<b>{title}</b>"))
            if text:
                lay.addWidget(help_label(text))
            lay.addWidget(editor)
            lay.addSpacing(8)
        lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
        scroll.setAccessibleName("Hours and services")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _business_hours(self) -> WeeklyHours:
        """The weekly hours as edited above (as they were while they have a problem)."""
        try:
            return WeeklyHours.of(self.hours.table())
        except ValueError:
            return self._base_hours

    def validatePage(self) -> bool:
        return all([self.hours.show_problems(every=True), self.closures.show_problems(every=True),
                    self.services.show_problems(every=True), self.resources.show_problems(every=True)])

    def availability(self) -> dict:
        return {"hours": self.hours.table(), "closures": self.closures.closures(),
                "services": self.services.services(), "resources": self.resources.resources()}


class CalendarsPage(QWizardPage):
    """Google and Outlook: a switch and a Connect button each. The sign-in apps come from the build's profile;
    a custom one (client id, secret, tenant) is under Advanced."""

    def __init__(self, wizard: "SetupWizard", base: Profile):
        super().__init__()
        self.setTitle("Calendars")
        self.setSubTitle("Approved bookings are written to these calendars, and their busy time is read back. "
                         "You can skip this and connect later under File → Settings.")
        self.wizard_ = wizard
        self.base = base
        lay = QVBoxLayout(self)

        google = QGroupBox("Google Calendar")
        g = QFormLayout(google)
        self.google_enabled = QCheckBox("Use Google Calendar")
        self.google_enabled.setChecked(base.google.enabled)
        self.google_button = QPushButton("Connect Google…")
        self.google_status = help_label(self._not_connected("google"))
        g.addRow(self.google_enabled)
        g.addRow(self.google_button, self.google_status)
        lay.addWidget(google)

        outlook = QGroupBox("Outlook / Microsoft 365")
        o = QFormLayout(outlook)
        self.outlook_enabled = QCheckBox("Use an Outlook calendar")
        self.outlook_enabled.setChecked(base.outlook.enabled)
        self.outlook_button = QPushButton("Connect Outlook…")
        self.outlook_status = help_label(self._not_connected("outlook"))
        o.addRow(self.outlook_enabled)
        o.addRow(self.outlook_button, self.outlook_status)
        lay.addWidget(outlook)
        lay.addWidget(help_label("Connecting opens the sign-in page in your browser; come back here when it says "
                                 "you are done. Sign-ins are kept in this computer's keyring, never in files."))

        advanced = QWidget()
        a = QFormLayout(advanced)
        a.setContentsMargins(0, 0, 0, 0)
        self.google_client_id = QLineEdit(base.google.client_id)
        self.google_client_id.setPlaceholderText("….apps.googleusercontent.com")
        self.google_secret = secret_edit("from Google Cloud Console (Desktop app client)")
        self.google_calendar = QLineEdit(base.google.calendar_id)
        self.outlook_client_id = QLineEdit(base.outlook.client_id)
        self.outlook_client_id.setPlaceholderText("Application (client) id of the app registration")
        self.outlook_authority = QLineEdit(base.outlook.authority)
        a.addRow(help_label("Only for a business that registered its own sign-in app with Google or Microsoft; "
                            "leave these as they are otherwise."))
        a.addRow("Google client id", self.google_client_id)
        a.addRow("Google client secret", self.google_secret)
        a.addRow("Google calendar", self.google_calendar)
        a.addRow("Microsoft client id", self.outlook_client_id)
        a.addRow("Microsoft sign-in address", self.outlook_authority)
        self.advanced = Disclosure("Advanced: your own sign-in app", advanced)
        lay.addWidget(self.advanced)
        lay.addStretch(1)
        self.google_button.clicked.connect(lambda: wizard.connect_calendar("google"))
        self.outlook_button.clicked.connect(lambda: wizard.connect_calendar("outlook"))
        for box, button in ((self.google_enabled, self.google_button), (self.outlook_enabled, self.outlook_button)):
            box.toggled.connect(button.setEnabled)
            button.setEnabled(box.isChecked())

    def _not_connected(self, kind: str) -> str:
        if getattr(self.base, kind).client_id:
            return "Not connected."
        return ("This copy of the app has no sign-in set up for it: ask whoever installed it, or enter your own "
                "sign-in app under Advanced.")


class CalDavPage(QWizardPage):
    """An iCloud, Fastmail or Nextcloud calendar (CalDAV): the server, user name and app password, Find calendars
    (on a worker thread) and the calendar picked from the account's list. Optional."""

    def __init__(self, base: Profile):
        super().__init__()
        self.setTitle("Apple, Fastmail or Nextcloud calendar")
        self.setSubTitle("Optional: a calendar that speaks CalDAV (iCloud, Fastmail, Nextcloud). Skip this if you "
                         "use only Google or Outlook.")
        self.enabled = QCheckBox("Use a CalDAV calendar")
        self.enabled.setChecked(base.caldav.enabled)
        self.picker = CalDavPicker(base.caldav)
        self.problem = problem_label()
        lay = QVBoxLayout(self)
        lay.addWidget(self.enabled)
        lay.addWidget(self.picker)
        lay.addWidget(self.problem)
        lay.addStretch(1)
        self.picker.setEnabled(self.enabled.isChecked())
        self.enabled.toggled.connect(self.picker.setEnabled)
        self.enabled.toggled.connect(lambda _on: self.problem.setText(""))
        self.picker.calendars.currentIndexChanged.connect(lambda _i: self.problem.setText(""))

    def validatePage(self) -> bool:
        if self.enabled.isChecked() and self.picker.calendars.currentIndex() < 0:
            self.problem.setText("Find the account's calendars and pick one, or leave the CalDAV calendar off.")
            return False
        return True

    def section(self) -> dict:
        return {"enabled": self.enabled.isChecked(), **self.picker.section()}


class AgentPage(QWizardPage):
    """The AI phone agent: its platform, that platform's own address and secret in the form its dashboard asks
    for, a signed test call through the real receiver, and the polling choice for a desk it cannot reach."""

    def __init__(self, wizard: "SetupWizard", base: Profile):
        super().__init__()
        self.setTitle("Your AI phone agent")
        self.setSubTitle("The AI platform that answers your phone sends each finished call to this computer. Pick "
                         "it, follow the steps in its dashboard, then send a test call.")
        self.wizard_ = wizard
        self.secret_values: dict[str, str] = {}  # per platform, so switching back keeps what was entered
        self.platform = QComboBox()
        for key, guide in onboarding.PLATFORM_GUIDES.items():
            self.platform.addItem(guide.label, key)
        self.steps = help_label("")
        self.steps.setObjectName("")
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.secret = QLineEdit()
        self.copy_url = QPushButton("Copy")
        self.copy_secret = QPushButton("Copy")
        self.regenerate = QPushButton("New secret")
        self.test_button = QPushButton("Send a test call")
        self.test_result = help_label("")
        self.copied = help_label("")
        # Full-width rows in a column (word-wrapped text inside a form reserves height it never uses).
        lay = QVBoxLayout(self)
        lay.setSpacing(10)
        top = QFormLayout()
        top.addRow("Platform", self.platform)
        lay.addLayout(top)
        lay.addWidget(self.steps)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        row = QHBoxLayout()
        row.addWidget(self.url, 1)
        row.addWidget(self.copy_url)
        form.addRow("Address", row)
        row = QHBoxLayout()
        row.addWidget(self.secret, 1)
        row.addWidget(self.copy_secret)
        row.addWidget(self.regenerate)
        self.secret_label = QLabel("Secret")
        form.addRow(self.secret_label, row)
        form.addRow("", self.copied)
        self.form = form
        form.setRowVisible(self.copied, False)
        lay.addLayout(form)
        self.reach = help_label("")
        lay.addWidget(self.reach)
        row = QHBoxLayout()
        row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.test_result, 1)
        lay.addLayout(row)
        # A desk the platform cannot reach: fetch finished calls from the platform's API instead.
        self.poll = QCheckBox("Fetch finished calls from the platform instead")  # the platform's name once picked
        self.poll_key = secret_edit("the platform's API key (kept in this computer's keyring)")
        self.poll_key_label = QLabel("API key")
        poll = QFormLayout()
        poll.addRow(self.poll)
        poll.addRow(self.poll_key_label, self.poll_key)
        self.poll_form = poll
        lay.addLayout(poll)
        lay.addStretch(1)
        self.poll.toggled.connect(lambda _on: self._show_poll())
        self.copy_url.clicked.connect(lambda: self._copy(self.url.text(), "Address copied."))
        self.copy_secret.clicked.connect(lambda: self._copy(self.secret.text(), "Secret copied."))
        self.regenerate.clicked.connect(lambda: self.secret.setText(onboarding.generate_webhook_secret()))
        self.test_button.clicked.connect(wizard.send_test_call)
        self._shown: str | None = None
        self.platform.setCurrentIndex(max(0, self.platform.findData(base.ingest.platform)))
        self.platform.currentIndexChanged.connect(lambda _i: self._show_platform())

    def initializePage(self) -> None:
        self._show_platform()  # the secret is generated here, after the first page found a keyring

    def chosen(self) -> str:
        return self.platform.currentData()

    def guide(self) -> onboarding.PlatformGuide:
        return onboarding.PLATFORM_GUIDES[self.chosen()]

    def _show_platform(self) -> None:
        if self._shown is not None:
            self.secret_values[self._shown] = self.secret.text()
        guide = self.guide()
        self._shown = guide.key
        self.steps.setText(guide.steps)
        profile = self.wizard_.profile()
        self.url.setText(onboarding.webhook_url(profile, guide.key))
        self.reach.setText("" if profile.ingest.public_base_url else
                           f"This address works on this computer only. {guide.label} reaches it once your installer "
                           "gives this computer a public HTTPS address (Settings → AI agent → Advanced); until "
                           "then, choose to fetch calls below where offered.")
        value = self.secret_values.get(guide.key)
        if value is None and guide.we_make_secret:
            value = onboarding.generate_webhook_secret()
        self.secret.setText(value or "")
        self.secret.setReadOnly(guide.we_make_secret)
        self.secret.setEchoMode(QLineEdit.EchoMode.Normal if guide.we_make_secret else QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("" if guide.we_make_secret else f"paste the {guide.secret_label} from "
                                                                        f"{guide.label} here")
        self.secret_label.setText(guide.secret_label)
        self.copy_secret.setVisible(guide.we_make_secret)
        self.regenerate.setVisible(guide.we_make_secret)
        self.test_result.setText("")
        self.poll_form.setRowVisible(self.poll, guide.poll_key is not None)
        self.poll.setText(f"{guide.label} cannot reach this computer: fetch finished calls from {guide.label} "
                          "every minute instead")
        self._show_poll()

    def _show_poll(self) -> None:
        guide = self.guide()
        # Retell signs with the API key: the one field above serves both.
        own_key = self.poll.isChecked() and guide.poll_key is not None and guide.poll_key != guide.secret_key
        self.poll_form.setRowVisible(self.poll_key, own_key)

    def polling(self) -> str | None:
        """The platform to fetch calls from instead of waiting for them, or None."""
        return self.chosen() if self.guide().poll_key is not None and self.poll.isChecked() else None

    def _copy(self, text: str, done: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.copied.setText(done)
        self.form.setRowVisible(self.copied, True)


class TwilioPage(QWizardPage):
    def __init__(self, base: Profile):
        super().__init__()
        self.setTitle("Text messages")
        self.setSubTitle("Optional: callers get a text confirming their appointment, sent through your Twilio "
                         "account.")
        form = QFormLayout(self)
        self.enabled = QCheckBox("Text callers a confirmation through Twilio")
        self.enabled.setChecked(base.twilio.enabled)
        self.sid = QLineEdit(base.twilio.account_sid)
        self.sid.setPlaceholderText("AC…")
        self.from_number = QLineEdit(base.twilio.from_number)
        self.from_number.setPlaceholderText("+15551234567")
        self.token = secret_edit("from the Twilio console")
        form.addRow(self.enabled)
        form.addRow("Account SID", self.sid)
        form.addRow("From number", self.from_number)
        form.addRow("Auth token", with_help(self.token, "Kept in this computer's keyring only."))
        for f in (self.sid, self.from_number, self.token):
            f.setEnabled(self.enabled.isChecked())
            self.enabled.toggled.connect(f.setEnabled)


class SetupWizard(QWizard):
    """Attributes: ``written`` — the profile path once Finish succeeded (else None)."""

    def __init__(self, *, base: Profile | None = None, target: Path | None = None,
                 secrets_for: SecretsFor = onboarding.location_secrets,
                 open_url: Callable[[str], object] = webbrowser.open,
                 connect: Callable[..., str] = onboarding.connect, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Set up Receptionist Console")
        self.setWindowIcon(icons.app_icon())
        self.base = base or Profile()
        self.target = target
        self.secrets_for = secrets_for
        self.open_url = open_url
        self._connect = connect
        self.written: Path | None = None
        self._location_id: str | None = None
        self.flows = FlowRunner(self)
        self.flows.finished.connect(self._flow_finished)
        self.location = LocationPage(self, self.base)
        self.hours = HoursPage(self.base)
        self.calendars = CalendarsPage(self, self.base)
        self.caldav = CalDavPage(self.base)
        self.agent = AgentPage(self, self.base)
        self.twilio = TwilioPage(self.base)
        for page in (self.location, self.hours, self.calendars, self.caldav, self.agent, self.twilio):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Save and start")
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setMinimumSize(720, 560)
        self.resize(820, 640)
        guard_wheel(self)  # the hours and the zone take the wheel only when focused
        name_form_fields(self)  # a field shown with its help text is not its label's buddy: named here
        # Enter in a field goes on (Next, then Save and start); the buttons in the pages act only when pressed.
        for page in (self.location, self.hours, self.calendars, self.caldav, self.agent, self.twilio):
            for button in page.findChildren(QPushButton):
                button.setAutoDefault(False)
        self.currentIdChanged.connect(lambda _id: self._default_button())
        self._default_button()

    def _default_button(self) -> None:
        last = self.currentId() == self.pageIds()[-1]
        self.button(QWizard.WizardButton.FinishButton if last else QWizard.WizardButton.NextButton).setDefault(True)

    def keyring_problem(self) -> str | None:
        """What to do when this computer's keyring cannot store a secret (None when it can)."""
        try:
            return onboarding.keyring_problem(self.secrets_for(self.base))
        except UserError as exc:  # the keyring package itself refused to start
            return f"{exc}. {onboarding.keyring_advice()}"

    # --- what the pages say, as a profile ---------------------------------------------------------------------------

    def location_id(self) -> str:
        """Generated once, the first time something is stored for this location (a sign-in or Finish)."""
        if self._location_id is None:
            self._location_id = new_location_id(self.location.name.text().strip() or "location")
        return self._location_id

    def profile(self) -> Profile:
        c, t, a = self.calendars, self.twilio, self.agent
        polling = {a.polling(): {"poll": True}} if a.polling() else {}
        return onboarding.new_profile(
            self.location.name.text().strip() or "New location", self.location.zone.zone() or "UTC",
            base=self.base, location_id=self.location_id(),
            google={"enabled": c.google_enabled.isChecked(), "client_id": c.google_client_id.text().strip(),
                    "calendar_id": c.google_calendar.text().strip() or "primary"},
            outlook={"enabled": c.outlook_enabled.isChecked(), "client_id": c.outlook_client_id.text().strip(),
                     "authority": c.outlook_authority.text().strip() or self.base.outlook.authority},
            caldav=self.caldav.section(),
            twilio={"enabled": t.enabled.isChecked(), "account_sid": t.sid.text().strip(),
                    "from_number": t.from_number.text().strip()},
            ingest={"platform": a.chosen()}, availability=self.hours.availability(), **polling)

    def secrets_entered(self) -> dict[str, str]:
        guide = self.agent.guide()
        values = {"google.client_secret": self.calendars.google_secret.text(),
                  "twilio.auth_token": self.twilio.token.text(),
                  "caldav.password": self.caldav.picker.password.text() if self.caldav.enabled.isChecked() else ""}
        values[guide.secret_key] = self.agent.secret.text() or values.get(guide.secret_key, "")
        if self.agent.polling() and guide.poll_key and guide.poll_key != guide.secret_key:
            values[guide.poll_key] = self.agent.poll_key.text()
        # Our own generic door stays signed too (and its secret is what the webhook pill checks).
        if not values.get(onboarding.WEBHOOK_SECRET_KEY):
            values[onboarding.WEBHOOK_SECRET_KEY] = onboarding.generate_webhook_secret()
        return {key: value for key, value in values.items() if value}

    # --- flows on a worker thread: sign-ins and the test call ----------------------------------------------------

    def connect_calendar(self, kind: str) -> None:
        if kind in self.flows.running:
            return
        try:
            profile = self.profile()
            secrets = self.secrets_for(profile)
            if kind == "google" and self.calendars.google_secret.text():
                secrets.set("google.client_secret", self.calendars.google_secret.text())
        except UserError as exc:
            self._status(kind).setText(str(exc))
            return
        self._button(kind).setEnabled(False)
        self._status(kind).setText("Waiting for you to finish signing in in the browser…")
        self.flows.start(kind, lambda: self._connect(kind, profile, secrets, open_url=self.open_url))

    def send_test_call(self) -> None:
        """A signed test call from the chosen platform through the real receiver; the answer lands by signal."""
        if "test-call" in self.flows.running:
            return
        try:
            profile = self.profile()
        except UserError as exc:
            self.agent.test_result.setText(f"✗ {exc}")
            return
        platform, secret = self.agent.chosen(), self.agent.secret.text()
        self.agent.test_button.setEnabled(False)
        self.agent.test_result.setStyleSheet("")
        self.agent.test_result.setText("Sending a test call…")

        def flow() -> tuple[bool, str]:
            result = onboarding.send_test_call(profile, platform, secret)
            return result.ok, result.sentence

        self.flows.start("test-call", flow)

    def _button(self, kind: str) -> QPushButton:
        return {"google": self.calendars.google_button, "outlook": self.calendars.outlook_button,
                "test-call": self.agent.test_button}[kind]

    def _status(self, kind: str) -> QLabel:
        return {"google": self.calendars.google_status, "outlook": self.calendars.outlook_status,
                "test-call": self.agent.test_result}[kind]

    def _flow_finished(self, kind: str, ok: bool, message: str) -> None:
        self.flows.done(kind)
        button = self._button(kind)
        button.setEnabled(True)
        if ok and kind != "test-call":
            button.setText("Connect again…")
        label = self._status(kind)
        label.setText(("✓ " if ok else "✗ ") + message)
        label.setStyleSheet(f"color: {'#15803d' if ok else '#b91c1c'};")

    # --- Finish -------------------------------------------------------------------------------------------------

    def save(self) -> Path | None:
        """Write the profile, then the secrets; returns the profile path, or None if nothing could be written."""
        try:
            profile = self.profile()
        except UserError as exc:
            QMessageBox.warning(self, "Check the settings", str(exc))
            return None
        try:
            path = onboarding.save_profile(profile, self.target)
        except UserError as exc:
            QMessageBox.warning(self, "Cannot save the profile", str(exc))
            return None
        try:
            secrets = self.secrets_for(profile)
            for key, value in self.secrets_entered().items():
                secrets.set(key, value)
        except EnvironmentProblem as exc:  # the keyring went away after the first page found it
            QMessageBox.warning(self, exc.title, f"The settings are saved in {path}, but the secrets are not: "
                                                 f"{exc}\n\nEnter them again under File → Settings once it is fixed.")
        self.written = path
        return path

    def accept(self) -> None:
        if self.save() is not None:
            super().accept()


def run_setup(**kwargs) -> Path | None:
    """Show the setup screen (creating the QApplication if needed); the profile path, or None if cancelled."""
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setWindowIcon(icons.app_icon())
    wizard = SetupWizard(**kwargs)
    wizard.setStyleSheet(theme.load_stylesheet())
    wizard.exec()
    return wizard.written


__all__ = ["SetupWizard", "run_setup"]
