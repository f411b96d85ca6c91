"""Helpers of the survey commands (not a command: the name starts with '_')."""

from __future__ import annotations

import argparse
import json
from ....commands._argtypes import number_in
from ....commands._threads import set_threads  # noqa: F401  (the survey commands import it from here)




keep_fraction = number_in(0, 1, lo_closed=False)
open_fraction = number_in(0, 1, lo_closed=False, hi_closed=False)


def label_text(text: str) -> str:
    """An experiment label for the tables' first column: printable, one line, no commas."""
    if not text or len(text) > 200 or any(not ch.isprintable() or ch in ",\"'" for ch in text):
        raise argparse.ArgumentTypeError(f"must be 1-200 printable characters without commas or quotes, got {text!r}")
    return text


def settings_json(cls, where: str):
    """argparse type: a JSON object of `cls` settings (settings.from_dict)."""

    def parse(text: str):
        from ....errors import UserError
        from ..settings import from_dict

        try:
            return from_dict(cls, json.loads(text), where)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise argparse.ArgumentTypeError(f"must be a JSON object of {where} settings ({exc})") from None
        except (TypeError, UserError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def default_label(settings) -> str:
    """The experiment label of a lottery training setting when none is given: task, activation and
    the settings a survey comparison varies (lr, init scale) where they differ from the paper's."""
    label = f"{settings.task}_{settings.activation}"
    if settings.lr != 1e-2:
        label += f"_lr{settings.lr:g}"
    if settings.init_scale != 1.0:
        label += f"_scale{settings.init_scale:g}"
    return label


def load_networks(path):
    """A trained-networks file of a d = 1 task, its contents checked (the bridge study's reader)."""
    from ...bridge.data import load

    return load(path)


def seeds_subset(result, max_seeds):
    """The first max_seeds networks of a result (all when None), as a new TrainResult."""
    from dataclasses import replace

    if max_seeds is None or max_seeds >= result.seed.size:
        return result
    k = slice(0, max_seeds)
    return replace(result, seed=result.seed[k], w=result.w[k], b=result.b[k], v=result.v[k], c=result.c[k],
                   train_loss=result.train_loss[k], test_loss=result.test_loss[k], diverged=result.diverged[k],
                   loss_curve=result.loss_curve[k], snapshots=None)


def check_train_limits(args, method: str, settings, networks: int, keeps: int = 1, rounds: int = 1) -> None:
    """Refuse, before any training, a survey training (edge-popup, linearised, IMP) past --max-work or
    --max-memory (or the pipeline's limits; docs/cli.md, "Limits"): one line naming the values."""
    import os

    from ....commands._limits import check
    from ....limits import survey_train_estimate
    from ...lottery.tasks import input_dim

    s = settings.resolved()
    threads = args.threads or os.cpu_count() or 1
    work, memory, detail = survey_train_estimate(method, networks, s.width, s.n_train, s.n_test, s.steps, threads,
                                                 keeps, rounds, input_dim(s.task))
    check(args, "train", work, detail, memory, detail)
