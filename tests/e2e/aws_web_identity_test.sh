#!/usr/bin/env bash
# The user's flow end to end: gtoken writes a Google ID token for the pod's identity, and
# the AWS CLI (a real AWS SDK, botocore) trades it for credentials by itself, through
# AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN / AWS_ROLE_SESSION_NAME, at moto's STS.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

build_binaries || { fail "build"; exit 1; }
find_aws_tools || { fail "aws-cli and moto_server available" "not found"; exit 1; }
start_google_emulator --id_token_lifetime=4s || { fail "google emulator starts"; exit 1; }
start_moto

ROLE_ARN="arn:aws:iam::123456789012:role/bucket-full-gtoken"
SESSION="gtoken-test-pod-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TOKEN_DIR="$E2E_DIR/token"
mkdir -p "$TOKEN_DIR"

# 1. Init container: --refresh=false writes the token once and exits 0.
"$GTOKEN_BIN" --source=metadata --refresh=false --file="$TOKEN_DIR/gtoken" 2>"$E2E_DIR/init.log"
check "init container writes the token and exits 0" test $? -eq 0 -a -s "$TOKEN_DIR/gtoken"
check "token audience is the original gtoken audience" \
  test "$(jwt_claim "$TOKEN_DIR/gtoken" aud)" = "gtoken/sts/assume-role-with-web-identity"
check "token never appears in the agent's log" \
  bash -c "! grep -qF \"\$(cut -c1-40 '$TOKEN_DIR/gtoken')\" '$E2E_DIR/init.log'"

# 2. The app: the AWS SDK assumes the role with the token file, no AWS keys anywhere.
identity="$(AWS_WEB_IDENTITY_TOKEN_FILE="$TOKEN_DIR/gtoken" AWS_ROLE_ARN="$ROLE_ARN" \
  AWS_ROLE_SESSION_NAME="$SESSION" "$AWS_BIN" sts get-caller-identity --output json 2>&1)"
check "aws sts get-caller-identity shows assumed-role/<role>/<session>" \
  grep -q "\"arn:aws:sts::123456789012:assumed-role/bucket-full-gtoken/$SESSION\"" <<<"$identity"

# Without the token file the SDK has no credentials at all (the check above is not vacuous).
# (A fresh HOME: the CLI would otherwise reuse the credentials it cached just now.)
mkdir -p "$E2E_DIR/home-nofile"
if HOME="$E2E_DIR/home-nofile" AWS_WEB_IDENTITY_TOKEN_FILE="$TOKEN_DIR/missing" AWS_ROLE_ARN="$ROLE_ARN" \
  AWS_ROLE_SESSION_NAME="$SESSION" "$AWS_BIN" sts get-caller-identity >"$E2E_DIR/nofile.log" 2>&1; then
  cat "$E2E_DIR/nofile.log"
  fail "without the token file the AWS CLI fails"
else
  pass "without the token file the AWS CLI fails"
fi

# 3. Sidecar: refresh mode replaces the file ahead of expiry (4 s tokens here).
"$GTOKEN_BIN" --source=metadata --file="$TOKEN_DIR/gtoken" 2>"$E2E_DIR/sidecar.log" &
sidecar=$!
FLOW_PIDS+=($sidecar)
first="$(cat "$TOKEN_DIR/gtoken")"
changed=0
for ((i = 0; i < 200; i++)); do
  sleep 0.05
  now="$(cat "$TOKEN_DIR/gtoken")"
  if [ "$now" != "$first" ]; then
    # Wait for a second rewrite: the sidecar's first write is immediate.
    first="$now"; changed=$((changed + 1))
    [ "$changed" -ge 2 ] && break
  fi
done
check "sidecar rewrites the token before it expires" test "$changed" -ge 2
mkdir -p "$E2E_DIR/home-refresh"
identity="$(HOME="$E2E_DIR/home-refresh" AWS_WEB_IDENTITY_TOKEN_FILE="$TOKEN_DIR/gtoken" AWS_ROLE_ARN="$ROLE_ARN" \
  AWS_ROLE_SESSION_NAME="$SESSION" "$AWS_BIN" sts get-caller-identity --output json 2>&1)"
check "the AWS CLI works with the refreshed token" grep -q "assumed-role/bucket-full-gtoken" <<<"$identity"

start=$(date +%s%N)
kill -TERM "$sidecar"
wait "$sidecar"
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "sidecar exits 0 on SIGTERM within a second (${elapsed_ms} ms)" test "$rc" -eq 0 -a "$elapsed_ms" -lt 1000

# 4. At the real mountPath, as a container sees its emptyDir volume (root only).
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
  mkdir -p "$E2E_DIR/volume"
  out="$(unshare --mount bash -c "
    mkdir -p /var/run/secrets/aws/token &&
    mount --bind '$E2E_DIR/volume' /var/run/secrets/aws/token &&
    '$GTOKEN_BIN' --source=metadata --refresh=false --file=/var/run/secrets/aws/token/gtoken 2>/dev/null &&
    AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/aws/token/gtoken AWS_ROLE_ARN='$ROLE_ARN' \
      AWS_ROLE_SESSION_NAME='$SESSION' '$AWS_BIN' sts get-caller-identity --output text --query Arn" 2>&1)"
  check "token at /var/run/secrets/aws/token/gtoken works for the AWS CLI" \
    grep -q "assumed-role/bucket-full-gtoken/$SESSION" <<<"$out"
else
  echo "SKIP: mountPath check needs root and unshare"
fi

exit "$E2E_FAILED"
