# Multi-stage build: compile in the Rust image, run on a slim Debian with only libpq.
# Not built in CI (no Docker engine there); see docs/deployment.md.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs rustfmt.toml clippy.toml ./
COPY migrations migrations
COPY src src
RUN cargo build --release --locked && strip target/release/pingyi

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --create-home pingyi
COPY --from=build /src/target/release/pingyi /usr/local/bin/pingyi
WORKDIR /app
USER pingyi
# The embedded SQLite database lives here; mount a volume to keep it.
VOLUME ["/app/data"]
ENV PINGYI_BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["pingyi"]
CMD ["serve"]
