#!/bin/sh
# The testbed's job script, in the spirit of `nxc helper g5k_script`: write the unique
# host list to stdout (OAR.<id>.stdout), then hold the reservation. On Grid'5000 the nxc
# script also pushes the user's key to the nodes' root account; here root's key is the
# testbed's own, so there is nothing to push.
uniq "$OAR_NODEFILE"
exec sleep "${DURATION:-1h}"
