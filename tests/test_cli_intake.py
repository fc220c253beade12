"""``receptionist ingest``, ``quarantine`` and ``poll`` run in-process against a temporary database."""

import json

from receptionist.cli import main
from receptionist.config import Profile
from receptionist.providers.secrets import KeyringSecretStore
from tests.helpers.payloads import payload, signed


def test_ingest_a_saved_delivery_then_it_is_a_call(db_url, tmp_path, capsys):
    body = tmp_path / "call.json"
    body.write_text(json.dumps(payload(call_id="saved-1")))
    assert main(["ingest", str(body), "--platform", "generic", "--db", db_url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["state"] == "done" and out["call_row_id"] and out["http_status"] == 202
    assert main(["ingest", str(body), "--platform", "generic", "--db", db_url, "--json"]) == 0  # again: known
    assert json.loads(capsys.readouterr().out)["duplicate"] is True


def test_ingest_with_headers_checks_the_signature(db_url, tmp_path, capsys):
    KeyringSecretStore(namespace=Profile().location.name).set("ingest.webhook_secret", "cli-secret")
    raw, headers = signed(payload(call_id="saved-2"), "cli-secret")
    (tmp_path / "b").write_bytes(raw)
    (tmp_path / "h.json").write_text(json.dumps(headers))
    assert main(["ingest", str(tmp_path / "b"), "--platform", "generic", "--headers", str(tmp_path / "h.json"),
                 "--db", db_url]) == 0
    assert "done" in capsys.readouterr().out
    raw2, headers2 = signed(payload(call_id="saved-3"), "another-secret")
    (tmp_path / "b2").write_bytes(raw2)
    (tmp_path / "h2.txt").write_text("\n".join(f"{k}: {v}" for k, v in headers2.items()))
    assert main(["ingest", str(tmp_path / "b2"), "--platform", "generic", "--headers", str(tmp_path / "h2.txt"),
                 "--db", db_url]) == 1
    assert "refused (401)" in capsys.readouterr().out


def test_quarantine_list_replay_discard(db_url, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(payload(call_id="year-1", timestamp="0001-01-01T00:00:00+05:00")))
    assert main(["ingest", str(bad), "--platform", "generic", "--db", db_url]) == 1
    assert "quarantined" in capsys.readouterr().out
    assert main(["quarantine", "list", "--db", db_url, "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["platform"] == "generic" and "year 1 or 9999" in row["reason"]
    assert main(["quarantine", "replay", str(row["id"]), "--db", db_url]) == 1  # still cannot be mapped
    assert "quarantined" in capsys.readouterr().out
    assert main(["quarantine", "discard", str(row["id"]), "--db", db_url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"id": row["id"], "state": "discarded"}
    assert main(["quarantine", "list", "--db", db_url]) == 0
    assert "quarantine is empty" in capsys.readouterr().out
    assert main(["quarantine", "discard", "--db", db_url]) == 2  # no id: a sentence, not a traceback


def test_poll_without_a_source_says_how_to_switch_one_on(db_url, capsys):
    assert main(["poll", "--once", "--db", db_url]) == 2
    assert "vapi.poll" in capsys.readouterr().err


def test_a_synthflow_delivery_handed_in_as_a_file_is_a_call_without_an_api_key(db_url, tmp_path, capsys):
    """A file a person hands in on the desk is trusted: no read-back from Synthflow's API (no key is set here).
    With its headers given, the delivery is checked like a webhook, and then it must be confirmed with the API."""
    from pathlib import Path

    example = Path(__file__).parent / "fixtures" / "platforms" / "synthflow" / "post-call.json"
    assert main(["ingest", str(example), "--platform", "synthflow", "--db", db_url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["state"] == "done" and out["call_row_id"], out
