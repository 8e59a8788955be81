#!/bin/sh
# The container's HEALTHCHECK: GET /_iamd/health on the port iamd listens on (IAMD_LISTEN), over
# HTTPS when it serves TLS (IAMD_TLS_CERT). The certificate is not checked: this is 127.0.0.1, the
# name will not match, and the answer carries no data. Exit 0 only on 200 (503: store unreachable).
set -eu
port="${IAMD_LISTEN:-127.0.0.1:4566}"
port="${port##*:}"
scheme=http
if [ -n "${IAMD_TLS_CERT:-}" ]; then
    scheme=https
fi
exec curl --fail --silent --show-error --max-time 4 --insecure --output /dev/null \
    "$scheme://127.0.0.1:$port/_iamd/health"
