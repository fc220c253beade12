"""`proposals approve` with the confirmation text: edited, skipped, or refused when empty."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from receptionist.cli import main
from receptionist.config import Profile
from receptionist.services.context import location_rules
from receptionist.store import Store
from receptionist.store.db import make_engine, upgrade
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload


def _proposal(db_url: str) -> int:
    engine = make_engine(db_url)
    upgrade(engine)
    body = payload(requested_start="2031-03-05T10:30:00")  # a Wednesday, ahead of the real clock the CLI reads
    call = store_payload(Store(engine), body, location_rules(Profile()), datetime.now(timezone.utc))
    engine.dispose()
    return call.proposal.id


def test_an_empty_text_is_refused_then_approving_without_a_text_books_it(db_url, capsys):
    proposal = str(_proposal(db_url))
    assert main(["proposals", "approve", proposal, "--text", " ", "--db", db_url]) == 2
    assert "confirmation text is empty" in capsys.readouterr().err
    assert main(["proposals", "approve", proposal, "--no-text", "--json", "--db", db_url]) == 0
    appt = json.loads(capsys.readouterr().out)
    assert appt["id"] and "Maria Lopez" in json.dumps(appt)


def test_no_text_and_send_text_exclude_each_other(db_url, capsys):
    try:
        main(["proposals", "approve", "1", "--no-text", "--send-text", "--db", db_url])
    except SystemExit as exc:
        assert exc.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
