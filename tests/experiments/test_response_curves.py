"""The response-curve study (experiments/response_curves.py): which parameters it varies,
what its page says of a known result, and one clear message for bad flags."""

from __future__ import annotations

import pytest

from experiments import response_curves as rc
from model.params import registry


def test_it_varies_the_behavioural_parameters_and_only_those():
    names = rc.behavioural()
    assert {"supply_benefit", "social_influence", "defection_threshold"} <= set(names)
    for n, default in names.items():
        assert "no direct data" in registry()[n].doc and default == registry()[n].default
    assert {"side_payment_budget", "china_budget"} <= set(names)  # levers sized by hand
    assert "pressure_intensity" not in names  # a lever, not a behavioural unknown


def test_the_page_ranks_by_the_response_under_sustained_pressure_and_names_the_worst():
    params = rc.behavioural()
    flat = [0.3] * len(rc.FACTORS)
    steep = [0.0, 0.1, 0.2, 0.3, 0.6, 0.7, 0.9]  # +5% moves collapse by 0.3
    result = {c: {n: list(flat) for n in params} for c in rc.CONDITIONS}
    result["sustained pressure"]["price_pain"] = steep
    text = rc.page(result, 60, 5000, "x.png")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows[0].startswith("| `price_pain`") and rows[0].endswith("| 0.90 |")
    assert "any of them, in either condition: 0.30" in text
    assert "seeds 5000-5059" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--replications", "0"], "--replications: expected a whole number of at least 1"),
        (["--workers", "-1"], "--workers: expected a whole number of at least 1"),
        (["--seed", "-3"], "--seed: expected a whole number of at least 0"),
        (["--out", "/no/such/folder/x.md"], "--out: expected a file in an existing folder"),
    ],
)
def test_bad_flags_are_one_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        rc.main(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err
