#!/bin/sh
# Regenerates the hostile fixtures in this directory:
#   alias-bomb.yaml  a "billion laughs": 9 levels of 10 aliases each (10^9
#                    nodes if expanded), then a normal key after it
#   deep.json        a hashrings list whose first ring holds 10000 nested
#                    arrays, then a normal ring after it
#   deep.yaml        the same nesting in YAML block style is impractical;
#                    flow style [[[...]]] inside a mapping
cd "$(dirname "$0")" || exit 1
{
    echo 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
    i=1
    while [ $i -le 9 ]; do
        p=$((i - 1))
        echo "a$i: &a$i [*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p]"
        i=$((i + 1))
    done
    echo 'global:'
    echo '  scrape_interval: 15s'
} > alias-bomb.yaml
python3 -c '
n = 10000
print("[{\"hashring\": \"deep\", \"endpoints\": [\"a:10901\"], \"x\": " + "[" * n + "]" * n + "},")
print(" {\"hashring\": \"after\", \"endpoints\": [\"b:10901\", \"c:10901\"]}]")
' > deep.json
python3 -c '
n = 5000
print("deep: " + "[" * n + "]" * n)
print("global:")
print("  scrape_interval: 20s")
' > deep.yaml
