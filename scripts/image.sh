#!/usr/bin/env bash
# Builds the constellation container image FROM scratch: the agent binary,
# the shared libraries it links (as ldd lists them) and the example WASM
# modules. No base image is pulled.
#
#   scripts/image.sh [TAG]     (default constellation:dev)
set -euo pipefail

cd "$(dirname "$0")/.."
TAG=${1:-constellation:dev}
make build >/dev/null

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/bin" "$root/tmp" "$root/data" "$root/examples/wasm" "$root/examples/jobs"
chmod 1777 "$root/tmp"
cp bin/constellation "$root/bin/"
cp examples/wasm/*.wasm "$root/examples/wasm/"
cp examples/jobs/* "$root/examples/jobs/" 2>/dev/null || true

# Every library the binary loads, and the dynamic loader itself.
for lib in $(ldd bin/constellation | awk '/=> \// {print $3} /^[ \t]*\/.*ld-linux/ {print $1}'); do
	cp --parents -L "$lib" "$root/"
done

cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENV TMPDIR=/tmp
EXPOSE 7480 7481 7482
ENTRYPOINT ["/bin/constellation"]
CMD ["agent", "-dev", "-bind", "0.0.0.0"]
DOCKERFILE

docker build -q -t "$TAG" "$ctx" >/dev/null
echo "built image $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.1f MiB", $1/1048576}'))"
