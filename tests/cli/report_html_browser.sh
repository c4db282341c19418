#!/bin/sh
# The HTML report in a real browser (Debian's chromium, headless): it
# renders (a screenshot is taken), the browser logs no console message
# (no CSP violation, no error), and a <script> planted in a log line of the
# bundle is neither present in the page nor run (the DOM after load still
# has the report's own title and no script element).
set -eu
command -v chromium >/dev/null || { echo "chromium missing (make deps installs it)"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
C="$PS_SHARED/corpus/lab-2026-11-24"
mkdir -p "$T/b/prometheus-agent-0/dumps"
cp "$C"/prometheus-agent-0/dumps/17955023*.prom "$T/b/prometheus-agent-0/dumps/"
{
    cat "$C/prometheus-agent-0/prometheus.log"
    printf '%s\n' 'ts=2026-11-24T06:52:00.000Z caller=dedupe.go:112 component=remote level=warn msg="Failed to send batch, retrying" err="<script>document.title=\"PWNED\";document.body.innerHTML=\"PWNED\"</script> connect: connection refused"'
} >"$T/b/prometheus-agent-0/prometheus.log"
"$PROMSIGHT" analyze "$T/b" -o "$T/out" --fail-on none -q
H="$T/out/report.html"
grep -q 'document.title' "$H" || { echo "planted line not in the report"; exit 1; }
if grep -q '<script' "$H"; then echo "a <script> tag reached the HTML"; exit 1; fi
CH="chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --user-data-dir=$T/ud --hide-scrollbars"
# shellcheck disable=SC2086
timeout 120 $CH --dump-dom "file://$H" >"$T/dom.html" 2>/dev/null
grep -q '<title>promsight report</title>' "$T/dom.html" || { echo "title changed: script ran?"; exit 1; }
if grep -q '<script' "$T/dom.html"; then echo "script element in the DOM"; exit 1; fi
if grep -q '>PWNED<' "$T/dom.html"; then echo "planted script ran"; exit 1; fi
grep -q '<svg' "$T/dom.html" || { echo "no chart rendered"; exit 1; }
# shellcheck disable=SC2086
timeout 120 $CH --enable-logging=stderr --v=0 --window-size=1000,2000 \
    --screenshot="$T/shot.png" "file://$H" 2>"$T/log.txt" >/dev/null || true
[ -s "$T/shot.png" ] || { echo "no screenshot"; cat "$T/log.txt"; exit 1; }
size=$(wc -c <"$T/shot.png")
[ "$size" -gt 20000 ] || { echo "screenshot suspiciously small ($size bytes)"; exit 1; }
if grep -i 'CONSOLE' "$T/log.txt"; then echo "console messages logged"; exit 1; fi
echo "html in chromium: ok (screenshot $size bytes)"
