#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run libFuzzer harnesses one after the other: run-fuzz.sh FUZZB SECONDS NAME...
# Each FUZZB/fuzz_NAME runs SECONDS seconds over FUZZB/corpus/NAME (kept
# between runs) seeded from FUZZB/seeds/NAME, with a per-input timeout and a
# memory limit; crashes, leaks, timeouts and sanitizer reports end it with a
# nonzero status and leave the input in FUZZB/artifacts/NAME/. Prints one
# line per harness ("FUZZ NAME: N executions in S s, ok|FAILED") and fails
# if any harness failed.
set -uo pipefail

fb=${1:?usage: run-fuzz.sh FUZZB SECONDS NAME...}
secs=${2:?usage: run-fuzz.sh FUZZB SECONDS NAME...}
shift 2
failed=0
for name in "$@"; do
    bin="$fb/fuzz_$name"
    corpus="$fb/corpus/$name"
    art="$fb/artifacts/$name/"
    log="$fb/fuzz_$name.log"
    mkdir -p "$corpus" "$art"
    seeds=()
    [ -d "$fb/seeds/$name" ] && seeds=("$fb/seeds/$name")
    case $name in
        part) maxlen=131072 ;;
        fat) maxlen=1048576 ;;
        iso9660) maxlen=1048576 ;;
        ext) maxlen=1048576 ;;
        ntfs) maxlen=1100000 ;;
        vdisk) maxlen=2200000 ;;
        shell) maxlen=1100 ;;
        *) maxlen=65536 ;;
    esac
    echo "  FUZZ    $name for ${secs} s (log: $log)"
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$maxlen" \
        -print_final_stats=1 -artifact_prefix="$art" "$corpus" "${seeds[@]}" > "$log" 2>&1 &
    pid=$!
    # Progress: the newest status line every 10 seconds.
    while kill -0 "$pid" 2>/dev/null; do
        sleep 10
        line=$(grep -a -E '^#[0-9]+' "$log" | tail -n 1 | cut -c1-100)
        [ -n "$line" ] && echo "          $name: $line"
    done
    wait "$pid"
    rc=$?
    execs=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    if [ "$rc" -eq 0 ]; then
        echo "FUZZ $name: ${execs:-?} executions in $secs s, ok"
    else
        failed=1
        echo "FUZZ $name: ${execs:-?} executions, FAILED (exit $rc); input in $art"
        grep -a -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 8
    fi
done
exit $failed
