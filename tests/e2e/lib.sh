# Helpers for end-to-end tests: each check prints "PASS: name" or "FAIL: name (why)".
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/../../tools/lib/flow.sh"
E2E_DIR="$FLOW_DIR"

E2E_FAILED=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ ($2)}"; E2E_FAILED=1; }
check() {  # check NAME COMMAND...
  local name="$1"; shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
