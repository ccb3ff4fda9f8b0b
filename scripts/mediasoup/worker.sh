#!/usr/bin/env bash
# Makes sure mediasoup's C++ worker exists for this machine and prints its path.
#
# mediasoup's own install downloads a prebuilt worker from GitHub or builds it with a pip-installed
# meson and wrapped subprojects fetched at build time; neither works on a machine that reaches only
# the npm registry and Debian. So the worker is built from the npm tarball's own source against
# Debian 12 libraries, once per machine, and cached under a key made of the mediasoup version and
# the patches (a changed patch builds again):
#   ms315-meson.diff                 system dependency()s instead of subproject()s, meson >= 1.0,
#                                    and a force-included shim mapping the libsrtp "3.0-alpha" calls
#                                    of mediasoup 3.13-3.15 onto Debian's libsrtp 2.5
#   ms315-dtls-bio-callback-ret.diff the DTLS output BIO callback tests `op & BIO_CB_RETURN`;
#                                    without it Debian's KTLS-enabled libssl crashes the worker on
#                                    the first DTLS handshake
# The recipe and both patches come from ../shared/reference/mediasoup-debian/ (worked out and
# checked on this kind of machine).
#
# libsrtp: Debian's libsrtp2 is built on NSS, and profiling a worker forwarding to 400 viewers
# put 28 % of its CPU in NSS's AES (plus locking in libc) against 4 % in libsrtp itself. So the
# worker links a static libsrtp 2.5.0 built with OpenSSL (AES-NI) from Debian's own source
# package (`apt-get source libsrtp2`, the same version; a deb-src entry is added for it). If the
# source cannot be fetched, the worker links Debian's libsrtp2 as before.
#
#   scripts/mediasoup/worker.sh           build if missing, print the cached binary's path
#   ESTUARY_CACHE=/dir scripts/mediasoup/worker.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=3.15.8
key="$version-$( (cat "$here"/*.diff; echo srtp-openssl-2.5.0) | sha256sum | cut -c1-12)"
cache="${ESTUARY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/estuary}/mediasoup-worker/$key"
bin="$cache/mediasoup-worker"
if [ -x "$bin" ]; then
  echo "$bin"; exit 0
fi
echo "building mediasoup $version worker (once per machine, ~5-8 min on 2 cores) into $cache" >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
deps=(g++ pkg-config meson ninja-build libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev
  flatbuffers-compiler libflatbuffers-dev)
missing=()
for p in "${deps[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# libsrtp 2.5.0 with OpenSSL, static, from Debian's source package (see the header).
srtp_pc=""
if [ ! -f /etc/apt/sources.list.d/estuary-debsrc.sources ]; then
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    | $SUDO tee /etc/apt/sources.list.d/estuary-debsrc.sources >/dev/null
fi
if $SUDO apt-get update -qq -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/estuary-debsrc.sources -o Dir::Etc::sourceparts=- >/dev/null 2>&1 \
  && ( cd "$work" && apt-get source -qq --download-only libsrtp2=2.5.0-3 >/dev/null 2>&1 ) \
  && [ -f "$work/libsrtp2_2.5.0.orig.tar.gz" ]; then
  ( cd "$work" && tar xzf libsrtp2_2.5.0.orig.tar.gz && cd libsrtp-2.5.0 \
    && ./configure --enable-openssl --prefix="$work/srtp" CFLAGS="-O2 -fPIC" >/dev/null \
    && make -j"$(nproc)" libsrtp2.a >/dev/null && make install >/dev/null ) && srtp_pc="$work/srtp/lib/pkgconfig"
fi
if [ -n "$srtp_pc" ]; then
  echo "linking a static libsrtp 2.5.0 built with OpenSSL" >&2
  export PKG_CONFIG_PATH="$srtp_pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
else
  echo "libsrtp2 source not available: linking Debian's libsrtp2 (NSS crypto)" >&2
fi
( cd "$work" && npm pack --silent "mediasoup@$version" >/dev/null && tar xzf "mediasoup-$version.tgz" )
src="$work/package/worker"
( cd "$src" && patch -s -p1 < "$here/ms315-meson.diff" && patch -s -p1 < "$here/ms315-dtls-bio-callback-ret.diff" )
meson setup --wrap-mode=nodownload --buildtype release -Db_ndebug=true -Db_pie=true -Db_staticpic=true \
  -Dms_disable_liburing=true "$src/out/Release" "$src" >/dev/null
# The FlatBuffers headers must exist before the worker target, which does not depend on them.
nice -n 10 ninja -C "$src/out/Release" fbs/FBS >/dev/null
nice -n 10 ninja -C "$src/out/Release" -j"$(nproc)" mediasoup-worker >&2
mkdir -p "$cache"
cp "$src/out/Release/mediasoup-worker" "$bin.tmp"
strip "$bin.tmp" 2>/dev/null || true
mv "$bin.tmp" "$bin"
echo "$bin"
