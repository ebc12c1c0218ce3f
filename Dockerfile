# Multi-stage build: compile in the Rust image, run on a slim Debian. The default build compiles
# SQLite, libpq and OpenSSL into the binary (the Rust image has the cc, make and perl it needs),
# so neither stage installs a PostgreSQL or OpenSSL package. CI cannot build images (no engine,
# no registry); tests/it/dockerfile.rs checks the files and steps named here instead.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs rustfmt.toml clippy.toml ./
COPY migrations migrations
COPY src src
COPY benches benches
# Cargo reads every declared target, the ranking simulation too (not built by `cargo build`).
COPY bench/ranking.rs bench/ranking.rs
RUN cargo build --release --locked && strip target/release/pingyi

FROM debian:bookworm-slim
# ca-certificates for SMTP over TLS, curl for the health check, tzdata for PINGYI_TIME_ZONE.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
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
