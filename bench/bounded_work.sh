#!/usr/bin/env bash
# Bounded work (issue #11, finding 3): the largest input of every operation, and the finding's
# adversarial simulations, with wall time and peak resident-set growth per request, in a
# release build. See docs/PERFORMANCE.md ("Bounded work").
set -euo pipefail
cd "$(dirname "$0")/.."
IAMD_BOUNDED_WORK_REPORT=1 exec cargo test --release -p iamd-service --test bounded_work -- --nocapture
