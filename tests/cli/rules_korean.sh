#!/bin/sh
# Every built-in rule speaks Korean (`--lang ko`): each `- alert:` in
# models/rules/*.yaml must carry non-empty summary_ko, description_ko and
# advice_ko containing Hangul, and each *_ko text must keep every template
# expression ({{ ... }}) of its English text, and advice_ko every flag
# (--x.y, -n ns), kubectl verb, config key (snake_case or a.b) and API
# path of the English advice. The rule files are scanned line by line (no
# YAML library here): annotations must be single-line double-quoted
# strings, which the scan checks too. The scanner is first run on a
# deliberately broken rule file (it must fail), then on the built-in set,
# whose alert count is cross-checked with `promsight rules list --format
# json`. Finally `analyze --lang ko` on the lab corpus must give Korean
# summary, description and advice for every finding.
set -u
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# scan FILE... : prints one line per problem and "alerts N" at the end.
scan() {
    LC_ALL=C awk '
    function hangul(s) {
        # UTF-8 Hangul syllables U+AC00..U+D7A3
        return s ~ /\352[\260-\277]|[\353\354][\200-\277]|\355[\200-\236]/
    }
    function flush(   k, e, ko, s, t, rest) {
        if (alert == "") return
        n_alerts++
        split("summary description advice", keys, " ")
        for (k = 1; k <= 3; k++) {
            e = keys[k]; ko = e "_ko"
            if (!(ko in v) || v[ko] == "") { print where ": " alert ": " ko " missing or empty"; continue }
            if (!hangul(v[ko])) { print where ": " alert ": " ko " has no Hangul"; continue }
            if (!(e in v)) { print where ": " alert ": " e " missing"; continue }
            # template expressions of the English text must all be kept
            rest = v[e]
            while (match(rest, /\{\{[^}]*\}\}/)) {
                t = substr(rest, RSTART, RLENGTH)
                if (index(v[ko], t) == 0) print where ": " alert ": " ko " lacks " t
                rest = substr(rest, RSTART + RLENGTH)
            }
            if (e != "advice") continue
            # flags, config keys and API paths of the advice must be kept
            rest = v[e]
            while (match(rest, /kubectl [a-z]+|(^| )-[a-z] [a-z]+|--[a-z][a-z0-9.-]*[a-z0-9]|[a-z0-9]+(_[a-z0-9]+)+(\.[a-z0-9_]+)*|[a-z]+_[a-z_]+\.[a-z_.0-9]+|\/api\/v1\/[a-z]+/)) {
                t = substr(rest, RSTART, RLENGTH)
                if (index(v[ko], t) == 0) print where ": " alert ": advice_ko lacks " t
                rest = substr(rest, RSTART + RLENGTH)
            }
        }
        delete v
        alert = ""
    }
    FNR == 1 { flush() }
    /^[ \t]*- alert:/ {
        flush()
        alert = $0; sub(/^[ \t]*- alert:[ \t]*/, "", alert); sub(/[ \t]+$/, "", alert)
        where = FILENAME ":" FNR
        next
    }
    alert != "" && /^[ \t]+(summary|description|advice)(_ko)?:/ {
        key = $0; sub(/^[ \t]+/, "", key); sub(/:.*/, "", key)
        val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
        if (val !~ /^".*"$/) { print FILENAME ":" FNR ": " alert ": " key " is not a single-line double-quoted string"; next }
        v[key] = substr(val, 2, length(val) - 2)
    }
    END { flush(); print "alerts " n_alerts + 0 }
    ' "$@"
}

# 1. The scanner must catch a rule without Korean, with English-only
# *_ko text, with a lost template expression and with a lost flag or command.
cat > "$tmp/bad.yaml" <<'EOF'
groups:
- name: g
  rules:
  - alert: NoKorean
    expr: up == 0
    annotations:
      summary: "{{ $labels.pod }} down"
      description: "down"
      advice: "check"
  - alert: EnglishKo
    expr: up == 0
    annotations:
      summary: "x"
      description: "x"
      advice: "x"
      summary_ko: "x"
      description_ko: "다운"
      advice_ko: "확인"
  - alert: LostTemplate
    expr: up == 0
    annotations:
      summary: "{{ $labels.pod }} down"
      description: "{{ $value | humanize }} x"
      advice: "raise --storage.agent.retention.max-time; kubectl get pods -n monitoring"
      summary_ko: "다운"
      description_ko: "{{ $value }} 다운"
      advice_ko: "보관 기간을 늘리고 kubectl로 파드를 보세요"
EOF
bad=$(scan "$tmp/bad.yaml")
for want in 'NoKorean: summary_ko missing' 'NoKorean: advice_ko missing' \
            'EnglishKo: summary_ko has no Hangul' \
            'LostTemplate: summary_ko lacks {{ $labels.pod }}' \
            'LostTemplate: description_ko lacks {{ $value | humanize }}' \
            'LostTemplate: advice_ko lacks --storage.agent.retention.max-time' \
            'LostTemplate: advice_ko lacks kubectl get' \
            'LostTemplate: advice_ko lacks  -n monitoring' \
            'alerts 3'; do
    printf '%s\n' "$bad" | grep -qF -- "$want" || { echo "scanner missed: $want"; printf '%s\n' "$bad"; fail=1; }
done

# 2. The built-in rules.
out=$(scan models/rules/*.yaml)
problems=$(printf '%s\n' "$out" | grep -v '^alerts ')
if [ -n "$problems" ]; then
    printf '%s\n' "$problems"
    fail=1
fi
n=$(printf '%s\n' "$out" | sed -n 's/^alerts //p')
listed=$("$PROMSIGHT" rules list --format json | grep -c '^      "rule": ')
if [ "$n" -lt 1 ] || [ "$n" != "$listed" ]; then
    echo "scanned $n alerts, promsight rules list shows $listed"
    fail=1
fi

# 3. A Korean report on the lab corpus: no English finding text left.
if command -v jq >/dev/null 2>&1; then
    if "$PROMSIGHT" analyze "$PS_SHARED/corpus/lab-2026-11-24" -o "$tmp/ko" \
           --lang ko --fail-on none -q; then
        nf=$(jq '.findings | length' "$tmp/ko/report.json")
        nko=$(jq '[.findings[] | select((.summary | test("[가-힣]")) and
                                       (.description | test("[가-힣]")) and
                                       (.advice | test("[가-힣]")))] | length' \
                 "$tmp/ko/report.json")
        if [ "$nf" -lt 1 ] || [ "$nf" != "$nko" ]; then
            echo "Korean report: $nko of $nf findings fully in Korean"
            jq -r '.findings[] | select((.summary | test("[가-힣]")) | not) | .rule + ": " + .summary' \
                "$tmp/ko/report.json"
            fail=1
        fi
    else
        echo "analyze --lang ko failed"; fail=1
    fi
else
    echo "jq not installed: skipping the Korean report check" >&2
fi
exit $fail
