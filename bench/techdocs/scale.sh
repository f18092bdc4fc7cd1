#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds generated sites of 100, 1,000 and 5,000 pages with `greenroom
# techdocs build` and with Debian's `mkdocs build` in the same run, and
# prints CPU time (user + system, and greenroom's system part), wall time,
# peak RSS, output size in MB,
# pages per CPU second and the speed-up in CPU time and in wall time. CPU
# time is the fairer measure on a shared machine, where wall time includes
# waiting for a core.
#
# usage: bench/techdocs/scale.sh [--sizes "100 1000 5000"] [--runs N]
#                                [--mkdocs-max PAGES] [--out DIR] [--settle S]
#   --sizes       page counts to build (default "100 1000 5000")
#   --runs        greenroom builds per size; the median is reported (default 5)
#   --mkdocs-max  skip MkDocs on sites larger than PAGES (default: never
#                 skip); MkDocs takes minutes at 5,000 pages
#   --out         folder both tools write their sites into (default: SCRATCH),
#                 for example a tmpfs folder such as /dev/shm/NAME. Every
#                 build writes into a new, empty folder under it.
#   --settle      seconds to wait after deleting the sites of the previous
#                 size, before the next builds are timed (default 60).
#                 On ext4 without a journal, the allocator skips recently
#                 freed inodes one by one (recently_deleted in Linux
#                 fs/ext4/ialloc.c), so a build right after a large delete
#                 pays system time for it. tmpfs needs no wait.
# Environment: GREENROOM_BIN (default build/release/greenroom), SCRATCH
# (default /tmp/greenroom-techdocs-bench; generated sites are kept there).
set -u
cd "$(dirname "$0")/../.."

sizes="100 1000 5000"
runs=5
mkdocs_max=0
out=
settle=60
while [ $# -gt 0 ]; do
    case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --mkdocs-max) mkdocs_max=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
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

# Runs a command under /usr/bin/time and prints "<CPU seconds> <wall seconds>
# <peak RSS MiB> <system seconds>".
measure() {
    log=$scratch/time.log
    /usr/bin/time -f '%U %S %e %M' -o "$log" "$@" >/dev/null 2>&1 || {
        echo "scale.sh: '$*' failed" >&2
        return 1
    }
    awk '{ printf "%.2f %.2f %.1f %.2f\n", $1 + $2, $3, $4 / 1024, $2 }' "$log"
}

# Deletes the sites of earlier builds, outside any timed section, and
# waits until the file system has settled.
clear_outputs() {
    rm -rf "$out"/gr-* "$out"/mk-*
    sync
    sleep "$settle"
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

row='%6s %8s | %8s %6s %8s %7s %7s %7s | %8s %8s %7s %7s %7s | %7s %7s\n'
echo "load average at start: $(cut -d ' ' -f 1-3 /proc/loadavg); output in $out"
printf "$row" pages md_lines gr_cpu gr_sys gr_wall gr_MiB gr_MB gr_pg/s mk_cpu mk_wall mk_MiB \
    mk_MB mk_pg/s cpu_x wall_x
for pages in $sizes; do
    site=$scratch/site-$pages
    if [ ! -f "$site/mkdocs.yml" ]; then
        rm -rf "$site"
        $python bench/techdocs/gen_site.py --pages "$pages" --out "$site" || exit 1
    fi
    lines=$(find "$site/docs" -name '*.md' -exec cat {} + | wc -l)
    clear_outputs

    : >"$scratch/runs-cpu"
    : >"$scratch/runs-wall"
    : >"$scratch/runs-sys"
    rss=0
    i=0
    while [ "$i" -lt "$runs" ]; do
        result=$(measure "$bin" techdocs build "$site" -o "$out/gr-$pages-$i") || exit 1
        set -- $result
        echo "$1" >>"$scratch/runs-cpu"
        echo "$2" >>"$scratch/runs-wall"
        echo "$4" >>"$scratch/runs-sys"
        rss=$3
        i=$((i + 1))
    done
    gr_cpu=$(median <"$scratch/runs-cpu")
    gr_wall=$(median <"$scratch/runs-wall")
    gr_sys=$(median <"$scratch/runs-sys")
    gr_rate=$(awk "BEGIN { printf \"%.0f\", $pages / ($gr_cpu > 0 ? $gr_cpu : 0.01) }")
    gr_size=$(du -sb "$out/gr-$pages-0" | awk '{ printf "%.1f", $1 / 1e6 }')

    if [ "$mkdocs_max" -gt 0 ] && [ "$pages" -gt "$mkdocs_max" ]; then
        printf "$row" "$pages" "$lines" "$gr_cpu" "$gr_sys" "$gr_wall" "$rss" "$gr_size" "$gr_rate" \
            skipped - - - - - -
        echo "MkDocs skipped at $pages pages (--mkdocs-max $mkdocs_max)"
        continue
    fi
    result=$(cd "$site" && measure /usr/bin/mkdocs build -q -d "$out/mk-$pages") || exit 1
    set -- $result
    mk_size=$(du -sb "$out/mk-$pages" | awk '{ printf "%.1f", $1 / 1e6 }')
    printf "$row" "$pages" "$lines" "$gr_cpu" "$gr_sys" "$gr_wall" "$rss" "$gr_size" "$gr_rate" \
        "$1" "$2" "$3" "$mk_size" \
        "$(awk "BEGIN { printf \"%.0f\", $pages / $1 }")" \
        "$(awk "BEGIN { printf \"%.0fx\", $1 / ($gr_cpu > 0 ? $gr_cpu : 0.01) }")" \
        "$(awk "BEGIN { printf \"%.0fx\", $2 / ($gr_wall > 0 ? $gr_wall : 0.01) }")"
done
settle=0
clear_outputs
echo "load average at end: $(cut -d ' ' -f 1-3 /proc/loadavg)"
