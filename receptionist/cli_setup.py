"""``receptionist test-call PLATFORM``: the setup screen's **Send a test call** from the command line — the platform's
end-of-call report for a test caller, signed with the secret in the keyring as that platform signs it, through the
real receiver and intake on a throwaway desk at the profile's address (run it before the console, which holds that
port)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from receptionist.config import AI_PLATFORMS


def add_setup_commands(sub, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("test-call", help="send a signed test call from an AI platform through the receiver (as "
                                         "setup's Send a test call does); nothing is kept")
    common(p)
    p.add_argument("platform", choices=AI_PLATFORMS, nargs="?",
                   help="the platform to sign as (default: ingest.platform in the profile)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_test_call(args, profile, secrets) -> int:  # noqa: ANN001 - argparse namespace, config.Profile, SecretStore
    from receptionist import onboarding

    platform = args.platform or profile.ingest.platform
    guide = onboarding.PLATFORM_GUIDES[platform]
    result = onboarding.send_test_call(profile, platform, secrets.get(guide.secret_key) or "")
    if args.json:
        print(json.dumps({"platform": platform, "ok": result.ok, "sentence": result.sentence}))
    else:
        print(("✓ " if result.ok else "✗ ") + result.sentence)
    return 0 if result.ok else 1


__all__ = ["add_setup_commands", "cmd_test_call"]
