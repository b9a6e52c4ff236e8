#!/usr/bin/env bash
# Tests the README's Slurm recipe for real: a one-node Slurm cluster on this machine (munged,
# slurmctld, slurmd), the README's job array of `starvation sweep --shard`, the README's `merge`
# submitted with `sbatch --dependency=afterok:<jobid>`, and a byte comparison of the merged
# outputs with an unsharded run.
#
#   tests/slurm/run.sh [TASKS...]     (root; default: 64 8)
#
# Each TASKS value is one job array of that many tasks over a sweep of 22 lines: 64 (the README's
# array size) covers shards without lines; 8 covers every shard holding lines. Installs slurmctld,
# slurmd, slurm-client and munge with apt-get when they are missing. Builds the release binary
# unless STARVATION_BIN names one. Everything lives in one state folder (STARVATION_SLURM_DIR,
# default /tmp/starvation-slurm), which is wiped at the start; the daemons it starts are stopped
# at exit, and the folder removed unless KEEP=1. Exit status 0 when every array's merge equals
# the unsharded run byte for byte.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
state=${STARVATION_SLURM_DIR:-/tmp/starvation-slurm}
tasks_list=("${@:-64 8}")
read -r -a tasks_list <<<"${tasks_list[*]}"
ctld_port=${STARVATION_SLURM_PORT:-16817}
host=$(hostname -s)

say() { printf '[slurm-test] %s\n' "$*"; }
die() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it starts munged, slurmctld and slurmd)"

# ── Install what is missing ────────────────────────────────────────────────────────────────
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurmctld, slurmd, slurm-client and munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# ── The binary ─────────────────────────────────────────────────────────────────────────────
bin=${STARVATION_BIN:-}
if [ -z "$bin" ]; then
    (cd "$repo" && cargo build --release --quiet)
    bin=$repo/target/release/starvation
fi
[ -x "$bin" ] || die "no binary at $bin"

# ── A clean state folder; stop daemons a previous run of this script left ──────────────────
stop_daemons() {
    for pidfile in "$state"/run/slurmd.pid "$state"/run/slurmctld.pid "$state"/munge/munged.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$pidfile"
    done
}
cleanup() {
    status=$?
    stop_daemons
    if [ "${KEEP:-0}" != 1 ]; then rm -rf "$state"; else say "kept $state"; fi
    exit $status
}
stop_daemons
rm -rf "$state"
mkdir -p "$state"/{munge,run,ctld,spool,logs,work}
chmod 700 "$state" "$state"/munge
trap cleanup EXIT

# ── munge ──────────────────────────────────────────────────────────────────────────────────
socket=$state/munge/munge.socket
dd if=/dev/urandom of="$state"/munge/munge.key bs=1024 count=1 status=none
chmod 400 "$state"/munge/munge.key
munged --force --key-file="$state"/munge/munge.key --socket="$socket" \
    --pid-file="$state"/munge/munged.pid --log-file="$state"/munge/munged.log \
    --seed-file="$state"/munge/munged.seed 2>"$state"/logs/munged.err \
    || { cat "$state"/logs/munged.err; die "munged did not start"; }
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
munge --socket="$socket" -n | unmunge --socket="$socket" >/dev/null || die "munge round trip failed"

# ── slurm.conf: one node (this host), no cgroups, no accounting ────────────────────────────
conf=$state/slurm.conf
cat >"$conf" <<CONF
ClusterName=starvation-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/logs/slurmctld.log
SlurmdLogFile=$state/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=2000 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$conf

slurmctld -f "$conf" -c -i 2>"$state"/logs/slurmctld.err || { cat "$state"/logs/slurmctld.err; die "slurmctld did not start"; }
slurmd -f "$conf" 2>"$state"/logs/slurmd.err || { cat "$state"/logs/slurmd.err; die "slurmd did not start"; }
say "waiting for node $host to be idle"
for i in $(seq 120); do
    node_state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
    [ "$node_state" = idle ] && break
    [ "$i" = 120 ] && { tail -20 "$state"/logs/slurmctld.log "$state"/logs/slurmd.log; die "node state '$node_state'"; }
    sleep 0.5
done
say "cluster up: $(sinfo -h -o '%P %a %D %t %c CPUs')"

# ── A small sweep: the README's phase diagram with 2 × 11 = 22 lines ───────────────────────
spec=$state/work/sweep_slurm.json
python_free_spec() {
    # The shipped phase-diagram spec with fewer values (sed keeps it free of other tools).
    sed -e 's/"name": "sweep_phase_diagram"/"name": "sweep_slurm"/' \
        -e 's/"count": 141/"count": 11/' -e 's/"count": 161/"count": 41/' \
        "$repo"/simulations/sweep_phase_diagram.json
}
python_free_spec >"$spec"
grep -q '"count": 11' "$spec" || die "could not derive the small spec"
"$bin" check "$spec"
reference=$state/work/unsharded
"$bin" sweep "$spec" --out "$reference" >/dev/null

# The README's array job, as written there (between "#!/bin/bash" and the closing fence).
readme_job=$(awk '/^```sh$/ {block=""; inblock=1; next} /^```$/ {if (inblock && block ~ /#SBATCH --array/) print block; inblock=0; next} inblock {block = block $0 "\n"}' "$repo"/README.md)
[ -n "$readme_job" ] || die "README.md has no Slurm job script"
readme_merge=$(awk '/^```sh$/ {inblock=1; next} /^```$/ {inblock=0; next} inblock && /^starvation merge / {print; exit}' "$repo"/README.md)
[ -n "$readme_merge" ] || die "README.md has no merge command"

failures=0
for tasks in "${tasks_list[@]}"; do
    out=$state/work/results-$tasks
    mkdir -p "$out"
    # Substitutions: the task count, 1 CPU per task (this node has 2), this binary, the small
    # spec and a results folder of its own.
    job=$(printf '%s' "$readme_job" | sed \
        -e "s|--array=1-64|--array=1-$tasks|" \
        -e "s|/64|/$tasks|" \
        -e "s|--cpus-per-task=8|--cpus-per-task=1|" \
        -e "s|^starvation |$bin |" \
        -e "s|simulations/sweep_phase_diagram.json|$spec|" \
        -e "s|--out results|--out $out|")
    merge=$(printf '%s' "$readme_merge" | sed \
        -e "s|^starvation |$bin |" \
        -e "s|simulations/sweep_phase_diagram.json|$spec|" \
        -e "s|--out results|--out $out|")
    printf '%s\n' "$job" >"$state"/work/array-$tasks.sbatch
    printf '#!/bin/bash\n#SBATCH --job-name=starvation-merge\n%s\n' "$merge" >"$state"/work/merge-$tasks.sbatch
    say "array of $tasks tasks over 22 lines:"
    sed 's/^/    /' "$state"/work/array-$tasks.sbatch
    array_id=$(sbatch --parsable --chdir="$state"/work --output="$state/logs/array-$tasks-%a.out" \
        "$state"/work/array-$tasks.sbatch)
    merge_id=$(sbatch --parsable --chdir="$state"/work --output="$state/logs/merge-$tasks.out" \
        --dependency=afterok:"$array_id" "$state"/work/merge-$tasks.sbatch)
    say "submitted array job $array_id and merge job $merge_id (afterok:$array_id)"
    t0=$(date +%s)
    while squeue -h -j "$array_id,$merge_id" 2>/dev/null | grep -q .; do
        if [ $(($(date +%s) - t0)) -gt 900 ]; then die "jobs still queued after 15 minutes"; fi
        # A merge whose dependency can never be met stays pending forever: stop waiting.
        if squeue -h -j "$merge_id" -o %r 2>/dev/null | grep -q DependencyNeverSatisfied; then
            scancel "$merge_id"; break
        fi
        sleep 1
    done
    array_states=$(scontrol show job "$array_id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
    merge_state=$(scontrol show job "$merge_id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' || echo 'JobState=?')
    say "array tasks: $array_states merge: $merge_state ($(($(date +%s) - t0)) s)"
    shards=$(find "$out" -maxdepth 1 -name 'sweep_slurm.shard-*' | wc -l)
    say "shard files: $shards of $tasks"
    if [ "$merge_state" != JobState=COMPLETED ]; then
        say "merge log:"; sed 's/^/    /' "$state/logs/merge-$tasks.out" 2>/dev/null || true
        say "FAIL ($tasks tasks): the merge did not complete"
        failures=$((failures + 1))
        continue
    fi
    same=1
    for f in "$reference"/*; do
        name=$(basename "$f")
        if cmp -s "$f" "$out/$name"; then
            say "  identical: $name"
        else
            say "  DIFFERS:   $name"; same=0
        fi
    done
    hidden=$(find "$out" -mindepth 1 -maxdepth 1 -name '.*' | wc -l)
    [ "$hidden" = 0 ] || { say "  hidden leftovers: $(ls -A "$out" | grep '^\.' | tr '\n' ' ')"; same=0; }
    if [ "$same" = 1 ]; then
        say "PASS ($tasks tasks): merged bytes equal the unsharded run"
    else
        say "FAIL ($tasks tasks): merged outputs differ from the unsharded run"
        failures=$((failures + 1))
    fi
done

[ "$failures" = 0 ] || die "$failures of ${#tasks_list[@]} arrays failed"
say "all ${#tasks_list[@]} arrays passed"
