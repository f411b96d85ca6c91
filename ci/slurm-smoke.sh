#!/usr/bin/env bash
# Smoke check of the single-node SLURM test cluster (run `ci/slurm-cluster.sh up`
# first): 1) a plain sbatch job must end COMPLETED in sacct; 2) a toy two-rule
# Snakemake workflow must finish through the SLURM executor plugin.
#
# Environment:
#   LS_SLURM_SMOKE_TIMEOUT  seconds allowed for each part (default 300)
#   LS_SLURM_KEEP           1: keep the temporary directory even on success
# Exit status: 0 both parts passed, 1 a part failed, 3 cluster script says skip.
set -o errexit -o nounset -o pipefail

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PART_TIMEOUT="${LS_SLURM_SMOKE_TIMEOUT:-300}"
PARTITION=debug
ACCOUNT=testacct

log() { printf '[slurm-smoke] %s\n' "$*" >&2; }
fail() { printf '[slurm-smoke] FAIL: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

if ! "$HERE/slurm-cluster.sh" status >&2; then
    fail "the test cluster is not up; run '$HERE/slurm-cluster.sh up' first"
fi

WORK="$(mktemp -d /tmp/lottery-slurm-smoke.XXXXXX)"
cleanup() {
    local rc=$?
    if [[ $rc == 0 && "${LS_SLURM_KEEP:-0}" != 1 ]]; then
        rm -rf "$WORK"
    else
        log "files kept in $WORK"
    fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- 1: sbatch
t0="$(now)"
cd "$WORK"
jobid="$(sbatch --parsable --wrap 'hostname' -p "$PARTITION" -A "$ACCOUNT" \
    --mem=100M --time=5 -o "$WORK/sbatch-%j.out")"
jobid="${jobid%%;*}"
log "submitted sbatch job $jobid"
deadline=$(( $(date +%s) + PART_TIMEOUT ))
state=""
while :; do
    state="$(sacct -j "$jobid" -n -X -o State%30 2>/dev/null | head -n 1 | tr -d ' ')"
    case "$state" in
        COMPLETED) break ;;
        FAILED*|CANCELLED*|TIMEOUT|OUT_OF_ME*|NODE_FAIL|BOOT_FAIL|DEADLINE|PREEMPTED)
            sacct -j "$jobid" -o JobID,State,ExitCode,Reason >&2 || true
            fail "sbatch job $jobid ended $state" ;;
    esac
    (( $(date +%s) < deadline )) || {
        squeue -j "$jobid" >&2 || true
        fail "sbatch job $jobid not COMPLETED within ${PART_TIMEOUT}s (last sacct state: '${state:-none}')"
    }
    sleep 0.5
done
sacct -j "$jobid" -n -o JobID,State,ExitCode >&2
out="$(cat "$WORK/sbatch-$jobid.out" 2>/dev/null || true)"
[[ -n "$out" ]] || fail "sbatch job $jobid wrote no output"
log "PASS sbatch: job $jobid COMPLETED on '$out' in $(elapsed "$t0") s"

# ------------------------------------------------------------- 2: snakemake
t0="$(now)"
mkdir -p "$WORK/wf"
cd "$WORK/wf"
cat >Snakefile <<'EOF'
IDS = ["1", "2"]

rule combine:
    input: expand("parts/{i}.txt", i=IDS)
    output: "combined.txt"
    shell: "cat {input} > {output}"

rule part:
    output: "parts/{i}.txt"
    shell: "echo part {wildcards.i} on $(hostname) job ${{SLURM_JOB_ID:-none}} > {output}"
EOF
log "running the toy Snakemake workflow through the SLURM executor in $WORK/wf"
set +o errexit
timeout -s INT "$PART_TIMEOUT" snakemake --executor slurm --jobs 2 \
    --default-resources "slurm_partition=$PARTITION" "slurm_account=$ACCOUNT" mem_mb=100 runtime=5 \
    --latency-wait 5 --seconds-between-status-checks 2 \
    --slurm-init-seconds-before-status-checks 2 >"$WORK/snakemake.log" 2>&1
rc=$?
set -o errexit
if [[ $rc != 0 ]]; then
    tail -n 40 "$WORK/snakemake.log" >&2
    find .snakemake/slurm_logs -type f -name '*.log' 2>/dev/null | head -n 5 | while read -r f; do
        printf -- '----- %s -----\n' "$f" >&2; tail -n 20 "$f" >&2
    done
    fail "snakemake exited with status $rc (log: $WORK/snakemake.log)"
fi
for f in parts/1.txt parts/2.txt combined.txt; do
    [[ -s "$f" ]] || fail "snakemake finished but $f is missing or empty"
done
grep -q 'job [0-9]' parts/1.txt || fail "parts/1.txt was not made inside a SLURM job: $(cat parts/1.txt)"
[[ "$(wc -l <combined.txt)" == 2 ]] || fail "combined.txt should have 2 lines: $(cat combined.txt)"
log "PASS snakemake: both rules ran as SLURM jobs in $(elapsed "$t0") s"
sed 's/^/    /' combined.txt >&2
