#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds generated sites of 100, 1,000 and 5,000 pages with `greenroom
# techdocs build` and with Debian's `mkdocs build` in the same run, and
# prints CPU time (user + system, and greenroom's system part), wall time,
# peak RSS, output size in MB,
# pages per CPU second and the speed-up in CPU time. CPU time is the fairer measure on a
# shared machine, where wall time includes waiting for a core.
#
# usage: bench/techdocs/scale.sh [--sizes "100 1000 5000"] [--runs N]
#                                [--mkdocs-max PAGES] [--out DIR]
#   --sizes       page counts to build (default "100 1000 5000")
#   --runs        greenroom builds per size; the median is reported (default 5)
#   --mkdocs-max  skip MkDocs on sites larger than PAGES (default: never
#                 skip); MkDocs takes minutes at 5,000 pages
#   --out         folder both tools write their sites into (default: SCRATCH).
#                 Each build writes a site that was just deleted. On ext4
#                 without a journal, the inode allocator then skips the
#                 recently deleted inodes one by one, which costs system
#                 time. A tmpfs folder such as /dev/shm/NAME leaves it out.
# Environment: GREENROOM_BIN (default build/release/greenroom), SCRATCH
# (default /tmp/greenroom-techdocs-bench; generated sites are kept there).
set -u
cd "$(dirname "$0")/../.."

sizes="100 1000 5000"
runs=5
mkdocs_max=0
out=
while [ $# -gt 0 ]; do
    case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --mkdocs-max) mkdocs_max=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "scale.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done

bin=${GREENROOM_BIN:-build/release/greenroom}
scratch=${SCRATCH:-/tmp/greenroom-techdocs-bench}
python=/usr/bin/python3
out=${out:-$scratch}
mkdir -p "$scratch" "$out"

if [ ! -x "$bin" ]; then
    echo "scale.sh: $bin is missing; build it with 'cmake --build build/release'" >&2
    exit 1
fi

# Runs a command under /usr/bin/time; prints "<CPU seconds> <wall seconds> <peak RSS MiB>
# <system seconds>".
measure() {
    log=$scratch/time.log
    /usr/bin/time -f '%U %S %e %M' -o "$log" "$@" >/dev/null 2>&1 || {
        echo "scale.sh: '$*' failed" >&2
        return 1
    }
    awk '{ printf "%.2f %.2f %.1f %.2f\n", $1 + $2, $3, $4 / 1024, $2 }' "$log"
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

row='%6s %8s | %8s %6s %8s %7s %7s %7s | %8s %8s %7s %7s %7s | %7s\n'
printf "$row" pages md_lines gr_cpu gr_sys gr_wall gr_MiB gr_MB gr_pg/s mk_cpu mk_wall mk_MiB \
    mk_MB mk_pg/s speedup
for pages in $sizes; do
    site=$scratch/site-$pages
    if [ ! -f "$site/mkdocs.yml" ]; then
        rm -rf "$site"
        $python bench/techdocs/gen_site.py --pages "$pages" --out "$site" || exit 1
    fi
    lines=$(find "$site/docs" -name '*.md' -exec cat {} + | wc -l)

    : >"$scratch/gr-cpu"
    : >"$scratch/gr-wall"
    : >"$scratch/gr-sys"
    rss=0
    i=0
    while [ "$i" -lt "$runs" ]; do
        rm -rf "$out/gr-out"
        result=$(measure "$bin" techdocs build "$site" -o "$out/gr-out") || exit 1
        set -- $result
        echo "$1" >>"$scratch/gr-cpu"
        echo "$2" >>"$scratch/gr-wall"
        echo "$4" >>"$scratch/gr-sys"
        rss=$3
        i=$((i + 1))
    done
    gr_cpu=$(median <"$scratch/gr-cpu")
    gr_wall=$(median <"$scratch/gr-wall")
    gr_sys=$(median <"$scratch/gr-sys")
    gr_rate=$(awk "BEGIN { printf \"%.0f\", $pages / ($gr_cpu > 0 ? $gr_cpu : 0.01) }")
    gr_size=$(du -sb "$out/gr-out" | awk '{ printf "%.1f", $1 / 1e6 }')

    if [ "$mkdocs_max" -gt 0 ] && [ "$pages" -gt "$mkdocs_max" ]; then
        printf "$row" "$pages" "$lines" "$gr_cpu" "$gr_sys" "$gr_wall" "$rss" "$gr_size" "$gr_rate" \
            skipped - - - - -
        echo "MkDocs skipped at $pages pages (--mkdocs-max $mkdocs_max)"
        continue
    fi
    rm -rf "$out/mk-out"
    result=$(cd "$site" && measure /usr/bin/mkdocs build -q -d "$out/mk-out") || exit 1
    set -- $result
    mk_size=$(du -sb "$out/mk-out" | awk '{ printf "%.1f", $1 / 1e6 }')
    rm -rf "$out/mk-out" "$out/gr-out"
    printf "$row" "$pages" "$lines" "$gr_cpu" "$gr_sys" "$gr_wall" "$rss" "$gr_size" "$gr_rate" \
        "$1" "$2" "$3" "$mk_size" \
        "$(awk "BEGIN { printf \"%.0f\", $pages / $1 }")" \
        "$(awk "BEGIN { printf \"%.0fx\", $1 / ($gr_cpu > 0 ? $gr_cpu : 0.01) }")"
done
