"""The call list's rows: :class:`CallItemDelegate` paints each call of the :class:`~receptionist.ui.models.CallListModel`
as two lines (caller and time; phone · service, a status chip and issue counts), drawn once into a pixmap per row.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from receptionist.domain.models import CallRecord, ProposalStatus, Severity
from receptionist.ui import theme
from receptionist.ui.models import CallListModel


class CallItemDelegate(QStyledItemDelegate):
    """Paints a call as two lines: caller and time; phone · desk, with a status chip and issue counts.

    Each row is drawn once into a pixmap, kept while its call record (the model replaces it when the call changes),
    received time, size and selection are the same: a new call inserted at the top moves every row and repaints
    the list, many times a second under load, and drawing a row reads ten roles and lays out its text."""

    PAD = 8
    KEPT = 64  # drawn rows kept: a few screens of the list (a row is ~150 KB at 1440 px)

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._drawn: OrderedDict[tuple, tuple[CallRecord, QPixmap]] = OrderedDict()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        fm = QFontMetrics(option.font)
        return QSize(260, fm.height() * 2 + self.PAD * 2 + 6)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        R = CallListModel.Role
        call = index.data(R.CALL)
        rect = option.rect
        ratio = painter.device().devicePixelRatioF()
        key = (call.id if call is not None else None, index.data(R.RECEIVED),
               bool(option.state & QStyle.StateFlag.State_Selected), rect.width(), rect.height(), option.font.key(),
               ratio)
        kept = self._drawn.get(key)
        if kept is not None and kept[0] is call:
            self._drawn.move_to_end(key)
            painter.drawPixmap(rect.topLeft(), kept[1])
            return
        pixmap = QPixmap(rect.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        at_origin = QStyleOptionViewItem(option)
        at_origin.rect = QRect(0, 0, rect.width(), rect.height())
        row_painter = QPainter(pixmap)
        try:
            self._draw(row_painter, at_origin, index)
        finally:
            row_painter.end()
        painter.drawPixmap(rect.topLeft(), pixmap)
        if call is not None:
            self._drawn[key] = (call, pixmap)
            while len(self._drawn) > self.KEPT:
                self._drawn.popitem(last=False)

    def _draw(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        R = CallListModel.Role
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pending = index.data(R.PROPOSAL_STATUS) == ProposalStatus.PENDING.value
        background = QColor("#dbeafe") if selected else QColor("#ffffff" if pending else "#f8fafc")
        painter.fillRect(rect, background)
        if selected:
            painter.fillRect(QRect(rect.left(), rect.top(), 4, rect.height()), QColor("#2563eb"))
        painter.setPen(QPen(QColor("#e2e8f0")))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())

        fm = QFontMetrics(option.font)
        inner = rect.adjusted(self.PAD + 4, self.PAD, -self.PAD, -self.PAD)
        line_h = fm.height()
        top = QRect(inner.left(), inner.top(), inner.width(), line_h)
        bottom = QRect(inner.left(), inner.top() + line_h + 6, inner.width(), line_h)

        # line 1: caller (bold) ........ received time
        received = index.data(R.RECEIVED) or ""
        painter.setPen(QColor("#64748b"))
        painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, received)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor("#0f172a" if pending else "#475569"))
        name_w = top.width() - fm.horizontalAdvance(received) - 12
        name = QFontMetrics(bold).elidedText(index.data(R.CALLER) or "", Qt.TextElideMode.ElideRight, name_w)
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(option.font)

        # line 2, right side: issue counts then the status chip
        x = bottom.right()
        status = index.data(R.STATUS) or ""
        proposal_status = index.data(R.PROPOSAL_STATUS)
        chip_color = QColor(theme.PROPOSAL_COLORS.get(ProposalStatus(proposal_status), "#6b7280")
                            if proposal_status else "#6b7280")
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.85))
        sfm = QFontMetrics(small)
        chip_w = sfm.horizontalAdvance(status) + 14
        chip = QRect(x - chip_w, bottom.top(), chip_w, bottom.height())
        painter.setPen(Qt.PenStyle.NoPen)
        fill = QColor(chip_color)
        fill.setAlpha(30)
        painter.setBrush(fill)
        painter.drawRoundedRect(chip, 8, 8)
        painter.setFont(small)
        painter.setPen(chip_color)
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, status)
        x = chip.left() - 8
        for count, severity in ((index.data(R.WARNING_COUNT), Severity.WARNING),
                                (index.data(R.ERROR_COUNT), Severity.ERROR)):
            if count:
                text = f"{theme.SEVERITY_MARKS[severity]} {count}"
                w = sfm.horizontalAdvance(text) + 4
                painter.setPen(QColor(theme.SEVERITY_COLORS[severity]))
                painter.drawText(QRect(x - w, bottom.top(), w, bottom.height()),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
                x -= w + 6
        painter.setFont(option.font)

        # line 2, left side: phone · service
        details = " · ".join(p for p in (index.data(R.PHONE), index.data(R.SERVICE)) if p)
        painter.setPen(QColor("#334155"))
        left = QRect(bottom.left(), bottom.top(), max(0, x - bottom.left() - 6), bottom.height())
        painter.drawText(left, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(details, Qt.TextElideMode.ElideRight, left.width()))
        painter.restore()


__all__ = ["CallItemDelegate"]
