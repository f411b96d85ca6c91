#!/usr/bin/env bash
# The survey commands on one small set of networks, as a later workflow rule would chain them
# (issue 22; not a test). x^2, SiLU, M = 200, the paper's 50000-step schedule, 8 seeds at N = 10,
# 40, 100; N = 1000 from benchmarks/wide_lr_sweep.py --save (3 seeds, lr 0.01). About 8 CPU-minutes
# on one thread of a loaded machine.
#
#   python benchmarks/wide_lr_sweep.py --threads 1 --save OUT/sweep      # first (or skip N = 1000)
#   bash benchmarks/survey_pipeline.sh OUT
set -euo pipefail
out=${1:?usage: survey_pipeline.sh OUT_FOLDER}
mkdir -p "$out" && cd "$out"
L=lottery-scaling
python - <<'PY'
import numpy as np
from lottery_scaling.studies.lottery.networks import write_result
from lottery_scaling.studies.lottery.trainer import TrainSettings, train
for N in (10, 40, 100):
    write_result(f"N{N}.h5", train(TrainSettings("x2", "silu", N, n_train=200), np.arange(8), threads=1))
PY
widths="10 40 100"
if [ -f sweep/N1000_lr0.01.h5 ]; then cp sweep/N1000_lr0.01.h5 N1000.h5; widths="$widths 1000"; fi
for N in $widths; do
  $L survey-edgepopup --networks "N$N.h5" --keeps 0.5 --threads 1 --out "ep$N.h5" --out-table "ep$N.csv"
  $L survey-linearised --networks "N$N.h5" --threads 1 --out "lin$N.csv"
done
$L survey-imp --networks N40.h5 --sparsities 0.5 --rounds 2 --threads 1 --out imp40.h5 --out-table imp40.csv
$L survey-overlap --networks N40.h5 --masks imp40.h5 ep40.h5 --zhou --out-overlap ov40.csv --out-pairs pairs40.csv
$L survey-supermask --networks N40.h5 --out sup40.csv
manifold=(N40.h5); [ -d sweep ] && manifold=(sweep/N1000_lr*.h5)
$L survey-manifold "${manifold[@]}" --out man.csv
$L survey-claims --supermask sup40.csv --edgepopup ep*.csv --linearised lin*.csv --overlap ov40.csv \
  --pairs pairs40.csv --manifold man.csv --out claims.csv
$L plot-survey scaling --edgepopup ep*.csv --linearised lin*.csv --out scaling.png
$L plot-survey movement --linearised lin*.csv --out movement.png
$L plot-survey overlap --overlap ov40.csv --pairs pairs40.csv --out overlap.png
$L plot-survey supermask --supermask sup40.csv --out supermask.png
[ -d sweep ] && $L plot-survey manifold --networks sweep/N1000_lr0.001.h5 sweep/N1000_lr0.01.h5 --out manifold.png
echo "wrote $out"
