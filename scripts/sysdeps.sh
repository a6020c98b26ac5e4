#!/usr/bin/env bash
# Install the Debian packages the test suite needs, only when they are missing.
# Browser tests drive Debian's chromium through Playwright (never a browser download).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "noto sans cjk\|wqy" || need+=(fonts-noto-cjk)
# pango for WeasyPrint (the PDF assessment report); chromium pulls it in, a server may not have it.
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
# PostgreSQL + PostGIS for the PostGIS store tests (a throwaway server on loopback per test run).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
compgen -G "/usr/share/postgresql/*/extension/postgis.control" >/dev/null || need+=(postgresql-postgis)  # the PostGIS of Debian's default PostgreSQL
# libfaketime for `make test-future` (the suite with the clock a year ahead).
compgen -G "/usr/lib/*/faketime/libfaketime.so.1" >/dev/null || need+=(faketime)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "sysdeps: missing ${need[*]} and no apt-get; install them by hand" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "sysdeps: installing ${need[*]} from Debian packages"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
