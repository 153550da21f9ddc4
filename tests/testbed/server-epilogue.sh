#!/bin/sh
# The testbed's OAR 2.5 server epilogue: a fault knob for tests, never part of the product.
#
# OAR runs this (SERVER_EPILOGUE_EXEC_FILE, as the oar user, with the job's id) when a job's command
# has ended, before its finishing sequence cleans the job's nodes over ssh. With no hold file it
# returns at once. While $FAULTS/hold-server-epilogue exists, it writes $FAULTS/held-<job> and waits
# (at most 45 s, under OAR's 60 s SERVER_PROLOGUE_EPILOGUE_TIMEOUT) for the hold file to go: a test
# can then change the world between "the job's command ran on every node" and "OAR cleans the nodes"
# (tests/integration/test_pipeline.py cuts a machine off there), with no race on the command's length.
FAULTS=$(dirname "$0")/faults   # testbed.sh copies this script into its state directory, beside faults/
hold=$FAULTS/hold-server-epilogue
[ -e "$hold" ] || exit 0
case "${1:-}" in '' | *[!0-9]*) exit 0 ;; esac
: > "$FAULTS/held-$1"
i=0
while [ -e "$hold" ] && [ "$i" -lt 450 ]; do
  sleep 0.1
  i=$((i + 1))
done
exit 0
