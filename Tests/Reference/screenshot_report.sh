#!/usr/bin/env bash
# Screenshots a run's report page with headless Chromium, to check that it renders.
#
#   Tests/Reference/screenshot_report.sh RUN_DIR OUT.png
#
# Writes RUN_DIR/report.html first if it does not exist (with $SWIFTLET, default
# .build/debug/swiftlet). WINDOW_SIZE (default 1200,1600) sets the viewport, which is also the
# size of the picture: the page is taller, so use e.g. WINDOW_SIZE=1200,3400 for all of it.
# Needs Chromium (Debian: apt-get install -y chromium).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 RUN_DIR OUT.png" >&2
  exit 2
fi
run_dir=$1
out=$2
page="$run_dir/report.html"

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then
    browser=$candidate
    break
  fi
done
if [[ -z $browser ]]; then
  echo "error: no Chromium found (apt-get install -y chromium)" >&2
  exit 1
fi

if [[ ! -f $page ]]; then
  "${SWIFTLET:-.build/debug/swiftlet}" report "$run_dir" >/dev/null
fi

# Chromium wants absolute paths, a writable profile and (as root in a container) no sandbox.
abs_page=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
out_dir=$(cd "$(dirname "$out")" && pwd)
abs_out=$out_dir/$(basename "$out")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$abs_out"

if ! timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$profile" --no-first-run --disable-extensions \
  --window-size="${WINDOW_SIZE:-1200,1600}" --screenshot="$abs_out" "file://$abs_page" \
  >"$profile/log" 2>&1; then
  cat "$profile/log" >&2
  echo "error: $browser failed to take the screenshot" >&2
  exit 1
fi
if [[ ! -s $abs_out ]]; then
  cat "$profile/log" >&2
  echo "error: $browser wrote no screenshot to $abs_out" >&2
  exit 1
fi
echo "$abs_out"
