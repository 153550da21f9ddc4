# shellcheck shell=bash
# Sourced by testbed.sh (and its oar3.sh): the testbed's daemons are known by their pidfiles, never by name.
# The boot time and the clock tick, read once when sourced: alive runs for every node's two sshd.
PIDFILE_BOOT=$(awk '/^btime /{print $2}' /proc/stat)
PIDFILE_TICKS=$(getconf CLK_TCK)
# whether the process of pidfile $1 runs; a pid reused by a process started after the file was written (the
# testbed's daemons died with their container, /run kept the file) is not ours: never signalled, started again
alive() {
  local pid fields
  pid=$(cat "$1" 2>/dev/null) && [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  fields=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  read -r -a fields <<< "${fields##*) }"  # after the command name, which may hold spaces: field 22 is the 20th
  [ $((PIDFILE_BOOT + fields[19] / PIDFILE_TICKS)) -le $(($(stat -c %Y "$1") + 1)) ]
}
