# Shared by tools/test and tools/demo: find the repository, install what is missing.
# shellcheck shell=bash

GTOKEN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GTOKEN_ROOT

# Debian 12 packages the build, the tests and the demo need.
GTOKEN_DEBIAN_PACKAGES=(
  bazel-bootstrap g++ pkg-config
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libabsl-dev
  libssl-dev openssl ca-certificates nlohmann-json3-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev procps python3
)

log() { printf '\033[1m[gtoken]\033[0m %s\n' "$*" >&2; }

ensure_debian_packages() {
  local missing=()
  local p
  for p in "${GTOKEN_DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "need root (or sudo) to apt-get install ${missing[*]}"; return 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The AWS CLI and moto (the AWS STS emulator) for the end-to-end flow. The machine image
# has them in its Python; Debian's packages are the fallback.
find_aws_tools() {
  AWS_BIN="$(command -v aws || true)"
  MOTO_BIN="$(command -v moto_server || true)"
  if command -v pyenv >/dev/null 2>&1; then
    [ -n "$AWS_BIN" ] && AWS_BIN="$(pyenv which aws 2>/dev/null || echo "$AWS_BIN")"
    [ -n "$MOTO_BIN" ] && MOTO_BIN="$(pyenv which moto_server 2>/dev/null || echo "$MOTO_BIN")"
  fi
  if [ -z "$AWS_BIN" ] || [ -z "$MOTO_BIN" ]; then
    log "installing the AWS CLI and moto from Debian"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq awscli python3-moto python3-flask python3-flask-cors >/dev/null || true
    AWS_BIN="$(command -v aws || true)"
    MOTO_BIN="$(command -v moto_server || true)"
  fi
  export AWS_BIN MOTO_BIN
  [ -n "$AWS_BIN" ] && [ -n "$MOTO_BIN" ]
}

bazel_cmd() {
  (cd "$GTOKEN_ROOT" && bazel "$@")
}

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits up to $2 seconds for file $1 to exist and be non-empty.
wait_for_file() {
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    [ -s "$1" ] && return 0
    sleep 0.05
  done
  return 1
}
