"""Location profile (TOML) and settings.

Every option is declared exactly once, here, with its type, default and help text (``Field(description=...)``);
``receptionist doctor`` and the README's configuration table are generated from these declarations.  Secrets are
never options: client secrets, tokens, the webhook signing secret and the Twilio auth token live in the OS
keyring (see ``receptionist.providers.secrets``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from receptionist.errors import UserError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocationSettings(_Section):
    name: str = Field("Demo Dental & Wellness", description="Business location name shown in the title bar and SMS.")
    time_zone: str = Field("America/Chicago", description="IANA time zone of the location; all times display in it.")
    country: str = Field("US", description="ISO country used to read phone numbers written without +country code.")
    open_hour: int = Field(8, ge=0, le=23, description="Opening hour (local, 24h) for availability.")
    close_hour: int = Field(18, ge=1, le=24, description="Closing hour (local, 24h) for availability.")
    default_duration_minutes: int = Field(30, ge=5, le=480, description="Appointment length when the call gives none.")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class GoogleSettings(_Section):
    enabled: bool = Field(False, description="Sync appointments with a Google Calendar.")
    calendar_id: str = Field("primary", description="Google calendar to write appointments to and read busy time from.")
    api_endpoint: str = Field(
        "https://www.googleapis.com/calendar/v3/", description="Calendar v3 API root (must end in calendar/v3/)."
    )
    token_uri: str = Field("https://oauth2.googleapis.com/token", description="OAuth 2.0 token endpoint.")
    auth_uri: str = Field("https://accounts.google.com/o/oauth2/auth", description="OAuth 2.0 authorization endpoint.")
    client_id: str = Field("", description="OAuth client id of the installed app (the secret is in the keyring).")
    timeout_seconds: float = Field(20.0, gt=0, description="Per-request timeout.")


class OutlookSettings(_Section):
    enabled: bool = Field(False, description="Sync appointments with an Outlook / Microsoft 365 calendar.")
    calendar_id: str = Field("", description="Graph calendar id; empty means the account's default calendar.")
    graph_endpoint: str = Field("https://graph.microsoft.com/v1.0", description="Microsoft Graph API root.")
    authority: str = Field(
        "https://login.microsoftonline.com/common", description="Microsoft identity authority (tenant URL)."
    )
    client_id: str = Field("", description="Azure app registration (public client) id.")
    ca_bundle: str = Field("", description="CA certificate file (PEM) to trust instead of the OS store.")
    timeout_seconds: float = Field(20.0, gt=0, description="Per-request timeout.")


class TwilioSettings(_Section):
    enabled: bool = Field(False, description="Send SMS confirmations through Twilio.")
    api_base: str = Field("https://api.twilio.com", description="Twilio REST API root.")
    account_sid: str = Field("", description="Twilio Account SID (the auth token is in the keyring).")
    from_number: str = Field("", description="Sending number in E.164, e.g. +15551234567.")
    ca_bundle: str = Field("", description="CA certificate file (PEM) to trust instead of the OS store.")


class IngestSettings(_Section):
    host: str = Field("127.0.0.1", description="Address the webhook receiver binds to.")
    port: int = Field(8765, ge=0, le=65535, description="Webhook receiver port (0 picks a free one).")
    replay_window_seconds: int = Field(300, ge=10, description="Signed requests older or newer than this are refused.")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="Largest webhook body accepted.")


class SyncSettings(_Section):
    interval_seconds: float = Field(30.0, gt=0, description="How often the sync thread runs a full cycle.")
    window_days_back: int = Field(7, ge=0, description="How far back busy time and changes are read.")
    window_days_ahead: int = Field(60, ge=1, description="How far ahead busy time and changes are read.")
    max_attempts: int = Field(8, ge=1, description="Automatic retries of a failed write before it waits for a person.")


class Profile(_Section):
    """A location profile: everything an installer sets for one business location."""

    location: LocationSettings = Field(default_factory=LocationSettings)
    google: GoogleSettings = Field(default_factory=GoogleSettings)
    outlook: OutlookSettings = Field(default_factory=OutlookSettings)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)

    @classmethod
    def load(cls, path: str | Path | None) -> "Profile":
        """Read a TOML profile; ``None`` gives the embedded defaults. Errors name the file and the option."""
        if path is None:
            return cls()
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise UserError(f"profile {path} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"profile {path} is not valid TOML: {exc}") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict, source: str = "profile") -> "Profile":
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
            )
            raise UserError(f"{source}: {problems}") from exc

    def to_toml(self) -> str:
        """Serialise as TOML (all sections, all options) — used by ``receptionist sandbox`` to print a profile."""
        lines: list[str] = []
        for section, model in self.model_dump().items():
            lines.append(f"[{section}]")
            for key, value in model.items():
                lines.append(f"{key} = {_toml_value(value)}")
            lines.append("")
        return "\n".join(lines)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def describe_options() -> list[tuple[str, str, object, str]]:
    """(dotted name, type, default, help) for every option, for docs and ``doctor``."""
    rows = []
    for section, field in Profile.model_fields.items():
        model = field.annotation
        for name, opt in model.model_fields.items():  # type: ignore[union-attr]
            rows.append((f"{section}.{name}", getattr(opt.annotation, "__name__", str(opt.annotation)), opt.default,
                         opt.description or ""))
    return rows
