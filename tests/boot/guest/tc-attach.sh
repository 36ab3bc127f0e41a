#!/bin/sh
# Boot test, issue 15: the TC attachment layer on the guest's own kernel.
# The probes' choice as BOOT-REPORT lines, then tests/integration/
# 15-tc-attach.sh (copied with tctool into tree/), every line prefixed
# "tc-attach: ", its RESULT line also as a BOOT-REPORT line.
T=/usr/local/lib/sock464-boot/tree
r() { echo "BOOT-REPORT $*"; }
out=$("$T/build/tests/tctool" probe 2>&1)
echo "$out" | sed 's/^/tc-attach: /'
r "tc-probe $(echo "$out" | grep '^mode:')"
r "tc-probe $(echo "$out" | grep '^reason:')"
bash "$T/tests/integration/15-tc-attach.sh" >/tmp/tc-attach.out 2>&1
rc=$?
sed 's/^/tc-attach: /' /tmp/tc-attach.out
r "tc-attach: $(grep '^RESULT' /tmp/tc-attach.out | tail -n 1) exit=$rc"
exit "$rc"
