import pytest

from receptionist.config import Profile, describe_options
from receptionist.errors import UserError
from receptionist.paths import resource


def test_example_profile_loads():
    profile = Profile.load(resource("profiles", "example.toml"))
    assert profile.location.time_zone == "America/Chicago" and profile.google.enabled


def test_embedded_defaults():
    assert Profile.load(None) == Profile()


def test_bad_options_name_the_file_and_the_option(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[location]\ntime_zone = "Mars/Olympus"\nopen_hour = 30\n')
    with pytest.raises(UserError) as err:
        Profile.load(path)
    text = str(err.value)
    assert str(path) in text and "location.time_zone" in text and "Mars/Olympus" in text
    assert "location.open_hour" in text


REPLAY_WINDOWS = {"ingest": 300, "vapi": 300, "retell": 300, "elevenlabs": 1800, "twilio": 900}


def test_each_platforms_replay_window_is_an_option_with_its_own_default():
    defaults = Profile()
    assert {section: getattr(defaults, section).replay_window_seconds for section in REPLAY_WINDOWS} == REPLAY_WINDOWS
    assert {name for name, *_ in describe_options() if name.endswith(".replay_window_seconds")} == \
        {f"{section}.replay_window_seconds" for section in REPLAY_WINDOWS}
    assert Profile.from_dict({"retell": {"replay_window_seconds": 86_400}}).retell.replay_window_seconds == 86_400


@pytest.mark.parametrize("section", sorted(REPLAY_WINDOWS))
@pytest.mark.parametrize("value, said", [(-300, "greater than or equal to 10"), (0, "greater than or equal to 10"),
                                         (10**12, "less than or equal to 86400"), ("5 minutes", "valid integer")])
def test_a_bad_replay_window_names_the_file_the_option_and_the_bounds(tmp_path, section, value, said):
    path = tmp_path / "p.toml"
    path.write_text(f"[{section}]\nreplay_window_seconds = {value!r}\n".replace("'", '"'))
    with pytest.raises(UserError) as err:
        Profile.load(path)
    text = str(err.value)
    assert text.startswith(f"{path}: {section}.replay_window_seconds: Input should be") and said in text


def test_unknown_option_and_bad_toml(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[google]\ncalendar = 'x'\n")
    with pytest.raises(UserError, match="google.calendar"):
        Profile.load(path)
    path.write_text("[google\n")
    with pytest.raises(UserError, match="not valid TOML"):
        Profile.load(path)
    with pytest.raises(UserError, match="does not exist"):
        Profile.load(tmp_path / "missing.toml")


def test_to_toml_round_trips():
    import tomllib

    profile = Profile()
    assert Profile.from_dict(tomllib.loads(profile.to_toml())) == profile


def test_every_option_has_help():
    assert all(help_text for *_, help_text in describe_options())


def options_markdown() -> str:
    """The README's configuration table, as the declarations (``describe_options``) make it."""
    lines = ["| option | type | default | meaning |", "|---|---|---|---|"]
    for name, kind, default, help_text in describe_options():
        lines.append(f"| `{name}` | {kind} | `{default!r}` | {help_text} |")
    return "\n".join(lines)


def test_the_readme_table_is_the_declarations():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert options_markdown() in readme
