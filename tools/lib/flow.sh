# The local flow's moving parts, shared by tools/demo and tests/e2e: build the binaries,
# start the Google emulator and moto (AWS STS), clean up on exit.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FLOW_PIDS=()
cleanup_flow() {
  local p
  for p in "${FLOW_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${FLOW_DIR:-}" ] && [ -z "${FLOW_KEEP:-}" ] && rm -rf "$FLOW_DIR"
}
trap cleanup_flow EXIT

FLOW_DIR="$(mktemp -d /tmp/gtoken-flow.XXXXXX)"
[ -n "${FLOW_KEEP:-}" ] && echo "keeping $FLOW_DIR" >&2

# Builds the binaries once and exports their paths.
build_binaries() {
  bazel_cmd build //agent:gtoken //tests/emulators/google:google_emulator_main >"$FLOW_DIR/build.log" 2>&1 || {
    cat "$FLOW_DIR/build.log"; return 1; }
  local bin; bin="$(bazel_cmd info bazel-bin 2>/dev/null)"
  GTOKEN_BIN="$bin/agent/gtoken"
  EMULATOR_BIN="$bin/tests/emulators/google/google_emulator_main"
}

# Starts the Google emulator; sets GCE_METADATA_HOST, EMULATOR_CONTROL, EMULATOR_CA, IAM_URL.
start_google_emulator() {
  "$EMULATOR_BIN" --ready_file="$FLOW_DIR/google.json" "$@" >"$FLOW_DIR/google.log" 2>&1 &
  FLOW_PIDS+=($!)
  wait_for_file "$FLOW_DIR/google.json" 20 || { cat "$FLOW_DIR/google.log"; return 1; }
  local j="$FLOW_DIR/google.json"
  GCE_METADATA_HOST="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["metadata_host"])' "$j")"
  EMULATOR_CONTROL="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control_url"])' "$j")"
  EMULATOR_CA="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ca_file"])' "$j")"
  IAM_URL="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["iam_credentials_url"])' "$j")"
  export GCE_METADATA_HOST EMULATOR_CONTROL EMULATOR_CA IAM_URL
}

# Starts moto (AWS STS emulator); sets AWS_ENDPOINT_URL and fake AWS settings.
start_moto() {
  local port; port="$(free_port)"
  "$MOTO_BIN" -H 127.0.0.1 -p "$port" >"$FLOW_DIR/moto.log" 2>&1 &
  FLOW_PIDS+=($!)
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
  mkdir -p "$FLOW_DIR/home"
  export HOME="$FLOW_DIR/home"
}

jwt_claim() {  # jwt_claim FILE CLAIM
  python3 - "$1" "$2" <<'PY'
import base64, json, sys
tok = open(sys.argv[1]).read()
p = tok.split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))[sys.argv[2]])
PY
}
