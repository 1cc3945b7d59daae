#!/usr/bin/env bash
# Install the Bluesky test peer's Node.js dependencies (@atproto/dev-env 0.3.215 and the 473
# packages it pulls) from the pinned package-lock.json next to this script, into a cache folder
# OUTSIDE the repository:
#
#   ${HEEDFUL_BSKY_PEER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/heedful/bluesky-peer}
#
# tests/peers/bluesky.py finds it there (same variable, same default).
#
# Idempotent: does nothing when the installed lockfile and Node.js version match this one
# (about 0.3 s). Otherwise `npm ci` from scratch (about 2 minutes on 2 cores; 361 MB of
# node_modules, plus ~130 MB in the npm cache).
# better-sqlite3 is compiled from source with node-gyp against the Node.js headers of the
# installed nodejs package (prebuild-install would try to download a binary from GitHub, and
# node-gyp would download headers from nodejs.org: neither is reachable from CI).
#
# Needs (checked below; exits non-zero naming what is missing):
#   node 20 and npm (dev-env 0.3.215 is the newest release that runs on Node 20), the Node.js
#   headers under <node prefix>/include/node, python3, make and g++ (node-gyp), and at test
#   time PostgreSQL 15 server binaries in /usr/lib/postgresql/15/bin (Debian: postgresql-15).
#
# Usage: tests/peers/bluesky/install.sh [--force]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TARGET="${HEEDFUL_BSKY_PEER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/heedful/bluesky-peer}"
PGBIN="${HEEDFUL_PG_BIN:-/usr/lib/postgresql/15/bin}"
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

die() {
  echo "bluesky peer install: ERROR: $*" >&2
  exit 1
}
say() { echo "bluesky peer install: $*" >&2; }

# --- prerequisites --------------------------------------------------------------------------
missing=()
for tool in node npm python3 make g++ flock; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] || die "missing command(s): ${missing[*]}
  Debian: apt-get install -y build-essential python3 util-linux; Node.js 20 with npm (nodejs)"

node_version="$(node -p 'process.versions.node')"
[ "${node_version%%.*}" = 20 ] \
  || die "Node.js 20 is required (@atproto/dev-env 0.3.215 is pinned for it); found $node_version"

# node-gyp must find the headers locally: otherwise it tries to download them from nodejs.org.
node_prefix="$(node -p 'require("path").resolve(process.execPath, "..", "..")')"
[ -f "$node_prefix/include/node/node_api.h" ] \
  || die "Node.js headers not found in $node_prefix/include/node (needed to build better-sqlite3)"

for bin in initdb pg_ctl postgres; do
  [ -x "$PGBIN/$bin" ] || die "PostgreSQL 15 server not found ($PGBIN/$bin).
  Debian: apt-get install -y postgresql-15   (or set HEEDFUL_PG_BIN to its bin folder)"
done

# --- install (serialised: two test runs may call this at the same time) ---------------------
mkdir -p "$TARGET"
exec 9>"$TARGET/.install.lock"
flock 9

stamp="$TARGET/.installed"
want="$(cat "$HERE/package-lock.json" <(echo "node $node_version") | sha256sum | cut -d' ' -f1)"
if [ "$FORCE" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
  && [ -f "$TARGET/node_modules/@atproto/dev-env/package.json" ] \
  && cmp -s "$HERE/package-lock.json" "$TARGET/package-lock.json"; then
  say "up to date in $TARGET"
  exit 0
fi

say "installing @atproto/dev-env into $TARGET (npm ci, builds better-sqlite3; takes minutes)"
rm -f "$stamp"
cp "$HERE/package.json" "$HERE/package-lock.json" "$TARGET/"
started=$SECONDS
(
  cd "$TARGET"
  # npm_config_build_from_source=better-sqlite3: prebuild-install skips its GitHub download and
  # the package's install script falls back to `node-gyp rebuild`.
  # npm_config_nodedir: node-gyp uses the installed headers instead of downloading them.
  export npm_config_build_from_source=better-sqlite3
  export npm_config_nodedir="$node_prefix"
  npm ci --no-audit --no-fund --loglevel=error
) || die "npm ci failed in $TARGET (see the output above)"

node -e "
  const base = process.argv[1]
  new (require(base + '/node_modules/better-sqlite3'))(':memory:').close()
  require.resolve('@atproto/dev-env', { paths: [base] })
" "$TARGET" || die "the installed modules do not load (better-sqlite3 build or dev-env missing)"

echo "$want" >"$stamp"
say "installed in $((SECONDS - started)) s: $(du -sh "$TARGET/node_modules" | cut -f1) in $TARGET"
