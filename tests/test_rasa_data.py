"""`rasa data validate` must be clean.

Rasa cannot see responses sent from custom actions and warns that they are
"not used in any story or rule". Those warnings are checked instead of waved
through: each named response must really be sent by an action.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTIONS = "\n".join(p.read_text() for p in (ROOT / "bot" / "actions").glob("*.py"))
FORMS = yaml.safe_load((ROOT / "bot" / "domain" / "core.yml").read_text())["forms"]
# A form asks with utter_ask_<form>_<slot> when there is one, else utter_ask_<slot>.
ASKED_BY_FORMS = {
    f"utter_ask{prefix}_{slot}"
    for name, form in FORMS.items()
    for slot in form["required_slots"]
    for prefix in ("", f"_{name}")
}
UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule\.")
# Sent by Rasa itself: action_default_fallback (config.yml) utters it when a turn fails.
RASA_OWN = {"utter_default"}
# Intents only a button sends ("did you mean" buttons): never typed, so no examples.
PAYLOAD_ONLY = re.compile(r"The intent '(\w+)' is listed in the domain file, but is not found")


def test_rasa_data_validate_is_clean() -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "data",
            "validate",
            "--domain",
            "bot/domain",
            "--data",
            "nlu_data",
            "bot/data",
            "--config",
            "config.yml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SQLALCHEMY_SILENCE_UBER_WARNING": "1"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    problems = [
        line
        for line in output.splitlines()
        if "UserWarning" in line or " ERROR " in line or "WARNING" in line
    ]
    unexplained = []
    for line in problems:
        match = UNUSED.search(line)
        utterance = match.group(1) if match else None
        # utter_ask_<slot> is sent by the form itself.
        if utterance and (
            f'"{utterance}"' in ACTIONS or utterance in ASKED_BY_FORMS or utterance in RASA_OWN
        ):
            continue
        payload_only = PAYLOAD_ONLY.search(line)
        if payload_only and f"/{payload_only.group(1)}{{" in ACTIONS:
            continue
        unexplained.append(line)
    assert unexplained == []
