"""The runbook: one entry per failure state the health report names, and docs/RUNBOOK.md is those entries."""

from pathlib import Path

from receptionist.domain.runbook import ENTRIES, entry
from receptionist.services.watch import FAILED, WARNING


def runbook_markdown() -> str:
    out = ["# Runbook", "",
           "What to do in each failure state the Health tab, the alerts and `receptionist doctor --json` name "
           "(`runbook` in their output is the state below). The window shows the same text.", ""]
    for e in ENTRIES:
        out += [f"## `{e.state}`: {e.title}", ""] + [f"{i}. {s}" for i, s in enumerate(e.steps, 1)] + [""]
    return "\n".join(out)


def test_every_failure_state_has_one_entry():
    assert sorted(e.state for e in ENTRIES) == sorted(set(FAILED + WARNING))
    assert all(entry(s).steps for s in FAILED + WARNING)


def test_docs_runbook_is_the_entries():
    page = Path(__file__).resolve().parents[2] / "docs" / "RUNBOOK.md"
    assert page.read_text(encoding="utf-8") == runbook_markdown()
