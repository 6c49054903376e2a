# Multi-stage build of the `dvc` binary.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release -p dvc-api --bin dvc

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/dvc dvc && mkdir -p /var/lib/dvc && chown dvc /var/lib/dvc
COPY --from=build /src/target/release/dvc /usr/local/bin/dvc
USER dvc
WORKDIR /var/lib/dvc
EXPOSE 8080
ENTRYPOINT ["dvc"]
CMD ["serve"]
