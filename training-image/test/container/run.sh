#!/usr/bin/env bash
# The images' container test. Builds training-image/Dockerfile as users build it
#   docker build -t cdktf-mlops-runtime training-image
# and runs the SageMaker, Vertex AI, Azure ML and MLflow container contracts against live
# containers (real daemon, real ports on loopback); then builds the release image the Azure
# pipeline promoter runs, release/Dockerfile, the same way
#   docker build -t cdktf-mlops-release release
# and runs its checks (release/test/container/checks.ts: non-root, --help, bad usage, a read-only
# root file system, and `mlops-release promote` against loopback stand-ins of ARM, Blob and Queue
# storage and the managed identity endpoint). `npm run test:image` from the repository root
# (builds both harnesses first); needs root: it may install Debian's docker.io and debootstrap,
# start dockerd and assemble a base image.
#
# Steps:
#   1. a Docker daemon: the running one, else dockerd from Debian's docker.io (installed when
#      missing), started here and stopped at exit by its process id (also on failure);
#   2. the base image the Dockerfile pins (node:20-bookworm-slim@sha256:…): used when present or
#      pullable; where Docker Hub is unreachable an equivalent is assembled offline
#      (debootstrap --variant=minbase bookworm + this machine's Node 20 + npm + user node
#      1000:1000) and passed as --build-arg NODE_IMAGE=… (a digest reference cannot be tagged
#      locally: the digest is Docker Hub's manifest hash). A CA bundle named by
#      NODE_EXTRA_CA_CERTS (a TLS-intercepting proxy) is trusted inside the build the same way;
#   3. the build, BuildKit, the unmodified Dockerfile, the package folder as the context;
#   4. the contract checks (test/container/checks.ts, compiled to dist/): PASS/FAIL per check,
#      a summary with the image size, build time and time to the first /ping;
#   5. the release image: built like the runtime's (the same base, so the same --build-arg; its
#      Dockerfile must pin the same digest), then its checks (release/test/container/checks.ts,
#      compiled to release/dist/). Exit 1 on any FAIL of either image.
#
# Settings (environment):
#   MLOPS_IMAGE_TAG        image to build and test (default cdktf-mlops-runtime)
#   MLOPS_RELEASE_IMAGE_TAG the release image (default cdktf-mlops-release)
#   MLOPS_IMAGE_TEST       which images: all (default), runtime or release
#   MLOPS_IMAGE_TEST_DIR   work folder: logs, debootstrap cache (default ${TMPDIR:-/tmp}/mlops-image-test)
#   MLOPS_IMAGE_NO_CACHE=1 build with --no-cache (a cold build; the default reuses the layer cache)
#   MLOPS_REBUILD_BASE=1   assemble the offline base again
#   DEBIAN_MIRROR          debootstrap's mirror (default: this machine's apt source for bookworm)
#   NPM_VERSION            npm in the offline base (default 10.8.2, the npm of node:20-bookworm-slim)
#   DOCKER                 docker client to use (default: one that builds with BuildKit)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE_DIR=$(cd "$HERE/../.." && pwd)
REPO=$(cd "$IMAGE_DIR/.." && pwd)
IMAGE=${MLOPS_IMAGE_TAG:-cdktf-mlops-runtime}
RELEASE_IMAGE=${MLOPS_RELEASE_IMAGE_TAG:-cdktf-mlops-release}
RELEASE_DIR=$REPO/release
WHICH=${MLOPS_IMAGE_TEST:-all}
WORK=${MLOPS_IMAGE_TEST_DIR:-${TMPDIR:-/tmp}/mlops-image-test}
LOGS=$WORK/logs
CACHE=$WORK/cache
NPM_VERSION=${NPM_VERSION:-10.8.2}
EXTRA_CA=${NODE_EXTRA_CA_CERTS:-}
OFFLINE_BASE=cdktf-mlops-test/node:20-bookworm-slim-offline
LABEL=cdktf-mlops-container-test=1
HARNESS=$IMAGE_DIR/dist/test/container/checks.js
RELEASE_HARNESS=$RELEASE_DIR/dist/test/container/checks.js
T_START=$(date +%s%3N)

die() { printf 'run.sh: %s\n' "$*" >&2; exit 2; }
info() { printf 'INFO  %s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

[ "$(id -u)" = 0 ] || die "needs root: it may install docker.io and debootstrap, start dockerd and run debootstrap. Run it with sudo (or as root in CI)."
case "$WHICH" in all|runtime|release) ;; *) die "MLOPS_IMAGE_TEST=$WHICH: use all, runtime or release" ;; esac
want_runtime() { [ "$WHICH" != release ]; }
want_release() { [ "$WHICH" != runtime ]; }
want_runtime && { [ -f "$HARNESS" ] || die "$HARNESS is missing: build the harness first (\`npm run build -w training-image\`; \`npm run test:image\` does both)."; }
want_release && { [ -f "$RELEASE_HARNESS" ] || die "$RELEASE_HARNESS is missing: build the release harness first (\`npm run build -w release\`; \`npm run test:image\` does both)."; }
for t in node flock tar chroot; do command -v "$t" >/dev/null 2>&1 || die "needs $t on this machine"; done
mkdir -p "$LOGS" "$CACHE"

# One run at a time on a machine (image builds are heavy; the daemon is shared).
exec 9>"$WORK/lock"
if ! flock -n 9; then info "another container test holds $WORK/lock; waiting for it"; flock 9; fi

# Setup checks, printed like the harness's and counted in its summary.
# (Those of the release image's build go to their own file, counted in its harness's summary.)
SETUP_RESULTS=$WORK/setup-results.tsv
RELEASE_SETUP_RESULTS=$WORK/setup-results-release.tsv
: >"$SETUP_RESULTS"; : >"$RELEASE_SETUP_RESULTS"
RESULTS_TO=$SETUP_RESULTS
pass() { printf 'PASS  %-4s %s%s\n' "$1" "$2" "${3:+  ($3)}"; printf 'PASS\t%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$RESULTS_TO"; }
fail() { printf 'FAIL  %-4s %s%s\n' "$1" "$2" "${3:+  -- $3}"; printf 'FAIL\t%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$RESULTS_TO"; }

# ------------------------------------------------------------------ cleanup (also on failure)
DOCKER=${DOCKER:-}
DOCKERD_PID=
cleanup() {
  local rc=$?
  set +e
  if [ -n "$DOCKER" ] && "$DOCKER" info >/dev/null 2>&1; then
    local ids; ids=$("$DOCKER" ps -aq --filter "label=$LABEL")
    [ -n "$ids" ] && "$DOCKER" rm -f $ids >/dev/null 2>&1
  fi
  if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    info "stopping the dockerd this run started (pid $DOCKERD_PID)"
    kill -TERM "$DOCKERD_PID"
    for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$DOCKERD_PID" 2>/dev/null && info "dockerd (pid $DOCKERD_PID) is still stopping after 30 s; see $LOGS/dockerd.log"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

apt_install() {
  info "apt-get install -y $* (log: $LOGS/apt.log)"
  # No service start during the install: this script starts (and stops) the daemon itself.
  local policy=/usr/sbin/policy-rc.d made=
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made=1; fi
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"; } >>"$LOGS/apt.log" 2>&1
  local rc=$?
  [ -n "$made" ] && rm -f "$policy"
  [ $rc = 0 ] || die "apt-get install $* failed (exit $rc): $(tail -3 "$LOGS/apt.log" | tr '\n' ' ') — see $LOGS/apt.log; this machine needs Debian's package mirror."
}

# A docker client that builds with BuildKit: one with the buildx plugin, or a 20.10–22.x client
# (BuildKit built in: Debian bookworm's docker.io). A newer client without buildx cannot.
buildkit_client() {
  local c v
  for c in "$@"; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    if "$c" buildx version >/dev/null 2>&1; then echo "$c"; return 0; fi
    v=$("$c" --version 2>/dev/null | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
    if [ -n "$v" ] && [ "$v" -lt 23 ]; then echo "$c"; return 0; fi
  done
  return 1
}

# ------------------------------------------------------------------ 1. daemon
step "1. Docker daemon"
T0=$(now_ms)
if [ -n "$DOCKER" ]; then
  buildkit_client "$DOCKER" >/dev/null || die "DOCKER=$DOCKER cannot build with BuildKit (no buildx plugin, client ≥ 23): install the buildx plugin or unset DOCKER."
else
  DOCKER=$(buildkit_client /usr/bin/docker "$(command -v docker 2>/dev/null)") || DOCKER=
fi
if [ -z "$DOCKER" ] || { ! command -v dockerd >/dev/null 2>&1 && ! "$DOCKER" info >/dev/null 2>&1; }; then
  # debootstrap too (a few kB), in the same apt run: the offline base needs it where Docker Hub is unreachable.
  if command -v debootstrap >/dev/null 2>&1; then apt_install docker.io; else apt_install docker.io debootstrap; fi
  DOCKER=$(buildkit_client /usr/bin/docker) || die "Debian's docker.io did not provide a docker client that builds with BuildKit (/usr/bin/docker)."
fi
if "$DOCKER" info >/dev/null 2>&1; then
  info "using the running Docker daemon ($("$DOCKER" version -f '{{.Server.Version}}' 2>/dev/null))"
else
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  info "no Docker daemon answers: starting dockerd (log: $LOGS/dockerd.log)"
  dockerd >"$LOGS/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 120); do
    "$DOCKER" info >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.5
  done
  if ! "$DOCKER" info >/dev/null 2>&1; then
    kill -0 "$DOCKERD_PID" 2>/dev/null || DOCKERD_PID=
    echo "---- last lines of $LOGS/dockerd.log"; tail -15 "$LOGS/dockerd.log"
    die "dockerd did not start, so the image cannot be built or run here: see the log above. It needs root with the privileges to create network namespaces, cgroups and overlay or vfs mounts (a container must be --privileged)."
  fi
  info "started dockerd $("$DOCKER" version -f '{{.Server.Version}}' 2>/dev/null), pid $DOCKERD_PID"
fi
info "docker client $DOCKER ($("$DOCKER" --version)); storage driver $("$DOCKER" info -f '{{.Driver}}' 2>/dev/null)"
stale=$("$DOCKER" ps -aq --filter "label=$LABEL"); [ -n "$stale" ] && "$DOCKER" rm -f $stale >/dev/null
DAEMON_MS=$(( $(now_ms) - T0 ))

# ------------------------------------------------------------------ 2. base image
step "2. base image"
T0=$(now_ms)
DF=$IMAGE_DIR/Dockerfile
PINNED=$(sed -n 's/^ARG NODE_IMAGE=//p' "$DF" | head -1)
[ -n "$PINNED" ] || die "no 'ARG NODE_IMAGE=' line in $DF: the test finds the pinned base there."
BUILD_ARGS=()
BASE_NOTE=
ca_sum() { [ -n "$EXTRA_CA" ] && [ -s "$EXTRA_CA" ] && sha256sum "$EXTRA_CA" | cut -c1-16 || echo none; }

debian_mirror() {
  local m=${DEBIAN_MIRROR:-}
  [ -z "$m" ] && m=$(grep -h -A3 -E '^Types:.*deb' /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's#^URIs: *\(.*/debian/*\)$#\1#p' | head -1)
  [ -z "$m" ] && m=$(grep -h -E '^deb .*/debian/? bookworm' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1)
  echo "${m:-http://deb.debian.org/debian}"
}

# node:20-bookworm-slim, assembled from Debian packages: debootstrap minbase (bookworm), trimmed like
# the slim image, this machine's Node 20 in /usr/local/bin, npm $NPM_VERSION, user node 1000:1000.
offline_base() {
  local rootfs_tar=$CACHE/bookworm-minbase.tar R=$WORK/rootfs node_bin npm_tgz mirror
  node_bin=$(command -v node)
  case "$("$node_bin" --version)" in v20.*) ;; *) die "this machine's node is $("$node_bin" --version): the offline base needs Node 20 (the Dockerfile's base is node:20)." ;; esac
  if [ ! -s "$rootfs_tar" ]; then
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
    mirror=$(debian_mirror)
    info "debootstrap --variant=minbase bookworm from $mirror (cached in $rootfs_tar; log: $LOGS/debootstrap.log)"
    rm -rf "$R"
    debootstrap --variant=minbase bookworm "$R" "$mirror" >"$LOGS/debootstrap.log" 2>&1 \
      || die "debootstrap failed: $(tail -2 "$LOGS/debootstrap.log" | tr '\n' ' ') — see $LOGS/debootstrap.log (set DEBIAN_MIRROR to a reachable mirror)."
    tar --numeric-owner -C "$R" -cf "$rootfs_tar.part" . && mv "$rootfs_tar.part" "$rootfs_tar"
    rm -rf "$R"
  fi
  rm -rf "$R" && mkdir -p "$R" && tar --numeric-owner -C "$R" -xf "$rootfs_tar"
  rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/cache/apt/*.bin "$R"/var/lib/apt/lists/* "$R"/usr/share/doc/* "$R"/usr/share/man/* "$R"/usr/share/info/*
  find "$R/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  install -m 0755 "$node_bin" "$R/usr/local/bin/node"
  npm_tgz=$CACHE/npm-$NPM_VERSION.tgz
  if [ ! -s "$npm_tgz" ]; then
    (cd "$CACHE" && npm pack "npm@$NPM_VERSION" --silent >"$LOGS/npm-pack.log" 2>&1) || die "npm pack npm@$NPM_VERSION failed (the offline base needs npm from the npm registry): see $LOGS/npm-pack.log"
  fi
  mkdir -p "$R/usr/local/lib/node_modules/npm"
  tar -xzf "$npm_tgz" -C "$R/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"
  local changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    --change "ENV NODE_VERSION=$("$node_bin" --version | tr -d v)" --change 'CMD ["node"]'
    --change "LABEL org.cdktf-mlops.test.node=$("$node_bin" --version) org.cdktf-mlops.test.ca=$(ca_sum)")
  if [ "$(ca_sum)" != none ]; then
    # The build's `npm ci` goes through a TLS-intercepting proxy: trust its CA bundle (Node reads
    # NODE_EXTRA_CA_CERTS in addition to its own roots; the official image has no such setting).
    mkdir -p "$R/usr/local/share/ca-certificates/build"
    cp "$EXTRA_CA" "$R/usr/local/share/ca-certificates/build/extra-ca.crt"
    changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/build/extra-ca.crt')
    info "the base trusts $EXTRA_CA (NODE_EXTRA_CA_CERTS) for the build's npm ci"
  fi
  chroot "$R" groupadd --gid 1000 node && chroot "$R" useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
    || die "could not add the node user (1000:1000) to the offline base"
  env -u NODE_EXTRA_CA_CERTS chroot "$R" /usr/local/bin/node -e 'process.exit(0)' || die "this machine's node does not run on Debian bookworm's libraries (the offline base)"
  tar --numeric-owner -C "$R" -cf - . | "$DOCKER" import "${changes[@]}" - "$OFFLINE_BASE" >/dev/null || die "docker import of the offline base failed"
  rm -rf "$R"
}

# The pinned official base plus the proxy's CA (only when NODE_EXTRA_CA_CERTS is set).
with_ca() {
  local base=$1 ctx=$WORK/ca-ctx tag=cdktf-mlops-test/node:20-bookworm-slim-ca
  rm -rf "$ctx" && mkdir -p "$ctx" && cp "$EXTRA_CA" "$ctx/extra-ca.crt"
  printf 'FROM %s\nCOPY extra-ca.crt /usr/local/share/ca-certificates/build/extra-ca.crt\nENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/build/extra-ca.crt\n' "$base" >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$tag" "$ctx" >"$LOGS/base-ca.log" 2>&1 || die "adding the CA bundle to $base failed: see $LOGS/base-ca.log"
  echo "$tag"
}

if "$DOCKER" image inspect "$PINNED" >/dev/null 2>&1 || timeout 60 "$DOCKER" pull -q "$PINNED" >"$LOGS/pull.log" 2>&1; then
  BASE=$PINNED
  BASE_NOTE="the pinned official base"
  if [ "$(ca_sum)" != none ]; then BASE=$(with_ca "$PINNED"); BUILD_ARGS=(--build-arg "NODE_IMAGE=$BASE"); BASE_NOTE="the pinned official base + the CA bundle of NODE_EXTRA_CA_CERTS"; fi
else
  info "the pinned base $PINNED cannot be pulled ($(tail -1 "$LOGS/pull.log" 2>/dev/null | cut -c1-140))"
  info "assembling an equivalent base offline from Debian packages: debootstrap --variant=minbase bookworm + this machine's Node $(node --version) + npm $NPM_VERSION + user node 1000:1000"
  want="$(node --version) $(ca_sum)"
  have=$("$DOCKER" image inspect -f '{{index .Config.Labels "org.cdktf-mlops.test.node"}} {{index .Config.Labels "org.cdktf-mlops.test.ca"}}' "$OFFLINE_BASE" 2>/dev/null || true)
  if [ "${MLOPS_REBUILD_BASE:-0}" = 1 ] || [ "$have" != "$want" ]; then
    offline_base
    info "assembled $OFFLINE_BASE in $(secs $(( $(now_ms) - T0 ))) s"
  else
    info "reusing $OFFLINE_BASE (MLOPS_REBUILD_BASE=1 assembles it again)"
  fi
  BASE=$OFFLINE_BASE
  BUILD_ARGS=(--build-arg "NODE_IMAGE=$OFFLINE_BASE")
  BASE_NOTE="an offline base assembled from Debian packages (Docker Hub unreachable), passed as --build-arg NODE_IMAGE"
fi
BASE_MS=$(( $(now_ms) - T0 ))
info "base: $BASE — $BASE_NOTE; node $("$DOCKER" run --rm --label "$LABEL" "$BASE" node --version 2>&1), npm $("$DOCKER" run --rm --label "$LABEL" "$BASE" npm --version 2>&1)"

# ------------------------------------------------------------------ 3. build
NO_CACHE=(); [ "${MLOPS_IMAGE_NO_CACHE:-0}" = 1 ] && NO_CACHE=(--no-cache)
# build ID NAME TAG CONTEXT LOG: BuildKit, the unmodified Dockerfile of the package folder CONTEXT; sets BUILD_MS, CACHED.
build() {
  local id=$1 name=$2 tag=$3 ctx=$4 log=$5 rc why size
  local T0; T0=$(now_ms)
  DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain "${NO_CACHE[@]}" "${BUILD_ARGS[@]}" -t "$tag" "$ctx" >"$log" 2>&1
  rc=$?
  BUILD_MS=$(( $(now_ms) - T0 ))
  CACHED=$(grep -c -E '^#[0-9]+ CACHED' "$log")
  if [ $rc = 0 ]; then
    pass "$id" "BuildKit builds the unmodified $name from the package folder, without Docker Hub for anything but the base" "$(secs $BUILD_MS) s, $CACHED steps from the layer cache"
  else
    why=$(grep -m1 -E 'failed to solve|ERROR|error:' "$log" | cut -c1-240)
    if grep -q -E 'docker/dockerfile|frontend' "$log"; then why="$why — a '# syntax=' frontend that BuildKit must pull (remove it or pin it by digest)"; fi
    fail "$id" "BuildKit build of $name" "exit $rc: $why (log: $log)"
  fi
  size=$(grep -o 'transferring context: [0-9.]*[kMG]*B' "$log" | tail -1 | sed 's/transferring context: //')
  [ $rc = 0 ] && [ "$CACHED" = 0 ] && [ -n "$size" ] && info "build context sent: $size (the allow-list of $(basename "$ctx")/Dockerfile.dockerignore; the folder holds $(du -sh "$ctx" | cut -f1))"
  return $rc
}

RUNTIME_RC=0
if want_runtime; then
  step "3. build: docker build -t $IMAGE training-image${BUILD_ARGS:+ ${BUILD_ARGS[*]}}"
  build B1 training-image/Dockerfile "$IMAGE" "$IMAGE_DIR" "$LOGS/build.log"

  # ---------------------------------------------------------------- 4. contract checks
  step "4. contract checks against live containers"
  RUNTIME_RC=1
  if "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 && [ "$(grep -c '^FAIL' "$SETUP_RESULTS")" = 0 ]; then
    MLOPS_TEST_DOCKER=$DOCKER MLOPS_TEST_IMAGE=$IMAGE MLOPS_TEST_LABEL=$LABEL MLOPS_TEST_WORK=$WORK/run MLOPS_TEST_REPO=$REPO \
    MLOPS_TEST_SETUP_RESULTS=$SETUP_RESULTS MLOPS_TEST_BUILD_MS=$BUILD_MS MLOPS_TEST_BASE_MS=$BASE_MS MLOPS_TEST_DAEMON_MS=$DAEMON_MS \
    MLOPS_TEST_CACHED_STEPS=$CACHED MLOPS_TEST_BASE="$BASE — $BASE_NOTE" MLOPS_TEST_START_MS=$T_START \
      node "$HARNESS"
    RUNTIME_RC=$?
  else
    printf '\nSUMMARY: the image was not built, so no contract was checked: FAIL (see %s)\n' "$LOGS/build.log"
  fi
fi
RUNTIME_END=$(now_ms)

# ------------------------------------------------------------------ 5. the release image
RELEASE_RC=0
if want_release; then
  step "5. the release image (the Azure promoter's): docker build -t $RELEASE_IMAGE release${BUILD_ARGS:+ ${BUILD_ARGS[*]}}"
  RESULTS_TO=$RELEASE_SETUP_RESULTS
  RELEASE_RC=1
  RELEASE_PIN=$(sed -n 's/^ARG NODE_IMAGE=//p' "$RELEASE_DIR/Dockerfile" | head -1)
  if [ "$RELEASE_PIN" != "$PINNED" ]; then
    fail B2 "release/Dockerfile pins the runtime's base" "it pins '${RELEASE_PIN:-nothing}', training-image/Dockerfile '$PINNED': the release image runs on the runtime's base (one pin to update); set ARG NODE_IMAGE= to the same digest"
  elif build B2 release/Dockerfile "$RELEASE_IMAGE" "$RELEASE_DIR" "$LOGS/build-release.log"; then
    MLOPS_TEST_DOCKER=$DOCKER MLOPS_TEST_IMAGE=$RELEASE_IMAGE MLOPS_TEST_LABEL=$LABEL MLOPS_TEST_WORK=$WORK/run-release \
    MLOPS_TEST_SETUP_RESULTS=$RELEASE_SETUP_RESULTS MLOPS_TEST_BUILD_MS=$BUILD_MS \
      node "$RELEASE_HARNESS"
    RELEASE_RC=$?
  fi
  if grep -q '^FAIL' "$RELEASE_SETUP_RESULTS"; then printf '\nSUMMARY (release image): not built, so not checked: FAIL (B2 above)\n'; fi
  info "the release image's build and checks took $(secs $(( $(now_ms) - RUNTIME_END ))) s"
fi

step "result"
want_runtime && info "runtime image $IMAGE: $([ "$RUNTIME_RC" = 0 ] && echo PASS || echo FAIL)"
want_release && info "release image $RELEASE_IMAGE: $([ "$RELEASE_RC" = 0 ] && echo PASS || echo FAIL)"
info "end to end $(( $(date +%s) - T_START / 1000 )) s on $(nproc) cores"
[ "$RUNTIME_RC" = 0 ] && [ "$RELEASE_RC" = 0 ]
