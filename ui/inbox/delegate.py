"""Painting inbox rows: author name with handle, the preview with tag and badge chips.

Colours come from the palette and sizes from the view's font, so light and dark themes and
the system's text size are followed without any number chosen here.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from storage.records import InboxRow

from app.text.display import one_line

from ui.inbox.model import BADGES_ROLE, COLUMNS, ROW_ROLE

_Index = QModelIndex | QPersistentModelIndex

FROM_COLUMN = COLUMNS.index("From")
MESSAGE_COLUMN = COLUMNS.index("Message")
_URGENT_BADGES = {"reply failed"}
# Chips never take more than this share of the message cell: the words come first.
_CHIP_SHARE = 0.55


class InboxRowDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        size = super().sizeHint(option, index)
        # Room for the text and the chips' frame at whatever size the system font is.
        return QSize(size.width(), max(size.height(), option.fontMetrics.height() + 10))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        column = index.column()
        row = index.data(ROW_ROLE)
        if column not in (FROM_COLUMN, MESSAGE_COLUMN) or not isinstance(row, InboxRow):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else None
        text = opt.text
        opt.text = ""
        # Background, selection and focus as the style draws them; the words are ours.
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = opt.palette
        group = (
            QPalette.ColorGroup.Normal
            if opt.state & QStyle.StateFlag.State_Active
            else QPalette.ColorGroup.Inactive
        )
        ink = palette.color(
            group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        dim = ink if selected else palette.color(group, QPalette.ColorRole.PlaceholderText)
        rect: QRect = opt.rect.adjusted(6, 0, -6, 0)
        font: QFont = opt.font
        painter.save()
        try:
            painter.setFont(font)
            metrics = QFontMetrics(font)
            if column == FROM_COLUMN:
                self._paint_author(painter, rect, row, text, metrics, ink, dim)
            else:
                chips = [*index.data(BADGES_ROLE), *row.tags]
                self._paint_message(
                    painter, rect, text, chips, metrics, font, palette, group, ink, selected
                )
        finally:
            painter.restore()

    def _paint_author(
        self,
        painter: QPainter,
        rect: QRect,
        row: InboxRow,
        name: str,
        metrics: QFontMetrics,
        ink: QColor,
        dim: QColor,
    ) -> None:
        flags = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        name = metrics.elidedText(name, Qt.TextElideMode.ElideRight, rect.width())
        painter.setPen(ink)
        painter.drawText(rect, flags, name)
        used = metrics.horizontalAdvance(name) + metrics.horizontalAdvance(" ")
        rest = rect.adjusted(used, 0, 0, 0)
        if rest.width() > metrics.horizontalAdvance("@…"):
            handle_font = QFont(painter.font())
            handle_font.setBold(False)
            painter.setFont(handle_font)
            handle_metrics = QFontMetrics(handle_font)
            handle = handle_metrics.elidedText(
                "@" + one_line(row.author_handle, 80), Qt.TextElideMode.ElideRight, rest.width()
            )
            painter.setPen(dim)
            painter.drawText(rest, flags, handle)

    def _paint_message(
        self,
        painter: QPainter,
        rect: QRect,
        text: str,
        chips: list[str],
        metrics: QFontMetrics,
        font: QFont,
        palette: QPalette,
        group: QPalette.ColorGroup,
        ink: QColor,
        selected: bool,
    ) -> None:
        flags = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        chip_font = QFont(font)
        chip_font.setBold(False)
        chip_font.setPointSizeF(max(1.0, font.pointSizeF() * 0.85))
        chip_metrics = QFontMetrics(chip_font)
        pad = max(3, chip_metrics.height() // 3)
        gap = pad
        budget = int(rect.width() * _CHIP_SHARE)
        widths: list[tuple[str, int]] = []
        total = 0
        for chip in chips:
            width = chip_metrics.horizontalAdvance(chip) + 2 * pad
            if total + width + gap > budget:
                break
            widths.append((chip, width))
            total += width + gap
        text_rect = rect.adjusted(0, 0, -total, 0)
        painter.setPen(ink)
        painter.drawText(
            text_rect,
            flags,
            metrics.elidedText(text, Qt.TextElideMode.ElideRight, text_rect.width()),
        )
        painter.setFont(chip_font)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        height = chip_metrics.height() + 2
        top = rect.top() + (rect.height() - height) // 2
        x = rect.right() - total + gap
        for chip, width in widths:
            box = QRectF(x, top, width, height)
            urgent = chip in _URGENT_BADGES
            if urgent:
                painter.setBrush(palette.color(group, QPalette.ColorRole.Highlight))
                painter.setPen(palette.color(group, QPalette.ColorRole.Highlight))
            else:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(ink if selected else palette.color(group, QPalette.ColorRole.Mid))
            painter.drawRoundedRect(box, height / 2, height / 2)
            painter.setPen(
                palette.color(group, QPalette.ColorRole.HighlightedText) if urgent else ink
            )
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, chip)
            x += width + gap
