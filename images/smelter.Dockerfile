# The Smelter image (operator, api-shim, lifecycle programs), for users who build with Docker;
# tag it both smelter/smelter and smelter/lifecycle. The tests build the same image without
# Docker: tests/images/build.sh smelter target/release.
#   docker build -f images/smelter.Dockerfile -t smelter/smelter:0.1.0 -t smelter/lifecycle:0.1.0 .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --locked --release --bins

FROM smelter/cflinuxfs4:0.1.0
COPY --from=build /src/target/release/fetcher /src/target/release/builder /src/target/release/launcher /lifecycle/
COPY --from=build /src/target/release/operator /usr/local/bin/smelter-operator
COPY --from=build /src/target/release/api-shim /usr/local/bin/smelter-api-shim
USER 2000:2000
