#!/usr/bin/env bash
# Fuzzes the `ironprep lint` loader alone for SECONDS (default 30): scripts/fuzz.sh, which
# fuzzes every parser of untrusted bytes, for its lint_loader target.
#
# Usage: scripts/fuzz-lint.sh [SECONDS]
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fuzz.sh" "${1:-30}" lint_loader
