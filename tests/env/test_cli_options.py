"""``--profile``, ``--db`` and ``-v`` are honoured before and after the subcommand's name; ``--version``;
``python -m receptionist``; the log file."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from receptionist.cli import build_parser, main
from receptionist.version import version


@pytest.mark.parametrize("argv", [
    ["--profile", "P", "--db", "D", "-v", "status"],
    ["status", "--profile", "P", "--db", "D", "-v"],
    ["--profile", "P", "status", "--db", "D", "-v"],
])
def test_common_options_in_either_position(argv):
    args = build_parser().parse_args(argv)
    assert (args.profile, args.db, args.verbose, args.command) == ("P", "D", True, "status")


def test_defaults_when_not_given():
    args = build_parser().parse_args(["status"])
    assert (args.profile, args.db, args.verbose) == (None, None, False)


def test_db_before_the_subcommand_reaches_that_database(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'chosen.db'}"
    assert main(["--db", db, "db", "upgrade"]) == 0
    assert (tmp_path / "chosen.db").is_file()
    assert main(["--db", db, "status", "--json"]) == 0
    assert main(["status", "--json", "--db", db]) == 0
    capsys.readouterr()
    profile = tmp_path / "p.toml"
    profile.write_text('[location]\nid = "front"\nname = "Front Desk Clinic"\n')
    assert main(["--profile", str(profile), "--db", db, "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["location"] == "Front Desk Clinic"


def test_version_comes_from_the_package_metadata(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"receptionist {version()}"
    from importlib import metadata

    assert version() == metadata.version("receptionist-console")


def test_python_dash_m_receptionist(tmp_path):
    done = subprocess.run([sys.executable, "-m", "receptionist", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("receptionist ")


def test_every_run_logs_to_a_rotating_file_in_the_log_folder(tmp_path):
    from receptionist import logs

    assert main(["db", "upgrade", "--db", f"sqlite:///{tmp_path / 'x.db'}"]) == 0
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_receptionist", False)
                   and isinstance(h, logging.handlers.RotatingFileHandler))
    assert handler.maxBytes == 1_000_000 and handler.backupCount == 5
    assert logs.log_file() == tmp_path / "log" / "receptionist.log"
    assert "upgrading database schema" in logs.tail()
    main(["db", "status", "--db", f"sqlite:///{tmp_path / 'x.db'}"])  # a second run replaces, not adds, handlers
    assert sum(getattr(h, "_receptionist", False) for h in logging.getLogger().handlers) == 2
