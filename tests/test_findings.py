"""Findings recorded by the chapters and the verdicts of the findings-at-a-glance page (painlib.findings,
painlib.reproduces)."""

import math

import pytest

from painlib import findings, published, reproduces
from painlib.reproduces import Value, verdict


def test_findings_replace_a_pages_earlier_record_and_refuse_what_is_not_a_number(tmp_path):
    findings.record(tmp_path, "02_x", icc=0.7, icc_low=0.5, synthetic=1)
    findings.record(tmp_path, "02_x", icc=0.6, synthetic=1)  # a later run whose interval is undefined
    findings.record(tmp_path, "05_y", accuracy=0.8)
    assert findings.read(tmp_path) == {"02_x": {"icc": 0.6, "synthetic": 1.0}, "05_y": {"accuracy": 0.8}}
    for bad in (math.nan, math.inf, True, "0.7"):
        with pytest.raises(ValueError, match="'icc' of 02_x"):
            findings.record(tmp_path, "02_x", icc=bad)
    assert findings.read(tmp_path / "nothing") == {}


@pytest.mark.parametrize(
    "value, ours, expected",
    [
        (Value("p", 10, "n", "exact"), {"n": 10}, "reproduced"),
        (Value("p", 10, "n", "exact"), {"n": 12}, "not reproduced"),
        (
            Value("icc", 0.7, "icc", "interval"),
            {"icc": 0.6, "icc_low": 0.5, "icc_high": 0.75, "synthetic": 0},
            "reproduced",
        ),
        (
            Value("icc", 0.8, "icc", "interval"),
            {"icc": 0.6, "icc_low": 0.5, "icc_high": 0.75, "synthetic": 0},
            "not reproduced",
        ),
        (
            Value("icc", 0.7, "icc", "interval"),
            {"icc": 0.6, "icc_low": 0.5, "icc_high": 0.75, "synthetic": 1},
            "not comparable",
        ),
        (Value("icc", 0.8, "icc", "interval"), {"icc": 0.6}, "not comparable"),  # degenerate interval left out
        (Value("acc", 0.7, "acc"), {"acc": 0.7, "synthetic": 1}, "not comparable"),
        (Value("acc", 0.7, "acc"), {"acc": 0.74, "synthetic": 0}, "reproduced"),
        (Value("acc", 0.7, "acc"), {"acc": 0.6, "synthetic": 0}, "not reproduced"),
        (Value("n", 110, "n", "count"), {"n": 90, "synthetic": 1}, "not comparable"),
        (Value("n", 110, "n", "count"), {"n": 110, "synthetic": 0}, "reproduced"),
        (Value("acc", 0.7, "acc"), {}, "not executed"),
        (Value("acc", 0.7, "acc"), {"synthetic": 1}, "not comparable"),  # the page ran but could not compute it
    ],
)
def test_verdicts(value, ours, expected):
    said, why = verdict(value, ours)
    assert said == expected and why


def test_side_by_side_reads_what_the_pages_recorded(tmp_path):
    findings.record(tmp_path, "05_neonatal_models", params_vggface=published.NEONATAL_PARAMETERS["vggface"])
    table = reproduces.side_by_side(tmp_path)
    row = table[table["quantity"] == "vggface parameters"].iloc[0]
    assert row["verdict"] == "reproduced" and row["this build"] == published.NEONATAL_PARAMETERS["vggface"]
    assert (reproduces.side_by_side(tmp_path, executed_dir=tmp_path)["verdict"] == "not executed").all()  # no pages
    stated = table[table["paper"] == reproduces.CP]
    assert {0.70, 0.6267, 0.6112} <= set(stated["paper's value"])  # the CP paper's stated accuracies and F1
    others = table.drop(index=row.name)
    assert (others.loc[others["page"] != "05_neonatal_models", "verdict"] == "not executed").all()
    assert (others.loc[others["page"] == "05_neonatal_models", "verdict"] == "not comparable").all()
