"""Settings → People: the desk's people (front desk, owners), added, changed (role, own phone, PIN) and removed by an
owner. The editor holds the list being edited (``members``); ``desk.people`` decides each change (owners only, the
PIN kept as a salted hash, an owner always left), and the Settings dialog writes the list with the rest of the
profile on Save, when ``desk.settings.apply`` audits what changed, person by person.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from receptionist.config import Person
from receptionist.domain.people import same_person
from receptionist.errors import UserError
from receptionist.services.people import ROLES, People

ROLE_LABELS = {"front-desk": "Front desk", "owner": "Owner"}


class PeopleEditor(QWidget):
    """The list, and a form for the selected person (or a new one). Attributes: ``members`` (the edited list),
    ``people_list``, ``name``, ``role``, ``phone``, ``pin``, ``save_button``, ``remove_button``, ``message``."""

    def __init__(self, members: tuple[Person, ...], people: People, parent: QWidget | None = None):
        super().__init__(parent)
        self.people = people
        self.members = tuple(members)
        self.owner = people.is_owner()
        self.people_list = QListWidget()
        self.people_list.setAccessibleName("The desk's people")
        self.people_list.setMinimumHeight(90)
        self.people_list.setMaximumHeight(130)  # the section fits a 640-pixel dialog without scrolling
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Ana Ruiz")
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem(ROLE_LABELS[role], role)
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("their own phone, rung first by Call back (optional)")
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.pin.setPlaceholderText("4 to 8 digits; empty keeps the PIN they have")
        self.no_pin = QPushButton("C&lear PIN")
        self.no_pin.setToolTip("Take this person's PIN away: they pick themself without one")
        self.save_button = QPushButton("&Add person")
        self.new_button = QPushButton("Ne&w person")
        self.remove_button = QPushButton("Re&move")
        self.remove_button.setObjectName("danger")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("muted")
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Role", self.role)
        form.addRow("Own p&hone", self.phone)
        pin_row = QHBoxLayout()
        pin_row.addWidget(self.pin, 1)
        pin_row.addWidget(self.no_pin)
        pin_label = QLabel("&PIN")
        pin_label.setBuddy(self.pin)
        form.addRow(pin_label, pin_row)
        buttons = QHBoxLayout()
        for b in (self.save_button, self.new_button, self.remove_button):
            b.setAutoDefault(False)
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.people_list)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.message)
        self.people_list.currentRowChanged.connect(self._selected)
        self.save_button.clicked.connect(self.save_person)
        self.new_button.clicked.connect(self.new_person)
        self.remove_button.clicked.connect(self.remove_person)
        self.no_pin.clicked.connect(lambda: self.save_person(clear_pin=True))
        self._fill()
        if not self.owner:
            for w in (self.name, self.role, self.phone, self.pin, self.no_pin, self.save_button, self.new_button,
                      self.remove_button):
                w.setEnabled(False)
            self.message.setText("Only an owner can add, change or remove people. Pick yourself as an owner "
                                 "(File → Switch person…) to change them.")
        else:
            self.message.setText("Changes are kept when you press Save; the audit log names who made them.")
        self.new_person()

    def _fill(self, select: str | None = None) -> None:
        self.people_list.blockSignals(True)
        self.people_list.clear()
        for p in self.members:
            self.people_list.addItem(f"{p.name} — {ROLE_LABELS[p.role]}{', PIN' if p.pin_hash else ', no PIN'}"
                                     + (f", {p.phone}" if p.phone else ""))
        self.people_list.blockSignals(False)
        if not self.members:
            self.people_list.addItem("Nobody is listed: the audit log says 'staff'. Add the first owner below.")
            self.people_list.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        if select is not None:
            row = next((i for i, p in enumerate(self.members) if same_person(p.name, select)), -1)
            self.people_list.setCurrentRow(row)

    def selected(self) -> Person | None:
        row = self.people_list.currentRow()
        return self.members[row] if 0 <= row < len(self.members) else None

    def _selected(self, _row: int) -> None:
        person = self.selected()
        if person is None:
            return
        self.name.setText(person.name)
        self.role.setCurrentIndex(self.role.findData(person.role))
        self.phone.setText(person.phone)
        self.pin.clear()
        self.save_button.setText("&Save person")
        self.remove_button.setEnabled(self.owner)
        self.no_pin.setEnabled(self.owner and bool(person.pin_hash))

    def new_person(self) -> None:
        """An empty form: Add person adds whoever it then names."""
        self.people_list.setCurrentRow(-1)
        for edit in (self.name, self.phone, self.pin):
            edit.clear()
        self.role.setCurrentIndex(0 if self.members else self.role.findData("owner"))
        self.save_button.setText("&Add person")
        self.remove_button.setEnabled(False)
        self.no_pin.setEnabled(False)
        if self.owner:
            self.name.setFocus()

    def save_person(self, clear_pin: bool = False) -> None:
        """Add the person the form names, or change them (the one selected, renamed too)."""
        person = self.selected()
        name = self.name.text().strip()
        pin = "" if clear_pin else (self.pin.text() or None)
        try:
            members, keep_hash = self.members, ""
            if person is not None and not same_person(person.name, name):  # renamed: the old name goes
                members = tuple(p for p in members if p is not person)
                keep_hash = person.pin_hash if pin is None else ""
            members = self.people.with_person(members, name, self.role.currentData(), phone=self.phone.text(),
                                              pin=pin)
            if keep_hash:
                members = tuple(p.model_copy(update={"pin_hash": keep_hash}) if same_person(p.name, name) else p
                                for p in members)
        except UserError as exc:
            self._say(str(exc), error=True)
            return
        self.members = members
        self._fill(select=name)
        self._selected(self.people_list.currentRow())
        self._say(f"{name}: {'PIN taken away' if clear_pin else 'kept'}. Press Save to write it down.")

    def remove_person(self) -> None:
        person = self.selected()
        if person is None:
            return
        try:
            members = self.people.without_person(self.members, person.name)
        except UserError as exc:
            self._say(str(exc), error=True)
            return
        self.members = members
        self._fill()
        self.new_person()
        self._say(f"{person.name} removed. Press Save to write it down.")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setObjectName("inlineError" if error else "muted")
        self.message.setStyleSheet("color: #b91c1c;" if error else "")
        self.message.setText(text)


__all__ = ["PeopleEditor"]
