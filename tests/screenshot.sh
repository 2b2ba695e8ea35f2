#!/usr/bin/env bash
# Take a screenshot of an HTML report with headless Chromium.
#   tests/screenshot.sh REPORT.html OUT.png [WIDTHxHEIGHT]
# The report is self-contained, so networking is not needed (and off).
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT (default 1400x1000)]" >&2
  exit 2
fi
report=$1 out=$2 size=${3:-1400x1000}
chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -r $report ]] || { echo "$0: cannot read $report" >&2; exit 1; }
[[ -x $chromium ]] || { echo "$0: $chromium not found: install Debian's chromium or set CHROMIUM" >&2; exit 1; }
[[ $size =~ ^[0-9]+x[0-9]+$ ]] || { echo "$0: size must be WIDTHxHEIGHT, got $size" >&2; exit 2; }

abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
mkdir -p "$(dirname "$out")"
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

rm -f "$abs_out"
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$abs_out" --window-size="${size/x/,}" "file://$abs_report" \
  >"$profile/chromium.log" 2>&1 || { cat "$profile/chromium.log" >&2; exit 1; }
[[ -s $abs_out ]] || { echo "$0: chromium wrote no screenshot" >&2; cat "$profile/chromium.log" >&2; exit 1; }
echo "$abs_out"
