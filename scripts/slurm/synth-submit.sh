#!/bin/bash
# Submit a sharded `gra synth` on Slurm: the first array pass and its merge.
#   scripts/slurm/synth-submit.sh CONFIG RUN_DIR SHARDS
# RUN_DIR must be on a filesystem every node sees. Progress: squeue; the
# merge job's log says "complete" when RUN_DIR/datasets/ is final.
set -euo pipefail
if [ $# -ne 3 ]; then
    echo "usage: $0 CONFIG RUN_DIR SHARDS" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
export GRA_CONFIG=$(realpath "$1") GRA_RUN=$(realpath -m "$2") GRA_SHARDS=$3 GRA_SCRIPTS="$here"
export GRA_BIN=${GRA_BIN:-$(command -v gra || echo gra)}
mkdir -p "$GRA_RUN"
# validate the config before anything is queued (exit 3 names the field)
"$GRA_BIN" synth "$GRA_CONFIG" --check
arr=$(sbatch --parsable --array=0-$((GRA_SHARDS - 1)) --export=ALL "$here/synth-array.sbatch")
sbatch --dependency=afterany:"$arr" --export=ALL "$here/synth-merge.sbatch"
echo "submitted array $arr ($GRA_SHARDS shards) and its merge"
