"""Accessible names for form fields a screen reader would otherwise not name.

A form row's label names its field for a screen reader only when the field is the label's buddy. A field wrapped with
its help text (``setup_fields.with_help``), or several controls in one row, is not, so Tab lands on a control that
says nothing. :func:`name_form_fields` gives each such control its row's label as its accessible name, once the form
is built (Settings, the setup screens)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLayoutItem,
    QWidget,
)


def spoken_name(widget: QWidget) -> str:
    """What a screen reader says for the widget: its accessible name, its text, or its buddy label's."""
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


def _plain(text: str) -> str:
    """A label's words: no markup, no mnemonic ampersand, no trailing colon."""
    text = re.sub(r"<[^>]+>", "", text).replace("&&", "\0").replace("&", "").replace("\0", "&")
    return text.strip().rstrip(":").strip()


def _part_of_another(widget: QWidget, top: QWidget) -> bool:
    """A spin box's line edit, a combo box's list, a view's inner widgets: named through their control."""
    parent = widget.parentWidget()
    while parent is not None and parent is not top.parentWidget():
        if isinstance(parent, (QAbstractSpinBox, QComboBox, QAbstractItemView)):
            return True
        parent = parent.parentWidget()
    return False


def _controls(item: QLayoutItem) -> Iterator[QWidget]:
    widget, layout = item.widget(), item.layout()
    if widget is not None:
        for w in (widget, *widget.findChildren(QWidget)):
            if w.focusPolicy() & Qt.FocusPolicy.TabFocus and not _part_of_another(w, widget):
                yield w
    elif layout is not None:
        for n in range(layout.count()):
            yield from _controls(layout.itemAt(n))


def name_form_fields(root: QWidget) -> None:
    """Each control a person can Tab to in a labelled form row under ``root`` that a screen reader would not name
    gets the row's label as its accessible name (a control with a name or text of its own keeps it)."""
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            label = label_item.widget() if label_item is not None else None
            if not isinstance(label, QLabel) or field_item is None or not _plain(label.text()):
                continue
            for control in _controls(field_item):
                if not spoken_name(control):
                    control.setAccessibleName(_plain(label.text()))


__all__ = ["name_form_fields", "spoken_name"]
