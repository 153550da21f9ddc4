# shellcheck shell=bash
# shellcheck disable=SC2034,SC2153  # sourced by testbed.sh: OAR3_PACKAGES is for it, API_PORT is its own
# OAR 3 for the local testbed, from an OAR developer's checkout (sourced by testbed.sh when
# TESTBED_OAR_SRC is set; never on the product's path).
#
#   TESTBED_OAR_SRC=<checkout dir or .tar.gz of one> tests/testbed/testbed.sh up
#
# Everything is OAR 3's own, installed from that source, as upstream's NixOS module
# (oar-team/nur-kapack, services.oar) lays it out, without systemd:
#   - $O3/src: a copy of the checkout (the checkout itself is only read); $O3/venv: a virtual
#     environment of the testbed's own (Debian's python3) with OAR 3's Python dependencies from
#     PyPI (its pyproject.toml, through oar3_requirements.py) and OAR 3 built from $O3/src;
#   - $O3/etc (OARCONFDIR): oar.conf made from the checkout's oar/tools/oar.conf.in, the node
#     sshd_config from oar/tools/sshd_config.in, the job resource manager and admission rules;
#   - $O3/lib (OARDIR): the daemons (oar-almighty and the modules it runs), oarsh_shell, .oarsh,
#     sentinelle.pl and oardodo (compiled from oardodo.c.in, setuid root, group oar);
#   - $O3/bin: the user commands, each an oardo wrapper compiled from oardo.c.in (setuid, runs
#     the command as oar with OARDO_USER set), linked from /usr/local/bin so that they come before
#     any OAR 2.5 of Debian's in /usr/bin. `down` removes exactly the links it made;
#   - the database: created by OAR 3's own `oar-database` (setup/database, installed as its
#     database.mk does; its Python `oar-database-manage` fails to import at c332316a: "cannot
#     import name 'config' from 'oar.lib'"), resources added with
#     the checkout's oar_resources_add and `oarnodesetting`;
#   - the server: oar-almighty as oar (it starts the appendice proxy, bipbip commander and greta),
#     in a session of its own; stopped by its process group;
#   - the REST API: the checkout's setup/uvicorn/main.py.in served by uvicorn as oar on
#     127.0.0.1:$API3_PORT, behind Apache at http://$NET.1:$API_PORT/api/ (OAR 3's own
#     setup/apache2 recipe: ProxyPass); its auth is OAR 3's JWT (a token from `oarsub -T`);
#     /api-priv/ adds basic auth as the NixOS module does;
#   - the nodes: OAR's node sshd on :6667 in each node namespace, for the oar user, whose login
#     shell becomes OAR 3's oarsh_shell (restored by down).
# The dev loop: the reboot stand-in (standin/nxc-standin-kexec-ssh) reinstalls OAR 3 from a setup
# variant's src through `testbed.sh redeploy-oar3 <checkout>` (oar3_redeploy), then the server and
# the API restart on it.

O3=/var/lib/oar-testbed
O3_LIB=$O3/lib
O3_ETC=$O3/etc
O3_BIN=$O3/bin
API3_PORT=6669
OAR3_COMMANDS=(oarsub oarstat oardel oarhold oarresume oarnodes oarnotify oarqueue oarconnect oarremoveresource
               oarnodesetting oaraccounting oarproperty oarwalltime)
# perl and its DBI modules: oarexec, the job resource manager, sentinelle.pl and OAR 3's oar-database
OAR3_PACKAGES=(openssh-server postgresql nmap perl libdbi-perl libdbd-pg-perl libsort-versions-perl libterm-ui-perl
               gcc libc6-dev python3-venv apache2 apache2-utils rsync taktuk)
OAR_HOME=/var/lib/oar

o3_env() { # the environment the OAR 3 daemons and tools run with: as systemd's User=oar gives it, USER and
  # LOGNAME included (OAR 3's frag_job reads $USER: without it, a besteffort job to kill crashes kao in a loop)
  echo "OARDIR=$O3_LIB" "OARCONFFILE=$O3_ETC/oar.conf" "PATH=$O3_LIB:$O3_BIN:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
       "HOME=$OAR_HOME" "USER=oar" "LOGNAME=oar" "PYTHONUNBUFFERED=1"
}

# The checkout: a directory (copied, never written) or a tarball (unpacked). Prints the root of the
# copy, the directory with pyproject.toml and oar/__init__.py.
oar3_fetch_src() { # src dest
  local src=$1 dest=$2 root
  [ -e "$src" ] || die "TESTBED_OAR_SRC: no such file or directory: $src"
  rm -rf "$dest.new"; mkdir -p "$dest.new"
  if [ -d "$src" ]; then
    rsync -a --delete --exclude .git --exclude '__pycache__' --exclude build --exclude '*.egg-info' \
      "$src/" "$dest.new/"
  elif [ -f "$src" ]; then
    tar -xzf "$src" -C "$dest.new" 2>"$LOG/oar3-untar.log" || die "TESTBED_OAR_SRC: $src is not a .tar.gz ($(head -c 300 "$LOG/oar3-untar.log"))"
  else
    die "TESTBED_OAR_SRC: $src is neither a directory nor a file"
  fi
  root=$(find "$dest.new" -maxdepth 2 -name pyproject.toml -printf '%h\n' | while read -r d; do
           [ -f "$d/oar/__init__.py" ] && echo "$d" && break; done)
  [ -n "$root" ] || { rm -rf "$dest.new"; die "TESTBED_OAR_SRC: $src holds no OAR 3 checkout (no pyproject.toml beside oar/__init__.py)"; }
  rm -rf "$dest"; mv "$root" "$dest"; rm -rf "$dest.new"
}

# A digest of the source and of this script, to rebuild only when either changed
oar3_digest() { { (cd "$1" && find . -type f -not -path './build/*' -not -path '*.egg-info/*' -not -name '*.pyc' -print0 \
                   | LC_ALL=C sort -z | xargs -0 sha256sum); sha256sum < "$HERE/oar3.sh"; } | sha256sum | cut -c1-16; }

subst() { # in out mode: the checkout's %%NAME%% placeholders, as its Makefiles fill them
  sed -e "s|%%OARDIR%%|$O3_LIB|g" -e "s|%%OARCONFDIR%%|$O3_ETC|g" -e "s|%%OARHOMEDIR%%|$OAR_HOME|g" \
      -e "s|%%OAROWNER%%|oar|g" -e "s|%%OAROWNERGROUP%%|oar|g" -e "s|%%ROOTUSER%%|root|g" \
      -e "s|%%XAUTHCMDPATH%%|/usr/bin/xauth|g" -e "s|%%BINDIR%%|$O3_BIN|g" -e "s|%%SBINDIR%%|$O3_BIN|g" \
      -e "s|%%LOGDIR%%|$LOG|g" -e "s|%%SHAREDIR%%|$O3/share|g" \
      -e "s|%%OARDOPATH%%|$O3_LIB:$O3_BIN:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin|g" \
      -e "s|%%RESTAPI_ROOTPATH%%|/api|g" -e "s|%%RESTAPI_PORT%%|$API3_PORT|g" "$1" > "$2"
  chmod "$3" "$2"
}

# OAR 3 from $O3/src into $O3/venv, its tools and wrappers; returns 0 when something was (re)built
oar3_build() {
  local s=$O3/src digest cmd
  digest=$(oar3_digest "$s")
  if [ "$(cat "$O3/installed-digest" 2>/dev/null)" = "$digest" ] && [ -x "$O3/venv/bin/oar-almighty" ]; then
    return 1
  fi
  [ -x "$O3/venv/bin/python" ] || /usr/bin/python3 -m venv "$O3/venv"
  python3 "$HERE/oar3_requirements.py" "$s/pyproject.toml" > "$O3/requirements.txt" || die "cannot read $s/pyproject.toml"
  local pinned=()   # the versions of the checkout's poetry.lock, when it has one
  if [ -f "$s/poetry.lock" ]; then
    python3 "$HERE/oar3_requirements.py" --lock "$s/poetry.lock" > "$O3/constraints.txt" || die "cannot read $s/poetry.lock"
    pinned=(-c "$O3/constraints.txt")
  fi
  log "   pip install OAR 3's dependencies ($(wc -l < "$O3/requirements.txt") from its pyproject.toml${pinned:+, pinned by its poetry.lock})"
  "$O3/venv/bin/pip" install -q --disable-pip-version-check -r "$O3/requirements.txt" "${pinned[@]}" > "$LOG/oar3-pip.log" 2>&1 \
    || die "pip install of OAR 3's dependencies failed: $(tail -5 "$LOG/oar3-pip.log")"
  log "   pip install OAR 3 from $s"
  "$O3/venv/bin/pip" install -q --disable-pip-version-check --no-deps --force-reinstall "$s" >> "$LOG/oar3-pip.log" 2>&1 \
    || die "pip install of OAR 3 from $s failed: $(tail -5 "$LOG/oar3-pip.log")"

  mkdir -p "$O3_LIB/oardodo" "$O3_ETC" "$O3_BIN" "$O3/share" "$O3/build"
  # OARDIR: the daemons Almighty runs by path, and OAR's node-side tools
  for cmd in "$O3"/venv/bin/oar-* "$O3"/venv/bin/kao "$O3"/venv/bin/kamelot*; do ln -sfn "$cmd" "$O3_LIB/"; done
  subst "$s/oar/tools/oarsh/oarsh_shell.in" "$O3_LIB/oarsh_shell" 755
  subst "$s/oar/tools/oarsh/oarsh.in" "$O3_LIB/.oarsh" 755
  install -m 755 "$s/oar/tools/sentinelle.pl" "$O3_LIB/sentinelle.pl"
  # the database tool and its SQL, as the checkout's Makefiles/database.mk installs them
  mkdir -p "$O3_LIB/database"; cp -f "$s"/setup/database/*.sql "$O3_LIB/database/"
  subst "$s/setup/database/oar-database.in" "$O3_BIN/oar-database" 755
  subst "$s/oar/tools/oardodo.c.in" "$O3/build/oardodo.c" 644
  gcc -Wall -O2 -o "$O3_LIB/oardodo/oardodo" "$O3/build/oardodo.c" > "$LOG/oar3-gcc.log" 2>&1 \
    || die "gcc oardodo.c failed: $(tail -5 "$LOG/oar3-gcc.log")"
  chown root:oar "$O3_LIB/oardodo/oardodo"; chmod 4750 "$O3_LIB/oardodo/oardodo"
  # the user commands: oardo wrappers (setuid root, they become oar and set OARDO_USER)
  for cmd in "${OAR3_COMMANDS[@]}" oarsh; do
    local target="$O3/venv/bin/.$cmd"
    [ "$cmd" = oarsh ] && target="$O3_LIB/.oarsh"
    subst "$s/oar/tools/oardo.c.in" "$O3/build/$cmd.c" 644
    sed -i "s|TT/usr/local/oar/oarsub|$target|" "$O3/build/$cmd.c"
    gcc -Wall -O2 -o "$O3_BIN/$cmd" "$O3/build/$cmd.c" >> "$LOG/oar3-gcc.log" 2>&1 || die "gcc oardo.c ($cmd) failed"
    chown root:oar "$O3_BIN/$cmd"; chmod 4755 "$O3_BIN/$cmd"
  done
  echo "$digest" > "$O3/installed-digest"
  return 0
}

# oar.conf from the checkout's template, with the testbed's settings (DB on the bridge, no cgroups)
oar3_config() {
  local c=$O3_ETC/oar.conf s=$O3/src
  [ -f "$O3/api-secret" ] || { (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$O3/api-secret"); }
  subst "$s/oar/tools/oar.conf.in" "$c.new" 600
  sed -i -e 's/^DB_HOSTNAME=.*/DB_HOSTNAME="oar-server"/' -e 's/^DB_BASE_PASSWD=.*/DB_BASE_PASSWD="oar"/' \
         -e 's/^DB_BASE_PASSWD_RO=.*/DB_BASE_PASSWD_RO="oar_ro"/' -e 's/^SERVER_HOSTNAME=.*/SERVER_HOSTNAME="oar-server"/' \
         -e '/^CPUSET_PATH=/d' -e '/^API_SECRET_KEY=/d' -e '/^JOB_RESOURCE_MANAGER_FILE=/d' \
         -e '/^SCHEDULER_MIN_TIME_BETWEEN_2_CALLS=/d' -e '/^TAKTUK_CMD=/d' \
         -e '/^OPENSSH_CMD=/d' -e '/^OARSH_OPENSSH_DEFAULT_OPTIONS=/d' -e '/^LOG_FILE=/d' "$c.new"
  {
    echo "$MARK: the testbed's own settings"
    echo "LOG_FILE=\"$LOG/oar3.log\""
    echo "JOB_RESOURCE_MANAGER_FILE=\"$O3_ETC/job_resource_manager_cgroups.pl\""
    echo "ADMISSION_RULES_PATH=\"$O3_ETC/admission_rules.d/\""
    echo "API_SECRET_KEY=\"$(cat "$O3/api-secret")\""
    echo 'SCHEDULER_MIN_TIME_BETWEEN_2_CALLS="0"'
    echo "# the OAR 3 nodes' host key, known from the start (not ~oar/.ssh/known_hosts: an OAR 2.5 testbed"
    echo "# that ran before left its nodes' other key there, and oarsh then failed: host key changed)"
    echo "OPENSSH_CMD=\"/usr/bin/ssh -p 6667 -oUserKnownHostsFile=$O3_ETC/oar_known_hosts\""
    echo "OARSH_OPENSSH_DEFAULT_OPTIONS=\"-oProxyCommand=none -oPermitLocalCommand=no -oUserKnownHostsFile=$O3_ETC/oar_known_hosts\""
    echo '# bipbip runs the job resource manager on the nodes through taktuk only (as the NixOS module sets it)'
    echo 'TAKTUK_CMD="/usr/bin/taktuk -t 30 -s"'
    echo '# no cgroups: the nodes share one kernel (bipbip needs the key, empty)'
    echo 'CPUSET_PATH=""'
  } >> "$c.new"
  chown oar:oar "$c.new"; mv "$c.new" "$c"
  # OAR 3's job resource manager (cgroups), with the one testbed change: an empty cpuset_path is
  # no cpuset at all. All nodes share this machine's kernel and cgroup tree, so no cgroup may be
  # made per node. OAR 2.5 said so with CPUSET_PATH left unset, but OAR 3's bipbip requires the key
  # (KeyError 'CPUSET_PATH') and hands the script '' for "", which it takes as a cgroup to create.
  # shellcheck disable=SC2016  # a sed script with Perl in it: nothing to expand
  sed '/^\$Cpuset = eval(\$tmp);$/a delete($Cpuset->{cpuset_path}) if (defined($Cpuset->{cpuset_path}) and $Cpuset->{cpuset_path} eq "");  # oar-testbed: no cgroups' \
    "$s/oar/tools/job_resource_manager_cgroups.pl" > "$O3_ETC/job_resource_manager_cgroups.pl"
  grep -q 'oar-testbed: no cgroups' "$O3_ETC/job_resource_manager_cgroups.pl" \
    || die "$s/oar/tools/job_resource_manager_cgroups.pl: no '\$Cpuset = eval(\$tmp);' line to follow with the testbed's no-cgroup line"
  chmod 644 "$O3_ETC/job_resource_manager_cgroups.pl"
  rm -rf "$O3_ETC/admission_rules.d"; cp -r "$s/etc/oar/admission_rules.d" "$O3_ETC/"
  subst "$s/oar/tools/sshd_config.in" "$O3_ETC/sshd_config" 644
  [ -f "$O3_ETC/oar_ssh_host_rsa_key" ] || ssh-keygen -q -t rsa -b 2048 -N '' -f "$O3_ETC/oar_ssh_host_rsa_key" -C oar-node
  echo "[$PREFIX*]:6667,[$NET.*]:6667 $(cut -d' ' -f1-2 "$O3_ETC/oar_ssh_host_rsa_key.pub")" > "$O3_ETC/oar_known_hosts"
  chmod 644 "$O3_ETC/oar_known_hosts"
  touch "$LOG/oar3.log"; chown oar:oar "$LOG/oar3.log"
}

# the oar user: OAR 3's login shell (oarsh_shell) and ssh keys; what was there before is restored by down
oar3_user() {
  if getent passwd oar >/dev/null && [ -d "$OAR_HOME" ] && [ ! -f "$ST/oar-home.before" ]; then
    ls -A "$OAR_HOME" > "$ST/oar-home.before"   # OAR 3 writes its runtime files there: down removes the new ones
  fi
  if ! getent passwd oar >/dev/null; then
    groupadd -r oar 2>/dev/null || true
    # password '*', not useradd's locked '!': sshd (UsePAM no) refuses a locked account
    useradd -r -g oar -d "$OAR_HOME" -m -s "$O3_LIB/oarsh_shell" -p '*' oar
    touch "$ST/created-oar-user"
  else
    [ -f "$ST/oar-shell.orig" ] || getent passwd oar | cut -d: -f7 > "$ST/oar-shell.orig"
    [ "$(getent passwd oar | cut -d: -f7)" = "$O3_LIB/oarsh_shell" ] || usermod -s "$O3_LIB/oarsh_shell" oar
    local pw
    pw=$(getent shadow oar | cut -d: -f2)
    if [ "${pw:0:1}" = "!" ] && [ ! -f "$ST/oar-password.orig" ]; then   # locked: the node sshd would refuse oar
      (umask 077; printf '%s\n' "$pw" > "$ST/oar-password.orig")
      usermod -p '*' oar
    fi
  fi
  mkdir -p "$OAR_HOME"; chown oar:oar "$OAR_HOME"
  if [ ! -f "$OAR_HOME/.ssh/id_rsa" ]; then
    mkdir -p "$OAR_HOME/.ssh"
    ssh-keygen -t rsa -q -f "$OAR_HOME/.ssh/id_rsa" -N ''
    { echo -n 'environment="OAR_KEY=1" '; cat "$OAR_HOME/.ssh/id_rsa.pub"; } > "$OAR_HOME/.ssh/authorized_keys"
    printf '%s\n' "Host *" "ForwardX11 no" "StrictHostKeyChecking no" "PasswordAuthentication no" "AddressFamily inet" \
      > "$OAR_HOME/.ssh/config"
    chown -R oar:oar "$OAR_HOME/.ssh"; chmod 700 "$OAR_HOME/.ssh"; chmod 600 "$OAR_HOME/.ssh/id_rsa"
    touch "$ST/created-oar-ssh"
  fi
}

# /usr/local/bin/<command> -> $O3/bin/<command>; never over a file that is not the testbed's
oar3_links() {
  local cmd l
  for cmd in "${OAR3_COMMANDS[@]}" oarsh; do
    l=/usr/local/bin/$cmd
    if [ -e "$l" ] || [ -L "$l" ]; then
      [ "$(readlink "$l")" = "$O3_BIN/$cmd" ] && continue
      die "$l exists and is not the testbed's: refusing to shadow it (remove it, or bring the testbed up without TESTBED_OAR_SRC)"
    fi
    ln -s "$O3_BIN/$cmd" "$l"
    echo "$l" >> "$ST/oar3-links"
  done
}

# shellcheck disable=SC2046  # o3_env prints NAME=value words, split on purpose
o3() { env -i $(o3_env) "$@"; }   # an OAR 3 tool as root, with OAR 3's environment

oar3_database() {
  # what is there already: oarnodes answers once the database exists (OAR 3's `oar-database
  # --check` cannot tell: it calls OAR 2.5's Perl library, "Undefined subroutine
  # &OAR::IO::connect_ro_one_log"), and lists the resources once they are added
  local nodes
  if nodes=$(o3 "$O3_BIN/oarnodes" -J 2>/dev/null); then
    grep -q '"network_address"' <<< "$nodes" && return 0
  else
    o3 "$O3_BIN/oar-database" --create --db-is-local -y --conf "$O3_ETC/oar.conf" > "$LOG/oar-database.log" 2>&1 \
      || die "oar-database --create failed: $(tail -5 "$LOG/oar-database.log")"
  fi
  bash "$O3/src/oar/tools/oar_resources_add" -H "$N" -C 1 -c 2 --host-prefix "$PREFIX" --host0 1 > "$ST/resources.sh"
  o3 bash "$ST/resources.sh" > "$LOG/resources.log" 2>&1 || die "adding the resources failed: $(tail -5 "$LOG/resources.log")"
  { o3 "$O3_BIN/oarproperty" -a cluster -c && o3 "$O3_BIN/oarproperty" -a cpumodel -c && o3 "$O3_BIN/oarproperty" -a memnode
    o3 "$O3_BIN/oarnodesetting" --sql "true" -p memnode=2048
    o3 "$O3_BIN/oarnodesetting" --sql "mod(cast(substr(host, ${#PREFIX} + 1) as integer), 2) = 1" -p cluster=alpha \
      -p "cpumodel=Testbed CPU A"
    o3 "$O3_BIN/oarnodesetting" --sql "mod(cast(substr(host, ${#PREFIX} + 1) as integer), 2) = 0" -p cluster=beta \
      -p "cpumodel=Testbed CPU B"; } >> "$LOG/resources.log" 2>&1 || die "setting the resources' properties failed: $(tail -5 "$LOG/resources.log")"
}

as_oar_daemon() { # pidfile log command...: in a session of its own, as oar, with OAR 3's environment
  local pidfile=$1 logf=$2; shift 2
  # shellcheck disable=SC2046  # o3_env prints NAME=value words, split on purpose
  setsid env -i $(o3_env) setpriv --reuid=oar --regid=oar --init-groups "$@" >> "$logf" 2>&1 < /dev/null &
  echo $! > "$pidfile"
}

stop_group() { # pidfile: the process group it leads (setsid), TERM then KILL
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  # a leader that runs but started after the file was written: its pid was reused (a restart), not ours
  if kill -0 "$pid" 2>/dev/null && ! alive "$1"; then rm -f "$1"; return 0; fi
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$1"
}

oar3_server() {
  alive "$ST/oar3-almighty.pid" && return 0
  as_oar_daemon "$ST/oar3-almighty.pid" "$LOG/oar3-almighty.log" "$O3_LIB/oar-almighty"
  for _ in $(seq 1 100); do ss -ltn | grep -q ':6666 ' && return 0; alive "$ST/oar3-almighty.pid" || break; sleep 0.1; done
  die "oar-almighty did not listen on :6666: $(tail -5 "$LOG/oar3-almighty.log" "$LOG/oar3.log" 2>/dev/null)"
}

oar3_api() {
  subst "$O3/src/setup/uvicorn/main.py.in" "$O3/share/main.py" 644
  if ! alive "$ST/oar3-api.pid"; then
    as_oar_daemon "$ST/oar3-api.pid" "$LOG/oar3-api.log" "$O3/venv/bin/uvicorn" --app-dir "$O3/share" main:app \
      --host 127.0.0.1 --port "$API3_PORT"
  fi
  write_apache_config 3
  alive "$ST/apache.pid" || /usr/sbin/apache2 -f "$ST/apache/httpd.conf" -k start
  for _ in $(seq 1 100); do
    ss -ltn | grep -q "127.0.0.1:$API3_PORT " && ss -ltn | grep -q "$NET.1:$API_PORT " && return 0
    alive "$ST/oar3-api.pid" || break; sleep 0.1
  done
  die "the OAR 3 API did not come up: $(tail -5 "$LOG/oar3-api.log")"
}

oar3_node_sshd() { # ns ip
  alive "$ST/oar-sshd-$1.pid" || ip netns exec "$1" unshare --uts sh -c \
    "hostname $1; exec /usr/sbin/sshd $SSHD_OPTS -f '$O3_ETC/sshd_config' -o PidFile=$ST/oar-sshd-$1.pid -o ListenAddress=$2 -E '$LOG/oar-sshd-$1.log'"
}

# Everything OAR 3 needs before the nodes' sshd start
oar3_install() {
  local src=$1
  mkdir -p "$O3"; chmod 755 "$O3"
  echo "$src" > "$ST/oar3-src"   # the source of the last up (status names it)
  getent group oar >/dev/null || { groupadd -r oar; touch "$ST/created-oar-group"; }
  log "   OAR 3 source from $src"
  oar3_fetch_src "$src" "$O3/src"
  oar3_build || log "   OAR 3 already built from this source ($(cat "$O3/installed-digest"))"
  oar3_user
  oar3_config
  oar3_links
}

# The dev loop's stand-in (standin/nxc-standin-kexec-ssh): a new source onto the machines,
# then the server and the API restarted on it. Prints "unchanged" or "deployed <digest>".
oar3_redeploy() {
  local src=$1
  oar3_fetch_src "$src" "$O3/src"
  if oar3_build; then
    oar3_config
    stop_group "$ST/oar3-almighty.pid"; stop_group "$ST/oar3-api.pid"
    oar3_server; oar3_api
    echo "deployed $(cat "$O3/installed-digest")"
  else
    echo "unchanged $(cat "$O3/installed-digest")"
  fi
}

oar3_down() {
  local l
  stop_group "$ST/oar3-almighty.pid"
  stop_group "$ST/oar3-api.pid"
  if [ -f "$ST/oar3-links" ]; then
    while read -r l; do [ "$(readlink "$l")" = "$O3_BIN/${l##*/}" ] && rm -f "$l"; done < "$ST/oar3-links"
  fi
  if pg_ctlcluster 15 main status >/dev/null 2>&1; then
    su - postgres -c "psql -q -c 'DROP DATABASE IF EXISTS oar' -c 'DROP ROLE IF EXISTS oar_ro' -c 'DROP ROLE IF EXISTS oar'" \
      >/dev/null 2>&1 || true
  fi
  if [ -f "$ST/created-oar-user" ]; then
    userdel oar 2>/dev/null || true; rm -rf "$OAR_HOME"
  else
    [ -f "$ST/oar-shell.orig" ] && usermod -s "$(cat "$ST/oar-shell.orig")" oar
    [ -f "$ST/oar-password.orig" ] && usermod -p "$(cat "$ST/oar-password.orig")" oar
    [ -f "$ST/created-oar-ssh" ] && rm -rf "$OAR_HOME/.ssh"
    if [ -f "$ST/oar-home.before" ]; then   # the runtime files of OAR 3's jobs (nodefiles, oarexec pids...)
      local entry
      # shellcheck disable=SC2012  # names compared line by line with the list made the same way at up
      while IFS= read -r entry; do
        [ -n "$entry" ] && rm -rf -- "${OAR_HOME:?}/$entry"
      done < <(ls -A "$OAR_HOME" | LC_ALL=C sort | LC_ALL=C comm -23 - <(LC_ALL=C sort "$ST/oar-home.before"))
    fi
  fi
  [ -f "$ST/created-oar-group" ] && { groupdel oar 2>/dev/null || true; }   # userdel may have removed it
  rm -rf "$O3"
  return 0
}
