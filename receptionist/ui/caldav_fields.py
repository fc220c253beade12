"""A CalDAV account as setup and Settings ask for it: the server (a bare domain is enough), the user name, the
app-specific password, **Find calendars** (the server's list, read on a worker thread through
``onboarding.find_caldav_calendars``, as ``receptionist connect caldav --list`` reads it) and a drop-down of the
account's calendars. The password goes to the keyring only, with the rest of the form's secrets when it is saved.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QWidget

from receptionist.config import CalDavSettings
from receptionist.errors import UserError
from receptionist.onboarding import find_caldav_calendars
from receptionist.ui.setup_fields import FlowRunner, help_label, secret_edit, with_help


class CalDavPicker(QWidget):
    """Attributes: ``url``, ``username``, ``password`` (line edits), ``find_button``, ``calendars`` (the drop-down:
    each item's data is the calendar's URL), ``status``. ``section()`` is what goes to ``[caldav]``."""

    def __init__(self, current: CalDavSettings, stored_password: Callable[[], str | None] = lambda: None, *,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.current = current
        self.stored_password = stored_password
        self.found_url = current.url
        self.url = QLineEdit(current.url)
        self.url.setPlaceholderText("e.g. fastmail.com, caldav.icloud.com or https://cloud.example.com/remote.php/dav")
        self.username = QLineEdit(current.username)
        self.username.setPlaceholderText("your Apple ID or e-mail address")
        self.password = secret_edit("made in the account's security settings")
        self.find_button = QPushButton("Find calendars")
        self.find_button.setAutoDefault(False)
        self.find_button.clicked.connect(self.find)
        self.calendars = QComboBox()
        self.calendars.setMinimumContentsLength(24)
        self.calendars.setPlaceholderText("Find the account's calendars first")
        self.calendars.setAccessibleName("Calendar")
        if current.calendar_url:
            self.calendars.addItem(current.calendar_name or current.calendar_url, current.calendar_url)
            self.calendars.setCurrentIndex(0)
        self.status = help_label("")
        self.flows = FlowRunner(self)
        self.flows.finished.connect(self._found)
        self._account = None
        self._searched = ""
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Server", with_help(self.url, "The address, or just the domain: the server is looked up."))
        form.addRow("User name", self.username)
        form.addRow("App password", with_help(self.password, "iCloud and Fastmail need an app-specific password; "
                                                             "it is kept in this computer's keyring only."))
        row = QHBoxLayout()
        row.addWidget(self.calendars, 1)
        row.addWidget(self.find_button)
        form.addRow("Calendar", row)
        form.addRow(self.status)

    def find(self) -> None:
        """Sign in and list the account's calendars on a worker thread; the drop-down fills when they arrive."""
        if "caldav" in self.flows.running:
            return
        url, user = self.url.text().strip(), self.username.text().strip()
        password = self.password.text() or self._stored()
        if not password:
            self.status.setText("✗ Type the app-specific password first.")
            return
        settings = self.current
        self._searched = url
        self.find_button.setEnabled(False)
        self.status.setText("Looking for the server and its calendars…")

        def flow() -> str:
            self._account = find_caldav_calendars(settings, url, user, password)
            return f"{len(self._account.calendars)} calendar(s) at {self._account.url}"

        self.flows.start("caldav", flow)

    def _stored(self) -> str:
        try:
            return self.stored_password() or ""
        except UserError:  # no keyring: it must be typed
            return ""

    def _found(self, _kind: str, ok: bool, message: str) -> None:
        self.flows.done("caldav")
        self.find_button.setEnabled(True)
        account = self._account
        if not ok or account is None:
            self.status.setText(f"✗ {message}")
            return
        wanted = self.calendars.currentData() or self.current.calendar_url
        self.found_url = account.url
        self.calendars.clear()
        for calendar in account.calendars:
            self.calendars.addItem(calendar.name, calendar.id)
        index = self.calendars.findData(wanted)
        self.calendars.setCurrentIndex(index if index >= 0 else 0 if account.calendars else -1)
        self.status.setText(f"✓ Found {len(account.calendars)} calendar(s) on {account.url}: pick the one for "
                            "appointments." if account.calendars else
                            "✗ The account has no calendars: make one in the calendar app first.")

    def section(self) -> dict:
        """``[caldav]``'s server, user and calendar as picked (the server as discovered once Find ran)."""
        typed = self.url.text().strip()
        url = self.found_url if self._account is not None and typed == self._searched else typed
        index = self.calendars.currentIndex()
        return {"url": url, "username": self.username.text().strip(),
                "calendar_url": self.calendars.itemData(index) if index >= 0 else "",
                "calendar_name": self.calendars.itemText(index) if index >= 0 else ""}


__all__ = ["CalDavPicker"]
