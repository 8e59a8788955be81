# syntax=docker/dockerfile:1
# iamd in a container: `docker build -t iamd .` from the repository root.
#
#   docker run -d --name iamd -p 4566:4566 -v iamd-data:/var/lib/iamd iamd
#
# Configuration comes from IAMD_* environment variables (`iamd serve --help` lists them); the
# data directory is the volume /var/lib/iamd. See README.md, "Running in production".
# tests/e2e/test_packaging.py runs this file's CMD and HEALTHCHECK against the built binary.

# --- build ---------------------------------------------------------------------------------
FROM rust:1.95-trixie AS build
WORKDIR /src
# Only what the build needs (.dockerignore keeps everything else, iamd-data included, out).
COPY Cargo.toml Cargo.lock ./
COPY crates crates
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p iamd --bin iamd \
    && install -m 0755 target/release/iamd /usr/local/bin/iamd

# --- run -----------------------------------------------------------------------------------
FROM debian:trixie-slim
# curl for the health check only; ca-certificates for the webhook rotator's https:// endpoints
# (the system's CAs; --rotation-webhook-ca-file adds others).
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/iamd --no-create-home \
        --shell /usr/sbin/nologin iamd \
    && install -d -m 0700 -o iamd -g iamd /var/lib/iamd
COPY --from=build /usr/local/bin/iamd /usr/local/bin/iamd
COPY --chmod=0755 deploy/docker-healthcheck.sh /usr/local/bin/iamd-healthcheck
USER iamd:iamd
ENV IAMD_LISTEN=0.0.0.0:4566 \
    IAMD_DATA_DIR=/var/lib/iamd
VOLUME ["/var/lib/iamd"]
EXPOSE 4566
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/iamd-healthcheck"]
ENTRYPOINT ["/usr/local/bin/iamd"]
CMD ["serve"]
