#!/usr/bin/env bash
# make test's phases, arranged for a small machine (the Makefile's test
# target calls this with MAKE, TEST_JOBS and the run_checks.py arguments):
#
#   1. the images the QEMU checks boot build (make test-images, TEST_JOBS at
#      a time, log in build/test-images.log, printed after) while swift test
#      builds and runs the host tests: each image is one single-threaded
#      swiftc, and the two together keep every CPU busy;
#   2. the QEMU checks run (Tests/qemu/run_checks.py, TEST_JOBS at a time);
#      running the host tests beside them instead was measured slower (the
#      checks' boots lose more than the tests gain);
#   3. one closing summary: swift test's verdict, the checks' count, the
#      wall time (also written to build/test-wall-seconds).
#
# Exits 0 only when the images built, swift test passed and every check
# passed; a failed swift test does not stop the QEMU checks.
set -uo pipefail
cd "$(dirname "$0")/.."

: "${MAKE:=make}"
: "${TEST_JOBS:=2}"
started=$(date +%s)
mkdir -p build

echo "make test: the images build (build/test-images.log) while swift test runs"
"$MAKE" -j"$TEST_JOBS" --no-print-directory test-images ${TEST_FETCH_QEMU10:+test-qemu10} \
    > build/test-images.log 2>&1 &
images=$!
swift test 2>&1 | tee build/swift-test.log
tested=${PIPESTATUS[0]}
wait "$images"
built_images=$?
cat build/test-images.log
if [ "$built_images" -ne 0 ]; then
    echo "make test: the images did not build (status $built_images)" >&2
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

MAKE_TEST_STARTED=$started python3 Tests/qemu/run_checks.py --jobs "$TEST_JOBS" "${qemu_arguments[@]}" | tee build/qemu-checks.log
checks=${PIPESTATUS[0]}

seconds=$(( $(date +%s) - started ))
echo "$seconds" > build/test-wall-seconds
xctest=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with" build/swift-test.log | tail -1 | sed 's/^[[:space:]]*//')
testing=$(grep -E "Test run with [0-9]+ tests?" build/swift-test.log | tail -1 | sed 's/^[^T]*//')
echo "make test: swift test $([ "$tested" -eq 0 ] && echo passed || echo "FAILED (status $tested)"):" \
     "XCTest: ${xctest:-no count}; Swift Testing: ${testing:-no count}"
echo "make test: QEMU checks: $(tail -1 build/qemu-checks.log)"
echo "make test: $seconds s"
[ "$tested" -eq 0 ] && [ "$checks" -eq 0 ]
