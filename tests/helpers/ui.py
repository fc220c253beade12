"""What the window tests share."""


def review(qtbot, panel, call_row_id: int) -> None:
    """Select a call in the call panel and wait for the review pane to show it (it is read on the worker)."""
    assert panel.select_call(call_row_id)
    qtbot.waitUntil(lambda: panel.detail.call is not None and panel.detail.call.id == call_row_id
                    and not panel.runner.busy, timeout=5000)
