#!/usr/bin/env bash
# make test's phases, arranged for a small machine (the Makefile's test
# target calls this with MAKE, TEST_JOBS and the run_checks.py arguments):
#
#   1. the images the QEMU checks boot build (make test-images, TEST_JOBS at
#      a time, log in build/test-images.log) while swift build compiles the
#      host tests;
#   2. the QEMU checks run (Tests/qemu/run_checks.py, TEST_JOBS at a time)
#      while swift test runs the host tests at the lowest CPU priority: a
#      QEMU check often waits on the emulator's timers, and the host tests
#      use that idle time instead of adding their own (their output follows
#      the checks', from build/swift-test.log);
#   3. one closing summary: swift test's verdict, the checks' count, the
#      wall time (also written to build/test-wall-seconds).
#
# Exits 0 only when the images built, swift test passed and every check passed.
set -uo pipefail
cd "$(dirname "$0")/.."

: "${MAKE:=make}"
: "${TEST_JOBS:=2}"
started=$(date +%s)
mkdir -p build

echo "make test: the images build (build/test-images.log) while swift build compiles the host tests"
"$MAKE" -j"$TEST_JOBS" --no-print-directory test-images ${TEST_FETCH_QEMU10:+test-qemu10} \
    > build/test-images.log 2>&1 &
images=$!
swift build --build-tests
built_tests=$?
wait "$images"
built_images=$?
cat build/test-images.log
if [ "$built_tests" -ne 0 ] || [ "$built_images" -ne 0 ]; then
    echo "make test: the host tests (status $built_tests) or the images (status $built_images) did not build" >&2
    exit 1
fi

qemu_arguments=("$@")
if [ -n "${TEST_FETCH_QEMU10:-}" ]; then
    if ! qemu10=$(scripts/fetch-qemu.sh); then
        echo "make test: scripts/fetch-qemu.sh could not bring QEMU 10.0 into build/qemu-10" >&2
        exit 1
    fi
    qemu_arguments+=(--qemu "$qemu10")
fi

nice -n 19 swift test --skip-build > build/swift-test.log 2>&1 &
host_tests=$!
MAKE_TEST_STARTED=$started python3 Tests/qemu/run_checks.py --jobs "$TEST_JOBS" "${qemu_arguments[@]}" | tee build/qemu-checks.log
checks=${PIPESTATUS[0]}
wait "$host_tests"
tested=$?
echo "== swift test (run beside the QEMU checks, at the lowest priority):"
cat build/swift-test.log

seconds=$(( $(date +%s) - started ))
echo "$seconds" > build/test-wall-seconds
xctest=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with" build/swift-test.log | tail -1 | sed 's/^[[:space:]]*//')
testing=$(grep -E "Test run with [0-9]+ tests?" build/swift-test.log | tail -1 | sed 's/^[^T]*//')
echo "make test: swift test $([ "$tested" -eq 0 ] && echo passed || echo "FAILED (status $tested)"):" \
     "XCTest: ${xctest:-no count}; Swift Testing: ${testing:-no count}"
echo "make test: QEMU checks: $(tail -1 build/qemu-checks.log)"
echo "make test: $seconds s"
[ "$tested" -eq 0 ] && [ "$checks" -eq 0 ]
