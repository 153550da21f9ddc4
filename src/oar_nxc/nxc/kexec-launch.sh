#!/bin/sh
# oar-nxc: the ssh command nxc start is given for the machines of a kexec flavour (g5k-nfs-store, g5k-ramdisk).
#
# nxc start (nixos-compose 0.7.11, one_ssh_kexec) runs, through a shell, once per machine, one after the other,
# waiting for each:
#     <its ssh command> [user@]IP "screen -dm bash -c \" ... kexec_scripts/kexec.sh\""
# then sleeps 10 s and waits for the machines' port 22. oar_nxc.nxc.start gives it, as its ssh command,
#     sh <this file> DIR PARALLEL <the ssh command it would have used>
# which starts that same command in the background, in a session of its own, and returns at once: the machines'
# launches overlap, at most PARALLEL at a time (flock on one of PARALLEL slot files), instead of one ssh after
# the other. Launch N leaves in DIR: N.argv (the command, one word a line) and N.pid (its session) at once,
# N.out (its output) and N.rc (its exit status) when it ends. oar_nxc.nxc.start waits for every N.rc after
# nxc start ends, reports a failed launch, and stops those still running at its timeout.
set -eu
dir=$1
parallel=$2
shift 2
count() { # the number of existing launches (nxc runs this once at a time: no race)
  [ -e "$1" ] && echo $# || echo 0
}
n=$(count "$dir"/*.pid)
printf '%s\n' "$@" >"$dir/$n.argv"
# shellcheck disable=SC2016 # the inner script's variables are its own
setsid flock "$dir/slot.$((n % parallel))" \
  sh -c '"$@" </dev/null >"$0.out" 2>&1 && rc=0 || rc=$?; echo "$rc" >"$0.rc.tmp" && mv "$0.rc.tmp" "$0.rc"' \
  "$dir/$n" "$@" </dev/null >/dev/null 2>&1 &
echo $! >"$dir/$n.pid"
