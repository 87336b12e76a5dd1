# Helpers for end-to-end tests: each check prints "PASS: name" or "FAIL: name (why)".
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/../../tools/lib/common.sh"

E2E_FAILED=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ ($2)}"; E2E_FAILED=1; }
check() {  # check NAME COMMAND...
  local name="$1"; shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

E2E_PIDS=()
cleanup_e2e() {
  local p
  for p in "${E2E_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${E2E_DIR:-}" ] && [ -z "${E2E_KEEP:-}" ] && rm -rf "$E2E_DIR"
}
trap cleanup_e2e EXIT

E2E_DIR="$(mktemp -d /tmp/gtoken-e2e.XXXXXX)"
[ -n "${E2E_KEEP:-}" ] && echo "keeping $E2E_DIR" >&2

# Builds the binaries once and exports their paths.
build_binaries() {
  bazel_cmd build //agent:gtoken //tests/emulators/google:google_emulator_main >"$E2E_DIR/build.log" 2>&1 || {
    cat "$E2E_DIR/build.log"; return 1; }
  local bin; bin="$(bazel_cmd info bazel-bin 2>/dev/null)"
  GTOKEN_BIN="$bin/agent/gtoken"
  EMULATOR_BIN="$bin/tests/emulators/google/google_emulator_main"
}

# Starts the Google emulator; sets GCE_METADATA_HOST, EMULATOR_CONTROL, EMULATOR_CA, IAM_URL.
start_google_emulator() {
  "$EMULATOR_BIN" --ready_file="$E2E_DIR/google.json" "$@" >"$E2E_DIR/google.log" 2>&1 &
  E2E_PIDS+=($!)
  wait_for_file "$E2E_DIR/google.json" 20 || { cat "$E2E_DIR/google.log"; return 1; }
  local j="$E2E_DIR/google.json"
  GCE_METADATA_HOST="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["metadata_host"])' "$j")"
  EMULATOR_CONTROL="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control_url"])' "$j")"
  EMULATOR_CA="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ca_file"])' "$j")"
  IAM_URL="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["iam_credentials_url"])' "$j")"
  export GCE_METADATA_HOST EMULATOR_CONTROL EMULATOR_CA IAM_URL
}

# Starts moto (AWS STS emulator); sets AWS_ENDPOINT_URL and fake AWS settings.
start_moto() {
  local port; port="$(free_port)"
  "$MOTO_BIN" -H 127.0.0.1 -p "$port" >"$E2E_DIR/moto.log" 2>&1 &
  E2E_PIDS+=($!)
  local i
  for ((i = 0; i < 100; i++)); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$port" 2>/dev/null && break
    sleep 0.1
  done
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_DEFAULT_REGION=us-east-1
  # No AWS keys anywhere: the only credentials are the web identity token.
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  # The AWS CLI caches assumed-role credentials under ~/.aws/cli/cache by role and
  # session name; a run must not reuse credentials from an earlier moto.
  mkdir -p "$E2E_DIR/home"
  export HOME="$E2E_DIR/home"
}

jwt_claim() {  # jwt_claim FILE CLAIM
  python3 - "$1" "$2" <<'PY'
import base64, json, sys
tok = open(sys.argv[1]).read()
p = tok.split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))[sys.argv[2]])
PY
}
