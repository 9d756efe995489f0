#!/usr/bin/env python3
"""Regenerates the check table of README.md from `ironprep-agent --list --format json`.

Usage: scripts/readme-checks.py [path/to/ironprep-agent]
The agent's tests fail when the README table and the registry disagree, so run this after
adding or changing a check.
"""
import json
import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
agent = sys.argv[1] if len(sys.argv) > 1 else str(root / "target/debug/ironprep-agent")
checks = json.loads(subprocess.run([agent, "--list", "--format", "json"], check=True,
                                   capture_output=True, text=True).stdout)["checks"]


def cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


rows = ["| ID | what | when | kind | fix |", "|---|---|---|---|---|"]
for check in checks:
    kind = "advisory" if check["advisory"] else "required"
    rows.append(f"| `{check['id']}` | {cell(check['title'])} | {cell(check['when'])} | {kind} | {cell(check['hint'])} |")

readme = root / "README.md"
text = readme.read_text()
begin, end = "<!-- checks:begin -->", "<!-- checks:end -->"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
readme.write_text(head + begin + "\n" + "\n".join(rows) + "\n" + end + tail)
print(f"README.md: {len(checks)} checks")
