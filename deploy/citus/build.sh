#!/usr/bin/env bash
# Build and install the Citus extension into this machine's PostgreSQL when it is missing.
# Idempotent: does nothing when citus.so and citus.control are already installed.
#
#   deploy/citus/build.sh              # uses PG_CONFIG, CITUS_TARBALL, CITUS_BUILD_DIR if set
#
# Citus is not in Debian's archive; its source (release 13.2.2, AGPL-3.0) is vendored next to the
# project (../shared/vendor/citus-13.2.2.tar.gz, see that folder's README.md). PostgreSQL 15.15 and
# later export have_createdb_privilege(), which Citus 13.2.2 still defines for PostgreSQL 15: the
# vendored patch removes Citus's copy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
CITUS_VERSION="${CITUS_VERSION:-13.2.2}"
CITUS_SHA256="dd2453caec20a830e5e63f1def5c5a98cb6f57ae510407cdcd800916fcdab430"

find_vendor() {
  local d
  for d in "${CITUS_VENDOR_DIR:-}" "$repo/../shared/vendor" "$repo/../../shared/vendor" /work/shared/vendor; do
    if [[ -n "$d" && -f "$d/citus-$CITUS_VERSION.tar.gz" ]]; then
      (cd "$d" && pwd)
      return 0
    fi
  done
  return 1
}

installed() {
  [[ -x "$PG_CONFIG" ]] || return 1
  local lib share
  lib="$("$PG_CONFIG" --pkglibdir)"
  share="$("$PG_CONFIG" --sharedir)"
  [[ -f "$lib/citus.so" && -f "$share/extension/citus.control" ]] \
    && grep -q "default_version = '${CITUS_VERSION%.*}" "$share/extension/citus.control"
}

if installed; then
  echo "citus: already installed in $("$PG_CONFIG" --pkglibdir)"
  exit 0
fi

vendor="$(find_vendor)" || { echo "citus: citus-$CITUS_VERSION.tar.gz not found (set CITUS_VENDOR_DIR)" >&2; exit 2; }
tarball="$vendor/citus-$CITUS_VERSION.tar.gz"
echo "$CITUS_SHA256  $tarball" | sha256sum -c - >/dev/null \
  || { echo "citus: $tarball does not match its sha256" >&2; exit 2; }

# Debian build dependencies: server headers (which include gssapi/gssapi.h), compression, curl.
deps=(postgresql-server-dev-15 libkrb5-dev liblz4-dev libzstd-dev libcurl4-openssl-dev make gcc)
missing=()
for p in "${deps[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "citus: installing build dependencies: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build="${CITUS_BUILD_DIR:-/var/tmp/metodist-citus-build}"
rm -rf "$build"
mkdir -p "$build"
tar xzf "$tarball" -C "$build"
src="$build/citus-$CITUS_VERSION"
[[ -d "$src" ]] || src="$(find "$build" -maxdepth 1 -mindepth 1 -type d | head -1)"
cd "$src"
# PostgreSQL >= 15.15 exports have_createdb_privilege(); older 15.x still need Citus's own copy.
minor="$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL 15\.([0-9]+).*/\1/')"
patchfile="$vendor/pg15.15-have_createdb_privilege.patch"
if [[ "$minor" =~ ^[0-9]+$ && "$minor" -ge 15 && -f "$patchfile" ]] \
   && patch -p1 --dry-run -s < "$patchfile" >/dev/null; then
  patch -p1 -s < "$patchfile"
fi
./configure PG_CONFIG="$PG_CONFIG" >/dev/null
make -j"${CITUS_JOBS:-2}" >/dev/null
make install >/dev/null
installed || { echo "citus: built but not found installed" >&2; exit 1; }
echo "citus: installed $CITUS_VERSION into $("$PG_CONFIG" --pkglibdir)"
