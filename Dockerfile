# One image, both binaries: identity-core (gRPC, owns the database) and
# scim-edge (SCIM over HTTP). Choose one with the command, e.g.
#   docker run IMAGE identity-core serve     docker run IMAGE scim-edge
# Build: docker build -t scim-identity .
#
# Build stage: the workspace's pinned toolchain; protoc is vendored, SQLite
# is compiled in and TLS is rustls, so the runtime needs only glibc.
FROM rust:1.94-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin identity-core --bin scim-edge \
    && mkdir -p /out \
    && cp target/release/identity-core target/release/scim-edge /out/

# Runtime: distroless (glibc, CA certificates, no shell, no package
# manager), as the unprivileged user it ships (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/identity-core /out/scim-edge /usr/local/bin/
USER 65532:65532
# scim-edge 8080, identity-core 50051, metrics 9090 (when enabled).
EXPOSE 8080 50051 9090
ENTRYPOINT []
CMD ["/usr/local/bin/scim-edge"]
