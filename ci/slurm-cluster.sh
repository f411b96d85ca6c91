#!/usr/bin/env bash
# Bring up / tear down a real single-node SLURM test cluster on a Debian host
# (as root, without systemd or Docker): munged -> mariadbd -> slurmdbd ->
# slurmctld -> slurmd, all started by hand and tracked by PID files.
#
# Usage: ci/slurm-cluster.sh up|down|status
#
# Environment:
#   LS_SLURM_STATE    state directory (default /var/lib/lottery-slurm-test)
#   LS_SLURM_TIMEOUT  seconds to wait for each daemon's probe (default 60)
#
# Exit status:
#   0  success (status: every daemon up)
#   1  failure (status: some daemon down)
#   2  usage error
#   3  this machine cannot host the cluster (not root, no apt-get, packages
#      cannot be installed); tests treat this as "skip"
#   4  refused: /etc/slurm/slurm.conf (or slurmdbd.conf) exists and was not
#      written by this script, or it belongs to another running test cluster
#
# Fixed names the pipeline's SLURM profile can rely on:
#   cluster "lstest", partition "debug" (default), account "testacct" (user root).
set -o errexit -o nounset -o pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"

STATE="${LS_SLURM_STATE:-/var/lib/lottery-slurm-test}"
TIMEOUT="${LS_SLURM_TIMEOUT:-60}"

CLUSTER=lstest
PARTITION=debug
ACCOUNT=testacct
DB_NAME=slurm_acct_db
DB_USER=slurm
MARKER="LOTTERY-SCALING-SLURM-TEST-CLUSTER"   # header marker of files we write
SLURM_CONF=/etc/slurm/slurm.conf
SLURMDBD_CONF=/etc/slurm/slurmdbd.conf
PACKAGES=(slurm-wlm slurmdbd munge mariadb-server mariadb-client)
DAEMONS=(munged mariadbd slurmdbd slurmctld slurmd)   # start order

MUNGE_KEY_DIR="$STATE/munge-key"
MUNGE_KEY="$MUNGE_KEY_DIR/munge.key"
MUNGE_RUN="$STATE/munge-run"
MUNGE_SOCKET="$MUNGE_RUN/munge.socket"
DB_DIR="$STATE/mariadb"
DB_SOCKET="$STATE/run/mariadb.sock"
PID_DIR="$STATE/pids"       # PIDs recorded by this script
RUN_DIR="$STATE/run"        # daemons' own pid files and sockets
LOG_DIR="$STATE/log"
PORTS_FILE="$STATE/ports.env"
DB_PASS_FILE="$STATE/db-password"

log() { printf '[slurm-cluster] %s\n' "$*" >&2; }
die() { local rc="$1"; shift; printf '[slurm-cluster] ERROR: %s\n' "$*" >&2; exit "$rc"; }
skip() { printf '[slurm-cluster] SKIP: %s\n' "$*" >&2; exit 3; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- processes

pid_file() { echo "$PID_DIR/$1.pid"; }

# True if process $1 exists and is not a zombie (PID 1 may reap late).
proc_alive() {
    local st
    st="$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null || true)"
    [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

# Print the recorded PID of daemon $1 if that process is alive and is the
# expected program (guards against PID reuse); fail otherwise.
live_pid() {
    local name="$1" f pid comm
    f="$(pid_file "$name")"
    [[ -r "$f" ]] || return 1
    pid="$(tr -dc '0-9' <"$f")"
    [[ -n "$pid" ]] || return 1
    proc_alive "$pid" || return 1
    comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    [[ "$comm" == "$name" ]] || return 1
    echo "$pid"
}

# Start a daemon in the foreground of its own session, detached from our
# stdin/stdout/stderr, and record its PID.
declare -A LOG_OFFSET=()
spawn() {
    local name="$1"; shift
    local out="$LOG_DIR/$name.out" f
    : >"$out"
    for f in $(log_files "$name"); do   # show_logs prints only this run's lines
        LOG_OFFSET["$f"]="$(stat -c %s "$f" 2>/dev/null || echo 0)"
    done
    # 9>&-: the daemon must not inherit (and so hold forever) our lock on fd 9.
    setsid "$@" </dev/null >>"$out" 2>&1 9>&- &
    echo "$!" >"$(pid_file "$name")"
}

log_files() {
    case "$1" in
        munged)    echo "$LOG_DIR/munged.log $LOG_DIR/munged.out" ;;
        mariadbd)  echo "$LOG_DIR/mariadbd.err $LOG_DIR/mariadbd.out" ;;
        *)         echo "$LOG_DIR/$1.log $LOG_DIR/$1.out" ;;
    esac
}

show_logs() {
    local f off
    for f in $(log_files "$1"); do
        off="${LOG_OFFSET[$f]:-0}"
        if [[ -s "$f" ]] && (( $(stat -c %s "$f") > off )); then
            printf -- '----- last lines of %s -----\n' "$f" >&2
            tail -c "+$(( off + 1 ))" "$f" | tail -n 25 >&2
        fi
    done
}

# ------------------------------------------------------------------- probes

slurm_node() { awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^NodeName=/) { sub(/^NodeName=/, "", $i); print $i; exit } }' "$SLURM_CONF" 2>/dev/null; }

probe_munged() {
    munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1
}
probe_mariadbd() {
    mariadb-admin --no-defaults --socket="$DB_SOCKET" --user=root \
        --connect-timeout=2 ping >/dev/null 2>&1
}
probe_slurmdbd() {
    timeout 10 sacctmgr -n -P list cluster format=cluster >/dev/null 2>&1
}
probe_slurmctld() {
    timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'
}
node_state() {
    local node; node="$(slurm_node)"
    [[ -n "$node" ]] || return 1
    timeout 10 sinfo -h -n "$node" -o '%t' 2>/dev/null | head -n 1
}
# "up" for a running cluster: node reachable and usable (may be busy).
probe_slurmd() {
    case "$(node_state)" in
        idle|mix|alloc|comp|completing|mixed|allocated) return 0 ;;
        *) return 1 ;;
    esac
}
# What we wait for right after starting slurmd: this slurmd has registered
# (SlurmdStartTime is not older than its start) and the node is usable: idle,
# or busy with jobs that slurmctld recovered from its saved state.
SLURMD_SPAWNED=0
probe_slurmd_fresh() {
    local started
    probe_slurmd || return 1
    started="$(timeout 10 scontrol show node "$(slurm_node)" 2>/dev/null \
        | sed -n 's/.*SlurmdStartTime=\([^ ]*\).*/\1/p')"
    [[ "$started" == [0-9]* ]] || return 1
    (( $(date -d "$started" +%s) >= SLURMD_SPAWNED - 1 ))
}

daemon_up() { live_pid "$1" >/dev/null && "probe_$1"; }

# Wait until probe $2 passes for daemon $1; die with its log tail otherwise.
wait_for() {
    local name="$1" probe="$2" t0 deadline pid
    t0="$(now)"; deadline=$(( $(date +%s) + TIMEOUT ))
    pid="$(cat "$(pid_file "$name")")"
    while :; do
        if ! proc_alive "$pid"; then
            show_logs "$name"
            die 1 "$name (pid $pid) exited during start-up (see log above)"
        fi
        # Probe only once the forked shell has become the daemon (exec done).
        if live_pid "$name" >/dev/null && "$probe"; then
            log "$name is up (pid $pid, $(elapsed "$t0") s)"
            return 0
        fi
        if (( $(date +%s) >= deadline )); then
            show_logs "$name"
            die 1 "$name did not pass its probe ($probe) within ${TIMEOUT}s (see log above)"
        fi
        sleep 0.2
    done
}

# ------------------------------------------------------------- stop daemons

STOPPED_PIDS=()
stop_daemon() {
    local name="$1" pid i
    if pid="$(live_pid "$name")"; then
        log "stopping $name (pid $pid)"
        STOPPED_PIDS+=("$pid")
        kill -TERM "$pid" 2>/dev/null || true
        for (( i = 0; i < 300; i++ )); do   # up to 30 s
            proc_alive "$pid" || break
            sleep 0.1
        done
        if proc_alive "$pid"; then
            log "WARNING: $name (pid $pid) ignored SIGTERM for 30 s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            for (( i = 0; i < 50; i++ )); do
                proc_alive "$pid" || break
                sleep 0.1
            done
        fi
    fi
    rm -f "$(pid_file "$name")"
}

# Exited daemons stay zombies until PID 1 reaps them (late on some hosts);
# give it a few seconds so that `ps` right after `down` is clean.
wait_reaped() {
    local pid i left
    for (( i = 0; i < 50; i++ )); do
        left=0
        for pid in "$@"; do
            if [[ -e "/proc/$pid" ]]; then left=1; fi
        done
        (( left )) || return 0
        sleep 0.1
    done
    return 0
}

# Cancel every job of the test cluster while slurmctld and slurmd still run,
# so that slurmd ends the jobs' slurmstepd processes.
cancel_jobs() {
    local i
    live_pid slurmctld >/dev/null && live_pid slurmd >/dev/null || return 0
    [[ -n "$(timeout 10 squeue -h -o %i 2>/dev/null)" ]] || return 0
    log "cancelling the test cluster's jobs"
    timeout 10 squeue -h -o %i 2>/dev/null | xargs -r timeout 10 scancel >/dev/null 2>&1 || true
    for (( i = 0; i < 60; i++ )); do   # up to 30 s
        [[ -z "$(timeout 10 squeue -h -t PD,R,S,CG,CF -o %i 2>/dev/null)" ]] && return 0
        sleep 0.5
    done
    log "WARNING: some jobs were still listed 30 s after cancelling them"
}

# PIDs of all descendants of process $1.
descendants() {
    ps -e -o pid=,ppid= | awk -v root="$1" '
        { parent[$1] = $2 }
        END {
            want[root] = 1
            do {
                added = 0
                for (p in parent) if (!(p in want) && (parent[p] in want)) { want[p] = 1; added = 1 }
            } while (added)
            for (p in want) if (p != root) print p
        }'
}

# slurmstepd processes left behind by our slurmd (after a crash of slurmd, or
# if cancelling failed): they hold our slurmd log open and ignore SIGTERM.
reap_stepds() {
    local d pid
    for d in /proc/[0-9]*; do
        pid="${d#/proc/}"
        [[ "$(cat "$d/comm" 2>/dev/null)" == slurmstepd ]] && proc_alive "$pid" || continue
        find "$d/fd" -maxdepth 1 -lname "$LOG_DIR/slurmd.log" 2>/dev/null | grep -q . || continue
        log "WARNING: killing left-over slurmstepd (pid $pid) and its job processes: $(tr '\0' ' ' <"$d/cmdline" 2>/dev/null)"
        kill -KILL "$pid" $(descendants "$pid") 2>/dev/null || true
    done
}

# Stop daemons with start index >= $1, in reverse start order.
stop_from() {
    local from="$1" i
    for (( i = ${#DAEMONS[@]} - 1; i >= from; i-- )); do
        stop_daemon "${DAEMONS[$i]}"
    done
}

# ----------------------------------------------------------- install / host

need_root() {
    [[ "$(id -u)" == 0 ]] || skip "must run as root to install and start SLURM daemons"
}

missing_packages() {
    local p st
    for p in "${PACKAGES[@]}"; do
        st="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
        [[ "$st" == "install ok installed" ]] || echo "$p"
    done
}

POLICY=/usr/sbin/policy-rc.d
POLICY_CREATED=0
POLICY_BACKUP=""
restore_policy() {
    if [[ "$POLICY_CREATED" == 1 ]]; then
        rm -f "$POLICY"
        if [[ -n "$POLICY_BACKUP" ]]; then mv -f "$POLICY_BACKUP" "$POLICY"; fi
        POLICY_CREATED=0
    fi
}

install_packages() {
    local missing t0
    if ! command -v dpkg-query >/dev/null 2>&1; then
        command -v apt-get >/dev/null 2>&1 || skip "apt-get is not available (not a Debian-like system)"
    fi
    mapfile -t missing < <(missing_packages)
    (( ${#missing[@]} == 0 )) && return 0
    command -v apt-get >/dev/null 2>&1 || skip "apt-get is not available to install: ${missing[*]}"
    t0="$(now)"
    log "installing ${missing[*]} with apt-get"
    # Keep Debian's maintainer scripts from starting the daemons: we start them
    # ourselves. An existing policy-rc.d that already denies is left alone.
    if [[ -x "$POLICY" ]] && { "$POLICY" munge start >/dev/null 2>&1; [[ $? == 101 ]]; }; then
        :
    else
        if [[ -e "$POLICY" ]]; then
            POLICY_BACKUP="$POLICY.lottery-slurm-backup"
            mv -f "$POLICY" "$POLICY_BACKUP"
        fi
        POLICY_CREATED=1
        printf '#!/bin/sh\n# temporary, by %s\nexit 101\n' "$0" >"$POLICY"
        chmod 755 "$POLICY"
    fi
    trap restore_policy EXIT
    local aptlog="/tmp/lottery-slurm-apt.$$.log"
    if ! DEBIAN_FRONTEND=noninteractive apt-get update >"$aptlog" 2>&1 \
        || ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
                -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
                "${missing[@]}" >>"$aptlog" 2>&1; then
        tail -n 20 "$aptlog" >&2
        restore_policy
        skip "apt-get could not install ${missing[*]} (log: $aptlog)"
    fi
    rm -f "$aptlog"
    restore_policy
    trap - EXIT
    log "packages installed in $(elapsed "$t0") s"
}

ensure_hostname() {
    local h; h="$(hostname -s 2>/dev/null || hostname)"
    if ! getent hosts "$h" >/dev/null 2>&1; then
        log "host name $h does not resolve; adding it to /etc/hosts"
        printf '127.0.0.1\t%s\t# added by lottery-scaling ci/slurm-cluster.sh\n' "$h" >>/etc/hosts
    fi
}

# ------------------------------------------------------------------- config

# Refuse (exit 4) if the SLURM config files are someone else's, or ours but
# for another state directory whose daemons are running.
check_config_ownership() {
    local f other
    for f in "$SLURM_CONF" "$SLURMDBD_CONF"; do
        [[ -e "$f" ]] || continue
        if ! head -n 3 "$f" | grep -q "$MARKER"; then
            die 4 "$f exists and was not written by $0; refusing to overwrite it (move it away to use the test cluster)"
        fi
        other="$(sed -n 's/^# state-dir: //p' "$f" | head -n 1)"
        if [[ -n "$other" && "$other" != "$STATE" ]] \
            && LS_SLURM_STATE="$other" "$0" status >/dev/null 2>&1; then
            die 4 "$f belongs to a running test cluster with state dir $other; run 'LS_SLURM_STATE=$other $0 down' first"
        fi
    done
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Print the first free TCP port at or above $1 not listed in the rest.
free_port() {
    local p="$1"; shift
    while :; do
        if ! port_busy "$p" && [[ " $* " != *" $p "* ]]; then echo "$p"; return; fi
        p=$(( p + 1 ))
        (( p < 65000 )) || die 1 "no free TCP port found"
    done
}

DB_PORT=""; CTLD_PORT=""; SLURMD_PORT=""; DBD_PORT=""
load_ports() {
    if [[ -r "$PORTS_FILE" ]]; then
        # shellcheck disable=SC1090
        source "$PORTS_FILE"
    fi
}
save_ports() {
    printf 'DB_PORT=%s\nCTLD_PORT=%s\nSLURMD_PORT=%s\nDBD_PORT=%s\n' \
        "$DB_PORT" "$CTLD_PORT" "$SLURMD_PORT" "$DBD_PORT" >"$PORTS_FILE"
}

make_dirs() {
    mkdir -p "$STATE"
    chmod 755 "$STATE"
    mkdir -p "$PID_DIR" "$RUN_DIR" "$LOG_DIR" "$STATE/slurmctld" "$STATE/slurmd" "$MUNGE_RUN"
    chmod 755 "$PID_DIR" "$RUN_DIR" "$LOG_DIR" "$MUNGE_RUN"   # socket dir needs o+x
    chmod 700 "$STATE/slurmctld" "$STATE/slurmd"
    mkdir -p "$MUNGE_KEY_DIR"
    chmod 700 "$MUNGE_KEY_DIR"
    if [[ ! -s "$MUNGE_KEY" ]]; then
        log "creating munge key"
        (umask 077; dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none)
    fi
    chmod 600 "$MUNGE_KEY"
    if [[ ! -s "$DB_PASS_FILE" ]]; then
        (umask 077; od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$DB_PASS_FILE")
    fi
    chmod 600 "$DB_PASS_FILE"
}

# Node line from `slurmd -C`, with some memory kept back for the OS and the
# daemons so that jobs ask for what the machine really has.
node_line() {
    local line mem keep
    line="$(slurmd -C 2>/dev/null | head -n 1)"
    [[ "$line" == NodeName=* ]] || die 1 "'slurmd -C' did not print a node line: $line"
    mem="$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$line")"
    [[ -n "$mem" ]] || die 1 "no RealMemory in 'slurmd -C' output: $line"
    keep=$(( mem / 10 )); (( keep > 2048 )) && keep=2048; (( keep < 256 )) && keep=256
    (( mem - keep >= 256 )) || keep=0
    sed "s/RealMemory=[0-9]*/RealMemory=$(( mem - keep ))/" <<<"$line"
}

write_configs() {
    local node host pass tmp
    node="$(node_line)"
    host="$(hostname -s 2>/dev/null || hostname)"
    pass="$(cat "$DB_PASS_FILE")"
    mkdir -p /etc/slurm

    tmp="$(mktemp /etc/slurm/.slurm.conf.XXXXXX)"
    cat >"$tmp" <<EOF
# $MARKER: written by lottery-scaling ci/slurm-cluster.sh; it may overwrite this file.
# state-dir: $STATE
# A single-node test cluster. Do not edit by hand: 'ci/slurm-cluster.sh up' rewrites it.
ClusterName=$CLUSTER
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
ReturnToService=2
MinJobAge=300
EnforcePartLimits=ALL
InactiveLimit=0
KillWait=10
SlurmctldTimeout=30
SlurmdTimeout=60
Waittime=0
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
AccountingStoragePass=$MUNGE_SOCKET
AccountingStorageEnforce=associations
$node State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    chmod 644 "$tmp"
    mv -f "$tmp" "$SLURM_CONF"

    tmp="$(mktemp /etc/slurm/.slurmdbd.conf.XXXXXX)"
    cat >"$tmp" <<EOF
# $MARKER: written by lottery-scaling ci/slurm-cluster.sh; it may overwrite this file.
# state-dir: $STATE
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=root
LogFile=$LOG_DIR/slurmdbd.log
PidFile=$RUN_DIR/slurmdbd.pid
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=$DB_USER
StoragePass=$pass
StorageLoc=$DB_NAME
EOF
    chmod 600 "$tmp"
    mv -f "$tmp" "$SLURMDBD_CONF"
}

# ------------------------------------------------------------ start daemons

start_munged() {
    spawn munged munged --foreground --key-file="$MUNGE_KEY" --socket="$MUNGE_SOCKET" \
        --pid-file="$RUN_DIR/munged.pid" --log-file="$LOG_DIR/munged.log" \
        --seed-file="$STATE/munge.seed"
    wait_for munged probe_munged
}

mariadb_sql() {
    mariadb --no-defaults --socket="$DB_SOCKET" --user=root --batch "$@"
}

start_mariadbd() {
    if [[ ! -d "$DB_DIR/mysql" ]]; then
        log "initialising MariaDB data directory $DB_DIR"
        rm -rf "$DB_DIR"; mkdir -p "$DB_DIR"
        if ! mariadb-install-db --no-defaults --datadir="$DB_DIR" --user=root \
                --auth-root-authentication-method=socket --skip-test-db \
                >"$LOG_DIR/mariadb-install-db.log" 2>&1; then
            tail -n 25 "$LOG_DIR/mariadb-install-db.log" >&2
            rm -rf "$DB_DIR"
            die 1 "mariadb-install-db failed (log: $LOG_DIR/mariadb-install-db.log)"
        fi
    fi
    if [[ -z "$DB_PORT" ]] || port_busy "$DB_PORT"; then
        DB_PORT="$(free_port 33306)"
    fi
    save_ports
    rm -f "$DB_SOCKET"
    # 1024M buffer pool: below that slurmdbd logs "Database settings not
    # recommended values"; the pool is only touched as it fills (~120 MB RSS).
    spawn mariadbd mariadbd --no-defaults --user=root --datadir="$DB_DIR" \
        --bind-address=127.0.0.1 --port="$DB_PORT" --socket="$DB_SOCKET" \
        --pid-file="$RUN_DIR/mariadbd.pid" --log-error="$LOG_DIR/mariadbd.err" \
        --skip-name-resolve --innodb-buffer-pool-size=1024M \
        --innodb-log-file-size=64M --innodb-lock-wait-timeout=900
    wait_for mariadbd probe_mariadbd
    local pass; pass="$(cat "$DB_PASS_FILE")"
    mariadb_sql <<EOF
CREATE DATABASE IF NOT EXISTS $DB_NAME;
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$pass';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$pass';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$pass';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
EOF
}

# Pick the SLURM ports and write slurm.conf + slurmdbd.conf. Only called when
# none of the SLURM daemons runs, so nothing depends on the old values.
configure_slurm() {
    [[ -n "$DBD_PORT" ]] && ! port_busy "$DBD_PORT" || DBD_PORT="$(free_port 6819 "$DB_PORT")"
    [[ -n "$CTLD_PORT" ]] && ! port_busy "$CTLD_PORT" && [[ "$CTLD_PORT" != "$DBD_PORT" ]] \
        || CTLD_PORT="$(free_port 6817 "$DB_PORT" "$DBD_PORT")"
    [[ -n "$SLURMD_PORT" ]] && ! port_busy "$SLURMD_PORT" \
        && [[ "$SLURMD_PORT" != "$DBD_PORT" && "$SLURMD_PORT" != "$CTLD_PORT" ]] \
        || SLURMD_PORT="$(free_port 6818 "$DB_PORT" "$DBD_PORT" "$CTLD_PORT")"
    save_ports
    write_configs
    log "wrote $SLURM_CONF and $SLURMDBD_CONF (slurmctld:$CTLD_PORT slurmd:$SLURMD_PORT slurmdbd:$DBD_PORT mariadb:$DB_PORT)"
}

start_slurmdbd() {
    configure_slurm
    spawn slurmdbd slurmdbd -D
    wait_for slurmdbd probe_slurmdbd
    register_accounts
}

# Cluster, account testacct and user root in the accounting database.
register_accounts() {
    if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
        sacctmgr -i add cluster "$CLUSTER" >/dev/null
    fi
    if ! sacctmgr -n -P list account format=account | grep -qx "$ACCOUNT"; then
        sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" \
            Description="lottery-scaling tests" Organization=lottery-scaling >/dev/null
    fi
    if ! sacctmgr -n -P list assoc cluster="$CLUSTER" user=root format=account | grep -qx "$ACCOUNT"; then
        sacctmgr -i add user root Account="$ACCOUNT" Cluster="$CLUSTER" >/dev/null
    fi
    log "accounting: cluster $CLUSTER, account $ACCOUNT with user root"
}

start_slurmctld() {
    spawn slurmctld slurmctld -D
    wait_for slurmctld probe_slurmctld
}

start_slurmd() {
    SLURMD_SPAWNED="$(date +%s)"
    spawn slurmd slurmd -D
    wait_for slurmd probe_slurmd_fresh
    local state; state="$(node_state)"
    [[ "$state" == idle ]] || log "node $(slurm_node) is $state: busy with jobs recovered from the saved state"
}

# ---------------------------------------------------------------- commands

# Index of the first daemon (in start order) that is not up; n if all are.
first_down() {
    local i
    for (( i = 0; i < ${#DAEMONS[@]}; i++ )); do
        daemon_up "${DAEMONS[$i]}" || { echo "$i"; return; }
    done
    echo "${#DAEMONS[@]}"
}

cmd_up() {
    local t0 from i
    t0="$(now)"
    need_root
    check_config_ownership
    mkdir -p "$STATE"
    exec 9>"$STATE/lock"
    flock -w 120 9 || die 1 "could not lock $STATE/lock"
    install_packages
    ensure_hostname
    make_dirs
    load_ports

    from="$(first_down)"
    if (( from == ${#DAEMONS[@]} )); then
        log "already up: all of ${DAEMONS[*]} pass their probes; nothing to do"
        return 0
    fi
    # Restart everything from the first daemon that is down, so that ports and
    # configuration stay consistent along the chain.
    stop_from "$from"
    for (( i = from; i < ${#DAEMONS[@]}; i++ )); do
        "start_${DAEMONS[$i]}"
    done
    log "cluster $CLUSTER is up: partition $PARTITION, account $ACCOUNT, node $(slurm_node) ($(elapsed "$t0") s)"
}

cmd_down() {
    local t0; t0="$(now)"
    [[ "$(id -u)" == 0 ]] || die 1 "must run as root"
    if [[ ! -d "$PID_DIR" ]]; then
        log "nothing to stop (no $PID_DIR)"
        return 0
    fi
    exec 9>"$STATE/lock"
    flock -w 120 9 || die 1 "could not lock $STATE/lock"
    cancel_jobs
    stop_from 0
    reap_stepds
    (( ${#STOPPED_PIDS[@]} == 0 )) || wait_reaped "${STOPPED_PIDS[@]}"
    log "down ($(elapsed "$t0") s)"
}

cmd_status() {
    local name pid all=0
    for name in "${DAEMONS[@]}"; do
        if pid="$(live_pid "$name")"; then
            if "probe_$name"; then
                printf '%-10s up    (pid %s)\n' "$name" "$pid"
            else
                printf '%-10s DOWN  (pid %s running, probe failed)\n' "$name" "$pid"; all=1
            fi
        else
            printf '%-10s DOWN\n' "$name"; all=1
        fi
    done
    return "$all"
}

case "${1:-}" in
    up)     cmd_up ;;
    down)   cmd_down ;;
    status) cmd_status ;;
    *)      echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
