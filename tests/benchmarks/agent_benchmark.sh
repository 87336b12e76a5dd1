#!/usr/bin/env bash
# bazel run //tests/benchmarks:agent_benchmark: locates the binaries in runfiles.
set -euo pipefail
r="${RUNFILES_DIR:-$0.runfiles}/gtoken"
exec python3 "$r/tests/benchmarks/agent_benchmark.py" \
  --gtoken="$r/agent/gtoken" \
  --gtoken-dynamic="$r/agent/gtoken_dynamic" \
  --emulator="$r/tests/emulators/google/google_emulator_main" "$@"
