"""What the window tests share."""

from receptionist.ui.week_layout import CalendarItem


def badge_column(model, calendar_key: str) -> int:
    """The appointments table's column of that calendar's sync badge."""
    for column, (key, _label) in enumerate(model.calendars(), start=model.FIRST_BADGE):
        if key == calendar_key:
            return column
    raise KeyError(calendar_key)


def item_rects(canvas) -> list:
    """(rectangle, item) of each timed item the week canvas draws at its current size."""
    return [(b.rect, b.target) for b in canvas.frame().blocks() if isinstance(b.target, CalendarItem)]


def review(qtbot, panel, call_row_id: int) -> None:
    """Select a call in the call panel and wait for the review pane to show it (it is read on the worker)."""
    assert panel.select_call(call_row_id)
    qtbot.waitUntil(lambda: panel.detail.call is not None and panel.detail.call.id == call_row_id
                    and not panel.runner.busy, timeout=5000)


def opened(qtbot, window, name: str):
    """What the window opened (``appointment_dialog``, ``action_dialog``, ``discrepancy_dialog``,
    ``appointment_menu``) once the record it opens on has been read on the window's worker."""
    qtbot.waitUntil(lambda: not window.runner.busy and getattr(window, name) is not None, timeout=5000)
    return getattr(window, name)
