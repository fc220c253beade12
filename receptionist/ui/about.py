"""Help → About: what this build is and where its things are (for the person at the desk and for support)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from receptionist.onboarding import Installation
from receptionist.ui import icons


def _value(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


class AboutDialog(QDialog):
    """Attributes: ``title`` (name and version) and ``rows`` (label → text shown)."""

    def __init__(self, installation: Installation, location_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("About Receptionist Console")
        logo = QLabel()
        logo.setPixmap(icons.app_icon().pixmap(64, 64))
        self.title = title = QLabel(f"<b style='font-size:16px'>Receptionist Console</b><br>"
                                    f"version {installation.version}")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        head = QVBoxLayout()
        head.addWidget(logo, 0, Qt.AlignmentFlag.AlignHCenter)
        head.addWidget(title, 0, Qt.AlignmentFlag.AlignHCenter)
        source = installation.profile
        location_id = installation.location_id + (" (derived from the name)" if installation.location_id_derived
                                                  else "")
        self.rows = {
            "Location": f"{location_name} — id {location_id}",
            "Profile": f"{source.path} ({source.how})" if source else "none (the embedded defaults)",
            "Database": installation.database,
            "Secrets": (f"OS keyring, service {installation.keyring_service}"
                        if installation.keyring_service.startswith("receptionist-console:")
                        else installation.keyring_service),
            "Log folder": str(installation.log_folder),
        }
        form = QFormLayout()
        for label, text in self.rows.items():
            form.addRow(f"{label}:", _value(text))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addSpacing(8)
        lay.addLayout(form)
        lay.addStretch(1)
        lay.addWidget(buttons)
        self.setMinimumWidth(660)


__all__ = ["AboutDialog"]
