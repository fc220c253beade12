"""The setup screen of a first start: the business, its calendars, the AI platform's webhook and Twilio.

It writes the user profile (``onboarding.save_profile``) and puts every secret in the OS keyring only.  The
sign-in flows (Google, Outlook) block until the person finishes in the browser, so they run on a worker thread and
report back by queued signal; the window stays responsive and can be cancelled.
"""

from __future__ import annotations

import logging
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from zoneinfo import available_timezones

from PySide6.QtCore import QObject, QStringListModel, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from receptionist import onboarding
from receptionist.config import Profile, new_location_id
from receptionist.domain.ports import SecretStore
from receptionist.errors import EnvironmentProblem, ProviderError, UserError
from receptionist.ui import icons, theme
from receptionist.ui.wheel_guard import guard_wheel

log = logging.getLogger(__name__)

SecretsFor = Callable[[Profile], SecretStore]


class ZoneBox(QComboBox):
    """Every IANA zone, searchable: type any part ("chicago", "Europe/") and pick from the matches."""

    def __init__(self, current: str = "America/Chicago", parent: QWidget | None = None):
        super().__init__(parent)
        zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
        zones.append("UTC")
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.addItems(zones)
        completer = QCompleter(QStringListModel(zones, self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompleter(completer)
        self.setMaxVisibleItems(15)
        self.set_zone(current)
        self.lineEdit().setPlaceholderText("Type a city, e.g. Chicago")

    def set_zone(self, zone: str) -> None:
        index = self.findText(zone)
        if index >= 0:
            self.setCurrentIndex(index)
        else:
            self.setEditText(zone)

    def zone(self) -> str:
        return self.currentText().strip()


def hour_box(value: int, lo: int, hi: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setSuffix(":00")
    box.setMinimumWidth(90)
    return box


def help_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("muted")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def with_help(field: QWidget | QHBoxLayout, text: str) -> QWidget:
    """A field with its help text right under it (a separate form row would leave a gap)."""
    holder = QWidget()
    holder.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    lay = QVBoxLayout(holder)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(2)
    if isinstance(field, (QLineEdit, QComboBox)):
        lay.addWidget(field)
    elif isinstance(field, QWidget):  # spin boxes, check boxes: their own width, the help text the full width
        lay.addWidget(field, 0, Qt.AlignmentFlag.AlignLeft)
    else:
        lay.addLayout(field)
    if text:
        lay.addWidget(help_label(text))
    return holder


def secret_edit(placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    return edit


class SignInRunner(QObject):
    """Runs a blocking sign-in on a worker thread; ``finished(kind, ok, message)`` arrives on the GUI thread."""

    finished = Signal(str, bool, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.running: set[str] = set()

    def start(self, kind: str, flow: Callable[[], str]) -> threading.Thread:
        self.running.add(kind)

        def run() -> None:
            try:
                ok, message = True, flow()
            except (UserError, ProviderError) as exc:
                ok, message = False, str(exc)
            except Exception as exc:  # a bug in a flow: say so here, and log the traceback
                log.exception("sign-in to %s failed", kind)
                ok, message = False, f"sign-in failed unexpectedly ({type(exc).__name__}: {exc}); see the log"
            self.finished.emit(kind, ok, message)

        thread = threading.Thread(target=run, name=f"sign-in-{kind}", daemon=True)
        thread.start()
        return thread

    def done(self, kind: str) -> None:
        self.running.discard(kind)


class LocationPage(QWizardPage):
    def __init__(self, base: Profile):
        super().__init__()
        self.setTitle("Your business")
        self.setSubTitle("Welcome! A few questions set this computer up for your front desk; everything can be "
                         "changed later in File → Settings…. First: your business, where it is, and its hours.")
        loc = base.location
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Lakeside Dental")
        self.zone = ZoneBox(loc.time_zone)
        self.open_hour = hour_box(loc.open_hour, 0, 23)
        self.close_hour = hour_box(loc.close_hour, 1, 24)
        hours = QHBoxLayout()
        hours.addWidget(QLabel("from"))
        hours.addWidget(self.open_hour)
        hours.addWidget(QLabel("to"))
        hours.addWidget(self.close_hour)
        hours.addStretch(1)
        form = QFormLayout(self)
        form.setVerticalSpacing(14)
        form.addRow("Business name", with_help(self.name, "Shown in the title bar and in SMS confirmations."))
        form.addRow("Time zone", with_help(self.zone, "All times are shown in this zone. Type part of a city or "
                                                      "region to search."))
        form.addRow("Opening hours", with_help(hours, "Calls asking for a time outside these hours are flagged "
                                                      "for a person."))
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setStyleSheet("color: #dc2626;")
        self.problem.setWordWrap(True)
        form.addRow(self.problem)
        self.name.textChanged.connect(self.completeChanged)
        self.zone.currentTextChanged.connect(self.completeChanged)

    def isComplete(self) -> bool:
        problem = ""
        if not self.name.text().strip():
            problem = "Enter the business name."
        elif self.zone.findText(self.zone.zone()) < 0:
            problem = f"“{self.zone.zone()}” is not a time zone: pick one from the list."
        elif self.open_hour.value() >= self.close_hour.value():
            problem = "The closing hour must be after the opening hour."
        self.problem.setText(problem)
        return not problem


class CalendarsPage(QWizardPage):
    def __init__(self, wizard: "SetupWizard", base: Profile):
        super().__init__()
        self.setTitle("Calendars")
        self.setSubTitle("Approved bookings are written to these calendars, and their busy time is read back. "
                         "You can skip this and connect later from File → Settings….")
        self.wizard_ = wizard
        lay = QVBoxLayout(self)

        google = QGroupBox("Google Calendar")
        g = QFormLayout(google)
        self.google_enabled = QCheckBox("Use Google Calendar")
        self.google_enabled.setChecked(base.google.enabled)
        self.google_client_id = QLineEdit(base.google.client_id)
        self.google_client_id.setPlaceholderText("….apps.googleusercontent.com")
        self.google_secret = secret_edit("from Google Cloud Console (Desktop app client)")
        self.google_calendar = QLineEdit(base.google.calendar_id)
        self.google_button = QPushButton("Connect Google…")
        self.google_status = help_label("Not connected.")
        g.addRow(self.google_enabled)
        g.addRow("OAuth client id", self.google_client_id)
        g.addRow("Client secret", self.google_secret)
        g.addRow("Calendar id", self.google_calendar)
        g.addRow(self.google_button, self.google_status)
        lay.addWidget(google)

        outlook = QGroupBox("Outlook / Microsoft 365")
        o = QFormLayout(outlook)
        self.outlook_enabled = QCheckBox("Use an Outlook calendar")
        self.outlook_enabled.setChecked(base.outlook.enabled)
        self.outlook_client_id = QLineEdit(base.outlook.client_id)
        self.outlook_client_id.setPlaceholderText("Application (client) id of the app registration")
        self.outlook_authority = QLineEdit(base.outlook.authority)
        self.outlook_button = QPushButton("Connect Outlook…")
        self.outlook_status = help_label("Not connected.")
        o.addRow(self.outlook_enabled)
        o.addRow("App (client) id", self.outlook_client_id)
        o.addRow("Authority", self.outlook_authority)
        o.addRow(self.outlook_button, self.outlook_status)
        lay.addWidget(outlook)
        lay.addWidget(help_label("Connecting opens the sign-in page in your browser; come back here when it says "
                                 "you are done. Tokens are kept in this computer's keyring, never in files."))
        lay.addStretch(1)
        self.google_button.clicked.connect(lambda: wizard.connect_calendar("google"))
        self.outlook_button.clicked.connect(lambda: wizard.connect_calendar("outlook"))
        for box, fields in ((self.google_enabled, (self.google_client_id, self.google_secret, self.google_calendar,
                                                   self.google_button)),
                            (self.outlook_enabled, (self.outlook_client_id, self.outlook_authority,
                                                    self.outlook_button))):
            box.toggled.connect(lambda on, fields=fields: [f.setEnabled(on) for f in fields])
            for f in fields:
                f.setEnabled(box.isChecked())


POLLING_PLATFORMS = (("", "No polling (webhooks)"), ("vapi", "Vapi"), ("retell", "Retell"),
                     ("elevenlabs", "ElevenLabs"))


class WebhookPage(QWizardPage):
    def __init__(self, wizard: "SetupWizard"):
        super().__init__()
        self.setTitle("Your AI phone agent")
        self.setSubTitle("The AI platform sends each call here, signed with this secret. Paste both into the "
                         "platform's webhook settings.")
        self.wizard_ = wizard
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.secret = QLineEdit(onboarding.generate_webhook_secret())
        self.secret.setReadOnly(True)
        self.copy_url = QPushButton("Copy")
        self.copy_secret = QPushButton("Copy")
        self.regenerate = QPushButton("New secret")
        form = QFormLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.url, 1)
        row.addWidget(self.copy_url)
        form.addRow("Webhook URL", row)
        row = QHBoxLayout()
        row.addWidget(self.secret, 1)
        row.addWidget(self.copy_secret)
        row.addWidget(self.regenerate)
        form.addRow("Signing secret", row)
        form.addRow(help_label(
            "Requests carry X-Receptionist-Signature: v1=HMAC-SHA256(secret, \"<unix time>.<body>\"). The console "
            "listens on this computer only; to reach it from the internet, put an HTTPS reverse proxy in front "
            "and paste that proxy's address instead."))
        self.copied = help_label("")
        form.addRow("", self.copied)
        # A desk with no public address: fetch finished calls from the platform's API instead.
        self.poll_platform = QComboBox()
        for key, label in POLLING_PLATFORMS:
            self.poll_platform.addItem(label, key)
        self.poll_key = secret_edit()
        self.poll_key.setPlaceholderText("the platform's API key (kept in this computer's keyring)")
        form.addRow("Or fetch calls from", self.poll_platform)
        form.addRow("API key", self.poll_key)
        form.addRow(help_label("For a desk the AI platform cannot reach: the console asks the platform for finished "
                               "calls every minute instead of waiting for webhooks. Leave it on \"No polling\" when "
                               "the webhook above is used."))
        self.poll_platform.currentIndexChanged.connect(
            lambda _i: self.poll_key.setEnabled(bool(self.poll_platform.currentData())))
        self.poll_key.setEnabled(False)
        self.copy_url.clicked.connect(lambda: self._copy(self.url.text(), "Webhook URL copied."))
        self.copy_secret.clicked.connect(lambda: self._copy(self.secret.text(), "Signing secret copied."))
        self.regenerate.clicked.connect(lambda: self.secret.setText(onboarding.generate_webhook_secret()))

    def initializePage(self) -> None:
        self.url.setText(onboarding.webhook_url(self.wizard_.profile()))

    def polling(self) -> str | None:
        """The platform chosen for polling (vapi, retell, elevenlabs), or None."""
        return self.poll_platform.currentData() or None

    def _copy(self, text: str, done: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.copied.setText(done)


class TwilioPage(QWizardPage):
    def __init__(self, base: Profile):
        super().__init__()
        self.setTitle("Text messages (Twilio)")
        self.setSubTitle("Optional: callers get an SMS confirming their appointment.")
        form = QFormLayout(self)
        self.enabled = QCheckBox("Send SMS confirmations through Twilio")
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
                 secrets_for: SecretsFor = onboarding.location_secrets, open_url: Callable[[str], object] = webbrowser.open,
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
        self.location = LocationPage(self.base)
        self.calendars = CalendarsPage(self, self.base)
        self.webhook = WebhookPage(self)
        self.twilio = TwilioPage(self.base)
        for page in (self.location, self.calendars, self.webhook, self.twilio):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Save and start")
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setMinimumSize(720, 560)
        self.resize(780, 600)
        self.sign_in = SignInRunner(self)
        self.sign_in.finished.connect(self._signed_in)
        guard_wheel(self)  # the hours and the zone take the wheel only when focused

    # --- what the pages say, as a profile ---------------------------------------------------------------------------

    def location_id(self) -> str:
        """Generated once, the first time something is stored for this location (a sign-in or Finish)."""
        if self._location_id is None:
            self._location_id = new_location_id(self.location.name.text().strip() or "location")
        return self._location_id

    def profile(self) -> Profile:
        c, t = self.calendars, self.twilio
        polling = {self.webhook.polling(): {"poll": True}} if self.webhook.polling() else {}
        return onboarding.new_profile(
            self.location.name.text().strip() or "New location", self.location.zone.zone(),
            open_hour=self.location.open_hour.value(), close_hour=self.location.close_hour.value(),
            base=self.base, location_id=self.location_id(),
            google={"enabled": c.google_enabled.isChecked(), "client_id": c.google_client_id.text().strip(),
                    "calendar_id": c.google_calendar.text().strip() or "primary"},
            outlook={"enabled": c.outlook_enabled.isChecked(), "client_id": c.outlook_client_id.text().strip(),
                     "authority": c.outlook_authority.text().strip() or self.base.outlook.authority},
            twilio={"enabled": t.enabled.isChecked(), "account_sid": t.sid.text().strip(),
                    "from_number": t.from_number.text().strip()}, **polling)

    def secrets_entered(self) -> dict[str, str]:
        values = {"google.client_secret": self.calendars.google_secret.text(),
                  "twilio.auth_token": self.twilio.token.text(),
                  "ingest.webhook_secret": self.webhook.secret.text()}
        if self.webhook.polling():
            values[f"{self.webhook.polling()}.api_key"] = self.webhook.poll_key.text()
        return {key: value for key, value in values.items() if value}

    # --- sign-in on a worker thread -----------------------------------------------------------------------------

    def connect_calendar(self, kind: str) -> None:
        if kind in self.sign_in.running:
            return
        try:
            profile = self.profile()
            secrets = self.secrets_for(profile)
            if kind == "google" and self.calendars.google_secret.text():
                secrets.set("google.client_secret", self.calendars.google_secret.text())
        except UserError as exc:
            self._status(kind).setText(str(exc))
            return
        button = self.calendars.google_button if kind == "google" else self.calendars.outlook_button
        button.setEnabled(False)
        self._status(kind).setText("Waiting for you to finish signing in in the browser…")
        self.sign_in.start(kind, lambda: self._connect(kind, profile, secrets, open_url=self.open_url))

    def _status(self, kind: str) -> QLabel:
        return self.calendars.google_status if kind == "google" else self.calendars.outlook_status

    def _signed_in(self, kind: str, ok: bool, message: str) -> None:
        self.sign_in.done(kind)
        button = self.calendars.google_button if kind == "google" else self.calendars.outlook_button
        button.setEnabled(True)
        button.setText("Connect again…" if ok else button.text())
        label = self._status(kind)
        label.setText(("✓ " if ok else "✗ ") + message)
        label.setStyleSheet(f"color: {'#15803d' if ok else '#dc2626'};")

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
        except EnvironmentProblem as exc:
            QMessageBox.warning(self, exc.title, f"The settings are saved in {path}, but the secrets are not: "
                                                 f"{exc}\n\nEnter them again in File → Settings… once it is fixed.")
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


__all__ = ["SetupWizard", "SignInRunner", "ZoneBox", "run_setup"]
