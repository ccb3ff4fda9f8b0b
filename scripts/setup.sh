#!/usr/bin/env bash
# Installs what Estuary needs on Debian 12: system packages (ffmpeg, Chromium for the browser
# tests, Redis for scale-out tests), mediasoup's worker and the npm packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v chromium >/dev/null || need+=(chromium)
command -v redis-server >/dev/null || need+=(redis-server)
command -v gst-launch-1.0 >/dev/null && dpkg -s gir1.2-gst-rtsp-server-1.0 gstreamer1.0-libav >/dev/null 2>&1 || need+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing system packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# mediasoup's C++ worker: built once per machine from its npm tarball against Debian's libraries
# (5-8 minutes on 2 cores; cached under ~/.cache/estuary), see scripts/mediasoup/worker.sh.
worker_bin=$(bash scripts/mediasoup/worker.sh)
export MEDIASOUP_WORKER_BIN="$worker_bin" # mediasoup's postinstall then skips its own download/build
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
install -D "$worker_bin" node_modules/mediasoup/worker/out/Release/mediasoup-worker
node scripts/build-client.mjs
echo "setup done: npm start"
