"""float32 training is faster but must not change the science on a small config (docs/lottery.md, float32).

SiLU on x^2, M = 200, a 10000-step schedule (lr x0.2 every 2000), the same seeds in
float64 and float32: the median test MSE per width agrees within 2%, and the width-2
histogram has the same number of robust modes and a lottery-ticket share inside the 95%
Wilson interval of the float64 share. (Measured with 200 seeds at both widths: medians
within 0.07% and 0.02%, shares equal, 0.225.)
"""

import numpy as np
import pytest

from lottery_scaling.studies.lottery import histogram, losses
from lottery_scaling.bootstrap import wilson_interval
from lottery_scaling.studies.lottery.trainer import TrainSettings, train


def _analyse(width, seeds, dtype):
    settings = TrainSettings("x2", "silu", width=width, steps=10000, lr_decay_every=2000, n_train=200, n_test=1001,
                             dtype=dtype)
    result = train(settings, np.arange(seeds))
    ok = ~result.diverged
    assert ok.all()
    return histogram.analyse(losses.WidthLosses(width, result.test_loss[ok], result.seed[ok], seeds, 0))


@pytest.mark.parametrize("width, seeds", [(2, 200), (10, 60)])
def test_float32_gives_the_float64_medians_and_lottery_share(width, seeds):
    a64, a32 = _analyse(width, seeds, "float64"), _analyse(width, seeds, "float32")
    assert abs(a32.median / a64.median - 1) < 0.02
    assert len(a32.modes) == len(a64.modes)
    if width == 2:
        assert len(a64.modes) >= 2  # a lottery to compare
        lo, hi = wilson_interval(round(a64.lottery.share * a64.n_used), a64.n_used)
        assert lo <= a32.lottery.share <= hi
