#!/usr/bin/env bash
# The local OAR testbed: a real OAR 2.5 cluster (Debian packages) on one machine.
#
#   tests/testbed/testbed.sh up      # install what is missing, then bring everything up (idempotent)
#   tests/testbed/testbed.sh down    # remove everything `up` added, restore the files it edited
#   tests/testbed/testbed.sh status
#
# Layout (N nodes, default 4, TESTBED_NODES=N to change, up to 200):
#   bridge oarbr0 10.213.0.1/24 in the root namespace = the OAR server, PostgreSQL and the
#   frontend (sshd on 10.213.0.1:22, names oar-server / oar-frontend);
#   oarnode1..N = network namespaces at 10.213.0.(10+i), each with its own hostname (UTS
#   namespace), a private /etc/nxc (/etc/netns/oarnodeI/nxc bound over it), a root sshd on :22
#   and OAR's node sshd on :6667. OAR 2.5's REST API (Debian's oar-restful-api, a Perl CGI) is
#   served by Apache, started directly with the testbed's own config, on $NET.1:6668:
#   /oarapi (public) and /oarapi-priv (basic auth as oartest; password in $ST/api-password, 0600). Root's home on a node is its own, empty ($ST/node-root bound
#   over /root for the node's sshd), as on a real machine: this machine's /root/.bashrc (pyenv
#   init, about 0.12 s of CPU) would otherwise run before every command sent to a node over ssh.
# No default route in the nodes and net.ipv4.ip_forward is never touched: nothing leaves the machine.
# Root logs in with the testbed's own key ($ST/id_ed25519), known_hosts is $ST/known_hosts.
# The normal user `oartest` submits jobs. Needs root; no systemd: daemons are started directly.
#
# Fault knob for tests (OAR 2.5): OAR's server epilogue is tests/testbed/server-epilogue.sh (copied to
# $ST/server-epilogue). It returns at once, unless a test holds the end of jobs ($ST/faults/
# hold-server-epilogue): then each job that ends waits there, after its command and before OAR cleans its
# machines, so that a test can cut a machine off at that point (tests/testbed/oar_testbed.py hold_job_ends).
#
# OAR 3: TESTBED_OAR_SRC=<an OAR 3 checkout, or a .tar.gz of one> brings up the same nodes, names
# and addresses with OAR 3 installed from that source instead (tests/testbed/oar3.sh says how);
# its REST API is at http://$NET.1:6668/api/. `up` with the other OAR than the one that is up takes
# the testbed down first. Without TESTBED_OAR_SRC it is OAR 2.5 from Debian, as above.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

N=${TESTBED_NODES:-4}
NET=10.213.0
BR=oarbr0
PREFIX=oarnode
ST=/run/oar-testbed                # state: keys, known_hosts, pidfiles, backups
LOG=${TESTBED_LOG:-/tmp/oar-testbed}
USER_NAME=oartest
OAR_CONF=/etc/oar/oar.conf
PGC=/etc/postgresql/15/main
PACKAGES=(openssh-server postgresql oar-server oar-server-pgsql oar-user oar-user-pgsql oar-node nmap oar-restful-api)
API_PORT=6668
MARK="# oar-testbed"
OAR_SRC=${TESTBED_OAR_SRC:-}
GEN=2.5; [ -n "$OAR_SRC" ] && GEN=3

t0=${EPOCHREALTIME/./}
log() { local us=$(( ${EPOCHREALTIME/./} - t0 )); printf '[testbed %3d.%02ds] %s\n' $((us / 1000000)) $((us % 1000000 / 10000)) "$*"; }
die() { echo "testbed: $*" >&2; exit 1; }
# shellcheck source=tests/testbed/pidfile.sh
. "$HERE/pidfile.sh"
node_ip() { echo "$NET.$((10 + $1))"; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, sshd, PostgreSQL)"
# shellcheck disable=SC2015  # die runs when any test fails, which is the point
[[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le 200 ] || die "TESTBED_NODES must be 1..200, not '$N'"
if [ -n "$OAR_SRC" ]; then
  OAR_SRC=$(realpath -m -- "$OAR_SRC")
  [ -e "$OAR_SRC" ] || die "TESTBED_OAR_SRC: no such file or directory: $OAR_SRC"
fi
# shellcheck source=tests/testbed/oar3.sh
. "$HERE/oar3.sh"

install_packages() {
  local missing=() pkg
  [ "$GEN" = 3 ] && PACKAGES=("${OAR3_PACKAGES[@]}")
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  log "apt-get install ${missing[*]}"
  local policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then   # never let a package start a daemon
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; policy_added=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $policy_added = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# Every sshd of the testbed (the frontend's, each node's root :22 and OAR :6667) runs without re-executing itself
# for each connection (sshd -r, OpenSSH 9.2), and offers the curve25519 key exchange only. On this machine a
# re-exec costs 11 ms of CPU a connection against 1 ms without (100 banners, 2026-12-06), and OpenSSH's default
# exchange (sntrup761x25519) 130 ms of the ssh client's CPU against 15 ms. On Grid'5000 each node does its part
# on its own cores; here 128 nodes share this machine's 2 with the clients, OAR's oarsh to each node included:
# OAR alone took 73 to 81 s for the smoke checks' jobs at 128 machines before, 45 to 46 s after. The testbed is
# on a private bridge of this machine only (the re-exec re-randomizes each connection's address space, a defence
# it does not need).
SSHD_OPTS="-r -o KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org"

write_sshd_config() { # file ip hostkey pidfile
  printf '%s\n' "Port 22" "ListenAddress $2" "HostKey $3" "PidFile $4" \
    "PermitRootLogin prohibit-password" "AuthorizedKeysFile .ssh/authorized_keys $ST/authorized_keys" \
    "PasswordAuthentication no" "KbdInteractiveAuthentication no" "UsePAM no" "PrintMotd no" \
    "PrintLastLog no" "UseDNS no" "AcceptEnv LANG LC_*" "Subsystem sftp /usr/lib/openssh/sftp-server" > "$1"
}

host_key() { # dir name -> known_hosts line tail
  [ -f "$1/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$1/ssh_host_ed25519_key" -C "$2"
  cut -d' ' -f1-2 "$1/ssh_host_ed25519_key.pub"
}

# OAR's server (Almighty and its children), also when its pidfile's process is gone but children
# still hold port 6666: a new Almighty would then exit at once ("Cannot open server socket") while
# `up` saw the old listener and went on, and jobs stayed Waiting. Those children are found by the
# port they hold (the pids the kernel lists for the listener), never by their name.
stop_almighty() {
  local pid pgid
  if alive /var/run/oar-server.pid; then
    pid=$(cat /var/run/oar-server.pid); pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ' || true)
    # shellcheck disable=SC2015  # no group, or kill fails: nothing to stop either way
    [ -n "$pgid" ] && kill -TERM -- "-$pgid" 2>/dev/null || true
  fi
  rm -f /var/run/oar-server.pid
  local sig
  for sig in TERM KILL; do  # TERM, then KILL to what still holds the port after 10 s
    almighty_listeners | xargs -r kill "-$sig" 2>/dev/null || true
    for _ in $(seq 1 50); do almighty_listeners | grep -q . || return 0; sleep 0.2; done
  done
}

# the pids of the processes that hold OAR's server port 6666, one a line (from ss, which the kernel answers)
almighty_listeners() {
  ss -ltnpH 'sport = :6666' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u
}

# OAR's recipe for its API behind Apache (/usr/share/oar/oar-api/apache2.conf), self-contained:
# the CGI runs as oar; /oarapi-priv hands it the user Apache authenticated (X_REMOTE_IDENT in its
# environment: Apache drops request headers with underscores before CGI).
write_apache_config() { # [3]: OAR 3's API (a proxy to uvicorn) instead of OAR 2.5's CGI
  local d=$ST/apache m=/usr/lib/apache2/modules mod gen=${1:-2.5}
  mkdir -p "$d"
  [ -f "$ST/api-password" ] || { (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$ST/api-password"); }
  chmod 600 "$ST/api-password"
  htpasswd -b -c -B "$d/api-users" "$USER_NAME" "$(cat "$ST/api-password")" 2>/dev/null
  chown oar:oar "$d/api-users"; chmod 600 "$d/api-users"
  {
    echo "ServerName oar-server"
    echo "Listen $NET.1:$API_PORT"
    echo "PidFile $ST/apache.pid"
    echo "DefaultRuntimeDir $d"
    echo "ErrorLog $LOG/apache-error.log"
    echo "User oar"
    echo "Group oar"
    for mod in mpm_prefork authz_core authz_host authn_core authn_file auth_basic authz_user alias cgi env \
               headers rewrite proxy proxy_http; do
      echo "LoadModule ${mod}_module $m/mod_$mod.so"
    done
    if [ "$gen" = 3 ]; then   # OAR 3's setup/apache2 recipe; /api-priv as the NixOS module has it
      cat <<CONF
RedirectMatch ^/api$ /api/
ProxyPass /api/ http://127.0.0.1:$API3_PORT/
ProxyPassReverse /api/ http://127.0.0.1:$API3_PORT/
<Location /api-priv/>
  AuthType Basic
  AuthName "OAR API Authentication"
  AuthUserFile $d/api-users
  Require valid-user
  ProxyPass http://127.0.0.1:$API3_PORT/
  ProxyPassReverse http://127.0.0.1:$API3_PORT/
</Location>
CONF
    else
      cat <<CONF
ScriptAlias /oarapi-priv /usr/lib/cgi-bin/oarapi/oarapi.cgi
ScriptAlias /oarapi /usr/lib/cgi-bin/oarapi/oarapi.cgi
<Directory /usr/lib/cgi-bin/oarapi>
  Options +ExecCGI
  SetEnv OARCONFFILE /etc/oar/oar.conf
  Require all granted
</Directory>
<Location /oarapi>
  RequestHeader unset X_REMOTE_IDENT
</Location>
<Location /oarapi-priv>
  AuthType Basic
  AuthName "OAR API"
  AuthUserFile $d/api-users
  Require valid-user
  RewriteEngine On
  RewriteCond %{REMOTE_USER} (.+)
  RewriteRule .* - [E=X_REMOTE_IDENT:%1]
</Location>
CONF
    fi
  } > "$d/httpd.conf"
}

# PostgreSQL listens on the bridge too, so that oarsh and oarstat work from the nodes
postgresql() {
  log "5. PostgreSQL"
  grep -q "$MARK" "$PGC/postgresql.conf" || echo "listen_addresses = 'localhost,$NET.1'  $MARK" >> "$PGC/postgresql.conf"
  grep -q "$MARK" "$PGC/pg_hba.conf" || echo "host oar oar,oar_ro $NET.0/24 scram-sha-256  $MARK" >> "$PGC/pg_hba.conf"
  if ! pg_ctlcluster 15 main status >/dev/null 2>&1; then
    pg_ctlcluster 15 main start; touch "$ST/started-postgresql"
  elif ! ss -ltn | grep -q "$NET.1:5432"; then
    pg_ctlcluster 15 main restart
  fi
}

test_user() {
  log "9. user $USER_NAME"
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    useradd -m -s /bin/bash "$USER_NAME"; touch "$ST/created-user"
  fi
  local i
  for i in $(seq 1 "$N"); do
    for _ in $(seq 1 50); do
      ip netns exec "$PREFIX$i" bash -c "exec 3<>/dev/tcp/$(node_ip "$i")/22" 2>/dev/null && break; sleep 0.1
    done
  done
}

# OAR 3 (tests/testbed/oar3.sh), after the nodes and their sshd
up3() {
  postgresql
  log "6. OAR 3 database (its oar-database) and resources ($N nodes x 2 cores)"
  oar3_database
  log "7. OAR 3 server (oar-almighty as oar)"
  oar3_server
  log "8. OAR 3 REST API (uvicorn behind Apache) on $NET.1:$API_PORT/api/"
  oar3_api
  test_user
  log "up: $N nodes, OAR $("$O3_BIN/oarsub" -V 2>/dev/null | head -1), $(alive_resources) resources Alive"
}

alive_resources() { oarnodes -J 2>/dev/null | python3 -c 'import json,sys; d=json.loads(sys.stdin.read() or "{}"); \
  print(sum(1 for r in (d.values() if isinstance(d, dict) else d) if r.get("state") == "Alive"))' 2>/dev/null || echo 0; }

up() {
  local was
  was=$(cat "$ST/nodes" 2>/dev/null || echo "$N")
  if [ "$was" != "$N" ]; then  # another layout is up: its extra nodes and resources would stay
    log "up with $was nodes: taking it down to bring up $N"
    down
  fi
  was=$(cat "$ST/oar" 2>/dev/null || echo "$GEN")
  if [ "$was" != "$GEN" ]; then  # the other OAR is up: its daemons, database and commands would stay
    log "up with OAR $was: taking it down to bring up OAR $GEN"
    down
  fi
  install_packages
  mkdir -p "$ST" "$LOG" /run/sshd
  chmod 755 "$ST"
  echo "$N" > "$ST/nodes"
  echo "$GEN" > "$ST/oar"
  if [ "$GEN" = 3 ]; then
    log "0. OAR 3 from $OAR_SRC"
    oar3_install "$OAR_SRC"
  fi

  log "1. bridge and $N node namespaces"
  if ! ip link show "$BR" >/dev/null 2>&1; then
    ip link add "$BR" type bridge; ip addr add "$NET.1/24" dev "$BR"; ip link set "$BR" up
  fi
  [ -d /etc/nxc ] || { mkdir -p /etc/nxc; touch "$ST/created-etc-nxc"; }
  local i ns
  for i in $(seq 1 "$N"); do
    ns=$PREFIX$i
    mkdir -p "/etc/netns/$ns/nxc"
    ip netns list | grep -qw "^$ns" && continue
    ip link del "veth-$ns" 2>/dev/null || true
    ip netns add "$ns"
    ip link add "veth-$ns" type veth peer name eth0 netns "$ns"
    ip link set "veth-$ns" master "$BR" up
    ip -n "$ns" addr add "$(node_ip "$i")/24" dev eth0
    ip -n "$ns" link set lo up; ip -n "$ns" link set eth0 up
  done

  log "2. /etc/hosts"
  [ -f "$ST/hosts.orig" ] || cp -a /etc/hosts "$ST/hosts.orig"
  local block
  block=$({ echo "$MARK-begin"; echo "$NET.1 oar-server oar-frontend"
            for i in $(seq 1 "$N"); do echo "$(node_ip "$i") $PREFIX$i"; done; echo "$MARK-end"; })
  if [ "$(sed -n "/^$MARK-begin/,/^$MARK-end/p" /etc/hosts)" != "$block" ]; then
    sed -i "/^$MARK-begin/,/^$MARK-end/d" /etc/hosts
    printf '%s\n' "$block" >> /etc/hosts
  fi

  log "3. keys, known_hosts and sshd (root :22, OAR :6667)"
  [ -f "$ST/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$ST/id_ed25519" -C oar-testbed
  chmod 600 "$ST/id_ed25519"
  cp "$ST/id_ed25519.pub" "$ST/authorized_keys"; chmod 644 "$ST/authorized_keys"
  local kh="$ST/known_hosts.new" key d ip
  : > "$kh"
  d=$ST/frontend; mkdir -p "$d"; key=$(host_key "$d" oar-server)
  write_sshd_config "$d/sshd_config" "$NET.1" "$d/ssh_host_ed25519_key" "$ST/sshd-frontend.pid"
  # shellcheck disable=SC2086  # SSHD_OPTS: several words
  alive "$ST/sshd-frontend.pid" || /usr/sbin/sshd $SSHD_OPTS -f "$d/sshd_config" -E "$LOG/sshd-frontend.log"
  echo "oar-server,oar-frontend,$NET.1 $key" >> "$kh"
  mkdir -p "$ST/node-root"; chmod 700 "$ST/node-root"
  for i in $(seq 1 "$N"); do
    ns=$PREFIX$i; ip=$(node_ip "$i"); d=$ST/$ns; mkdir -p "$d"
    key=$(host_key "$d" "$ns")
    write_sshd_config "$d/sshd_config" "$ip" "$d/ssh_host_ed25519_key" "$ST/sshd-$ns.pid"
    alive "$ST/sshd-$ns.pid" || ip netns exec "$ns" unshare --uts --mount sh -c \
      "mount --bind '$ST/node-root' /root && hostname $ns && exec /usr/sbin/sshd $SSHD_OPTS -f '$d/sshd_config' -E '$LOG/sshd-$ns.log'"
    if [ "$GEN" = 3 ]; then oar3_node_sshd "$ns" "$ip"
    else alive "$ST/oar-sshd-$ns.pid" || ip netns exec "$ns" unshare --uts sh -c \
      "hostname $ns; exec /usr/sbin/sshd $SSHD_OPTS -f /etc/oar/sshd_config -o PidFile=$ST/oar-sshd-$ns.pid -o ListenAddress=$ip -E '$LOG/oar-sshd-$ns.log'"
    fi
    echo "$ns,$ip $key" >> "$kh"
  done
  mv "$kh" "$ST/known_hosts"; chmod 644 "$ST/known_hosts"

  if [ "$GEN" = 3 ]; then up3; return; fi
  log "4. oar.conf"
  [ -f "$OAR_CONF.testbed-orig" ] || cp -a "$OAR_CONF" "$OAR_CONF.testbed-orig"
  sed -i -e 's/^DB_HOSTNAME=.*/DB_HOSTNAME="oar-server"/' \
         -e 's/^DB_BASE_PASSWD=.*/DB_BASE_PASSWD="oar"/' \
         -e 's/^DB_BASE_PASSWD_RO=.*/DB_BASE_PASSWD_RO="oar_ro"/' \
         -e 's/^SERVER_HOSTNAME=.*/SERVER_HOSTNAME="oar-server"/' \
         -e 's/^CPUSET_PATH=/#&/' "$OAR_CONF"   # no cgroups: every node shares one kernel
  # the Almighty defers a scheduler call asked for sooner than this after the last one until its
  # next 10 s tick: with 5 s (the default) or 1 s, a job submitted just after another ended took
  # 13.6 s instead of 3.5 s, 1 time in 3. 0: every call runs when asked
  sed -i '/^SCHEDULER_MIN_TIME_BETWEEN_2_CALLS=/d' "$OAR_CONF"
  echo 'SCHEDULER_MIN_TIME_BETWEEN_2_CALLS="0"' >> "$OAR_CONF"
  # a fault knob for tests: a server epilogue that returns at once unless a test holds the end of
  # a job ($ST/faults/hold-server-epilogue; tests/testbed/server-epilogue.sh says how)
  install -d -o oar -g oar -m 0755 "$ST/faults"
  install -m 0755 "$HERE/server-epilogue.sh" "$ST/server-epilogue"
  sed -i '/^SERVER_EPILOGUE_EXEC_FILE=/d' "$OAR_CONF"
  echo "SERVER_EPILOGUE_EXEC_FILE=\"$ST/server-epilogue\"" >> "$OAR_CONF"

  postgresql
  log "6. OAR database and resources ($N nodes x 2 cores)"
  if ! oar-database --check >/dev/null 2>&1; then
    oar-database --create --db-is-local -y > "$LOG/oar-database.log" 2>&1
    /usr/lib/oar/oar_resources_add -H "$N" -C 1 -c 2 --host-prefix "$PREFIX" --host0 1 > "$ST/resources.sh"
    bash "$ST/resources.sh" > "$LOG/resources.log" 2>&1
    # properties as a Grid'5000 site has them (two clusters), for the inventory's oar_properties
    { oarproperty -a cluster -c && oarproperty -a cpumodel -c && oarproperty -a memnode
      oarnodesetting --sql "true" -p memnode=2048
      oarnodesetting --sql "mod(cast(substr(host, ${#PREFIX} + 1) as integer), 2) = 1" -p cluster=alpha \
        -p "cpumodel=Testbed CPU A"
      oarnodesetting --sql "mod(cast(substr(host, ${#PREFIX} + 1) as integer), 2) = 0" -p cluster=beta \
        -p "cpumodel=Testbed CPU B"; } >> "$LOG/resources.log" 2>&1
  fi

  log "7. OAR server (Almighty)"
  alive /var/run/oar-server.pid || { stop_almighty; /usr/sbin/oar-server; }
  for _ in $(seq 1 50); do ss -ltn | grep -q ':6666 ' && break; sleep 0.2; done

  log "8. OAR REST API (Apache, CGI) on $NET.1:$API_PORT"
  write_apache_config
  alive "$ST/apache.pid" || /usr/sbin/apache2 -f "$ST/apache/httpd.conf" -k start
  for _ in $(seq 1 50); do ss -ltn | grep -q "$NET.1:$API_PORT " && break; sleep 0.1; done

  test_user
  # every node's sshd is up now: a node OAR left Suspected (its network was cut by a fault test) is
  # Alive again at once, not after finaud's next pass (FINAUD_FREQUENCY, 5 min)
  local host
  for host in $(oarnodes -s 2>/dev/null | awk '/^[^ ]/ {h = $1} /: Suspected/ {print h}' | sort -u); do
    oarnodesetting -s Alive -h "$host" >> "$LOG/resources.log" 2>&1
  done
  log "up: $N nodes, $(oarnodes -s | grep -c Alive) resources Alive"
}

down() {
  local n i ns f
  n=$(cat "$ST/nodes" 2>/dev/null || echo "$N")
  local gen
  gen=$(cat "$ST/oar" 2>/dev/null || echo 2.5)
  if [ "$gen" = 3 ]; then stop_group "$ST/oar3-almighty.pid"; stop_group "$ST/oar3-api.pid"; else stop_almighty; fi
  if alive "$ST/apache.pid"; then
    kill "$(cat "$ST/apache.pid")" 2>/dev/null || true
    for f in $(seq 1 50); do alive "$ST/apache.pid" || break; sleep 0.1; done
  fi
  # the recorded nodes, and any node namespace left by an `up` with another TESTBED_NODES
  local nodes
  nodes=$( { seq 1 "$n" | sed "s/^/$PREFIX/"; ip netns list 2>/dev/null | awk '{print $1}';
             ls /etc/netns 2>/dev/null || true; } | grep -E "^${PREFIX}[0-9]+\$" | sort -u)  # none: already down
  for ns in $nodes; do
    for f in "$ST/sshd-$ns.pid" "$ST/oar-sshd-$ns.pid"; do
      if alive "$f"; then kill "$(cat "$f")" 2>/dev/null || true; fi; rm -f "$f"
    done
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true   # jobs, sessions
    ip netns del "$ns" 2>/dev/null || true
    ip link del "veth-$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
  if alive "$ST/sshd-frontend.pid"; then
    f=$(cat "$ST/sshd-frontend.pid")
    ps -o pid= --ppid "$f" | xargs -r kill 2>/dev/null || true
    kill "$f" 2>/dev/null || true
  fi
  rm -f "$ST/sshd-frontend.pid"
  ip link del "$BR" 2>/dev/null || true
  if [ -f "$ST/hosts.orig" ]; then
    if [ "$(sed "/^$MARK-begin/,/^$MARK-end/d" /etc/hosts)" = "$(cat "$ST/hosts.orig")" ]; then
      cat "$ST/hosts.orig" > /etc/hosts        # byte-identical to before `up`
    else
      sed -i "/^$MARK-begin/,/^$MARK-end/d" /etc/hosts
      echo "testbed: /etc/hosts changed outside the testbed block; only the block was removed" >&2
    fi
  fi
  if [ -d "$ST" ]; then  # an `up` ran (already down: PostgreSQL is left as it is)
    if pg_ctlcluster 15 main status >/dev/null 2>&1 || pg_ctlcluster 15 main start >/dev/null 2>&1; then
      if [ "$gen" = 3 ]; then oar3_down; else oar-database --drop --db-is-local -y >/dev/null 2>&1 || true; fi
    elif [ "$gen" = 3 ]; then
      oar3_down
    fi
    sed -i "/$MARK\$/d" "$PGC/postgresql.conf" "$PGC/pg_hba.conf" 2>/dev/null || true
    if [ -f "$ST/started-postgresql" ]; then
      pg_ctlcluster 15 main stop 2>/dev/null || true
    else
      pg_ctlcluster 15 main restart 2>/dev/null || true   # it ran before `up`: back to its own config
    fi
  fi
  [ -f "$OAR_CONF.testbed-orig" ] && mv "$OAR_CONF.testbed-orig" "$OAR_CONF"
  if [ -f "$ST/created-user" ]; then
    pkill -u "$USER_NAME" 2>/dev/null || true
    userdel -r "$USER_NAME" 2>/dev/null || true
  fi
  [ -f "$ST/created-etc-nxc" ] && rmdir /etc/nxc 2>/dev/null
  rmdir /etc/netns 2>/dev/null || true
  rm -rf "$ST"
  echo "testbed: down"
}

status() {
  local n i
  n=$(cat "$ST/nodes" 2>/dev/null || echo 0)
  echo "namespaces: $(ip netns list | grep -c "^$PREFIX" || true) (expected $n)"
  local gen
  gen=$(cat "$ST/oar" 2>/dev/null || echo 2.5)
  echo "OAR: $gen$( [ "$gen" = 3 ] && echo " from $(cat "$ST/oar3-src" 2>/dev/null)")"
  if [ "$gen" = 3 ]; then
    alive "$ST/oar3-almighty.pid" && echo "oar-almighty: running" || echo "oar-almighty: stopped"
    alive "$ST/oar3-api.pid" && alive "$ST/apache.pid" && echo "OAR REST API: http://$NET.1:$API_PORT/api/" \
      || echo "OAR REST API: stopped"
  else
    alive /var/run/oar-server.pid && echo "oar-server: running" || echo "oar-server: stopped"
    alive "$ST/apache.pid" && echo "OAR REST API: http://$NET.1:$API_PORT/oarapi/" || echo "OAR REST API: stopped"
  fi
  for i in $(seq 1 "$n"); do
    printf '%s: sshd %s, oar-sshd %s\n' "$PREFIX$i" \
      "$(alive "$ST/sshd-$PREFIX$i.pid" && echo up || echo down)" \
      "$(alive "$ST/oar-sshd-$PREFIX$i.pid" && echo up || echo down)"
  done
  echo "resources Alive: $(alive_resources)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  # the dev loop's stand-in for an image of an edited OAR 3 (tests/testbed/standin/oar3-deploy)
  redeploy-oar3)
    [ "$(cat "$ST/oar" 2>/dev/null)" = 3 ] || die "redeploy-oar3: the testbed is not up with OAR 3"
    [ -n "${2:-}" ] || die "usage: $0 redeploy-oar3 <OAR 3 checkout>"
    oar3_redeploy "$(realpath -m -- "$2")" ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
