"""The start-up baseline: a bare PySide6 window with a table, started like Heedful.

It shows a QMainWindow holding a search box and a QTableView of one screen of rows, and
prints BARE_READY on stderr when the table has been painted and the event loop is free,
the moment Heedful logs "inbox ready". Built into a binary of its own for the packaged
comparison (benchmarks/startup.py).
"""

import sys

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QLineEdit, QMainWindow, QTableView, QVBoxLayout, QWidget

BARE_READY = "bare window ready"


class FirstPaint(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, lambda: print(BARE_READY, file=sys.stderr, flush=True))
        return False


def main() -> int:
    application = QApplication(sys.argv[:1])
    model = QStandardItemModel(40, 7)
    for row in range(40):
        for column in range(7):
            model.setItem(row, column, QStandardItem(f"row {row} column {column}"))
    window = QMainWindow()
    body = QWidget()
    layout = QVBoxLayout(body)
    layout.addWidget(QLineEdit())
    table = QTableView()
    table.setModel(model)
    layout.addWidget(table)
    window.setCentralWidget(body)
    first_paint = FirstPaint()
    table.viewport().installEventFilter(first_paint)
    window.resize(1100, 700)
    window.show()
    return application.exec()


if __name__ == "__main__":
    sys.exit(main())
