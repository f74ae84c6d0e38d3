"""Simulated clinical raters for the embedded default (chapter 02).

Two (or more) simulated physiotherapists fill in the same item sheets as the real ones (see
:mod:`painlib.scales`): FACS intensities of the six pain AUs, the 18 NCAPC items and a Wong-Baker face,
for each CP video, from the video's true AU intensities at its pain moment. What makes their scores disagree
is explicit and adjustable (:class:`RaterModel`):

* perception noise on each AU, scaled by the rater's familiarity with the stimulus (the CP paper found
  stretching, a physiotherapist's own procedure, rated most consistently and injections least);
* a lenient or strict rater (a bias shared by all of that rater's judgements);
* a global impression for Wong-Baker, snapped to one of its six faces;
* for the NCAPC's non-facial items, the person's motor signs (spasticity, involuntary movement, sounds) that
  each rater reads as pain to a different degree — the ambiguity the CP paper gives for its lower ICC.

Every judgement is drawn from a random stream keyed by ``(seed, rater, target)``, so a target gets the same
noise whatever else is rated with it, and a sweep over the noise level uses common random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..facs import AUS, pspi
from ..scales import NCAPC_SUBSCALES, RATINGS_COLUMNS, WONG_BAKER_FACES, video_target
from ..session import keyed_rng

__all__ = ["RaterModel", "rate_targets", "ratings_by_noise", "video_targets"]


@dataclass(frozen=True)
class RaterModel:
    """How simulated raters err. Noise is a standard deviation in AU intensity units (0–5 scale).

    The defaults were chosen (by trying a few values on the default CP population over a dozen seeds) so that a
    panel of two shows the CP paper's pattern *by these mechanisms*: FACS agrees best (its four components are
    judged separately, so errors partly average out), Wong-Baker next (one coarse global choice), NCAPC least
    (each rater reads a person's motor signs as pain on its behavioural items to a different degree, which
    does not average out); stretching is rated most consistently and injection least (familiarity). The order
    of the three scales holds in most draws, not all; chapter 02 checks it on its own run. They are a
    starting point for exploring how the ICC responds, not a fit to the paper.
    """

    noise: float = 0.9
    #: Multiplier of ``noise`` per stimulus (unfamiliar procedures are rated less consistently).
    stimulus_noise: dict[str, float] = field(
        default_factory=lambda: {"injection": 1.8, "stretching": 0.5, "other": 1.1}
    )
    #: Standard deviation of a rater's leniency (added to every AU judgement).
    bias_sd: float = 0.3
    #: Wong-Baker impression noise, in scale points (0–10) per unit of ``noise``.
    wong_baker_noise: float = 0.8
    #: Evidence a rater needs before coding anything: a judgement below ``0.5 + evidence`` is coded 0, so a
    #: trace AU is often missed and a neutral face is rarely given one.
    evidence: float = 1.0
    #: Noise of one non-facial NCAPC item (item points 0–3 per unit of ``noise``): frequency judgements are vague.
    behaviour_noise: float = 0.8
    #: How far a person's motor signs (0–1) may be read as pain on the non-facial NCAPC items, varying between
    #: raters and videos (item points per unit of ``noise``).
    motor_confusion: float = 2.5

    def noise_for(self, stimulus: str) -> float:
        return self.noise * self.stimulus_noise.get(stimulus, 1.0)


def video_targets(manifest: pd.DataFrame) -> pd.DataFrame:
    """One rating target per video: its pain moment (frame 0) with the true AUs, stimulus and occluder.

    ``manifest`` is the synthetic ``cp`` Manifest (chapter 00); returns columns target (``subject/video``),
    subject, stimulus, occluder and the six AU intensities.
    """
    need = {"subject", "video", "frame", "stimulus", *AUS}
    missing = sorted(need - set(manifest.columns))
    if missing:
        raise ValueError(f"manifest lacks {missing}; video_targets needs the synthetic CP manifest")
    pain = manifest[manifest["frame"] == 0].copy()
    pain.insert(0, "target", video_target(pain))
    cols = ["target", "subject", "stimulus"] + (["occluder"] if "occluder" in pain else []) + list(AUS)
    return pain[cols].reset_index(drop=True)


def rate_targets(
    targets: pd.DataFrame, n_raters: int = 2, model: RaterModel | None = None, seed: int = 0
) -> pd.DataFrame:
    """Item sheets of ``n_raters`` simulated raters for every row of ``targets`` (see :func:`video_targets`).

    Returns a ratings table (one row per target and rater) in the schema of :mod:`painlib.reliability`:
    target, rater, stimulus, the six AUs (0–5), the 18 NCAPC items (0–3) and wong_baker (0, 2, …, 10).
    """
    model = model or RaterModel()
    true_pspi = pspi(targets)
    item_rng = keyed_rng(seed, "ncapc-items")
    behaviour_items = [i for name, items in NCAPC_SUBSCALES.items() if name != "facial" for i in items]
    item_weight = dict(zip(behaviour_items, item_rng.uniform(0.4, 1.0, len(behaviour_items))))
    # What really happened in each video, the same for every rater: pain behaviour and motor signs (0–1).
    happened = []
    for t, score in zip(targets.itertuples(index=False), true_pspi):
        shared = keyed_rng(seed, "target", t.target)
        happened.append((float(np.clip(score / 12 + shared.normal(0, 0.15), 0, 1)), float(shared.uniform(0, 1))))
    rows = []
    for r in range(n_raters):
        rater = f"rater_{r + 1}"
        rater_rng = keyed_rng(seed, "rater", r)
        bias = rater_rng.normal(0.0, model.bias_sd)
        for t, (behaviour, motor) in zip(targets.itertuples(index=False), happened):
            rng = keyed_rng(seed, "rating", r, t.target)
            sd = model.noise_for(t.stimulus)
            z = rng.standard_normal(len(AUS) + len(behaviour_items) + 2)
            true = np.array([getattr(t, au) for au in AUS], dtype=float)
            seen = _code(true + bias + sd * z[: len(AUS)], 5, model.evidence)
            aus = dict(zip(AUS, seen.tolist()))
            row = {"target": t.target, "rater": rater, "stimulus": t.stimulus, **aus}
            row.update(_facial_items(aus))
            # Motor signs read as pain shift all of one rater's behaviour items for this video together.
            misread = motor * model.motor_confusion * sd * z[-2]
            x = 3 * behaviour * np.array(list(item_weight.values())) + 0.5 * bias + misread
            x += model.behaviour_noise * sd * z[len(AUS) : -2]
            row.update(zip(behaviour_items, _code(x, 3, model.evidence).tolist()))
            impression = pspi(aus) / 2 + model.wong_baker_noise * sd * z[-1]  # the FACS score the rater saw
            row["wong_baker"] = int(min(WONG_BAKER_FACES, key=lambda face: abs(face - impression)))
            rows.append(row)
    return pd.DataFrame(rows, columns=list(RATINGS_COLUMNS))


def _code(judged: np.ndarray, top: int, evidence: float) -> np.ndarray:
    """Round judgements to whole scale points 0–``top``; below ``0.5 + evidence`` nothing is coded."""
    coded = np.clip(np.rint(judged), 0, top).astype(int)
    return np.where(judged < 0.5 + evidence, 0, coded)


def _facial_items(aus: dict[str, int]) -> dict[str, int]:
    """NCAPC facial items (0–3) from the AUs the rater saw: brow, eyes, nose / upper lip, mouth."""
    seen = [aus["au4"], max(aus["au6"], aus["au7"], aus["au43"]), max(aus["au9"], aus["au10"]), aus["au10"]]
    return {item: int(np.rint(v * 3 / 5)) for item, v in zip(NCAPC_SUBSCALES["facial"], seen)}


def ratings_by_noise(
    targets: pd.DataFrame, noise_levels, n_raters: int = 2, model: RaterModel | None = None, seed: int = 0
) -> dict[float, pd.DataFrame]:
    """Item sheets of the same panel at each perception-noise level (common random numbers across levels).

    Returns noise level → ratings table of :func:`rate_targets`; :func:`painlib.reliability.icc_per_level` turns
    it into the ICC-against-noise curves of chapter 02.
    """
    model = model or RaterModel()
    return {float(n): rate_targets(targets, n_raters, replace(model, noise=float(n)), seed) for n in noise_levels}
