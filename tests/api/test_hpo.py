"""performHPO runs a small search inside the requested ranges (issue 14, point 13).

Developer guide, *Hyperparameters and HPO*: "The optimal hyperparameters are determined by
running many training jobs using different values from the specified ranges of
possibilities"; after training, DescribeSolutionVersion shows them (``tunedHPOParams``).
The User-Personalization recipe page lists hidden_dimension (default 149, range [32, 256]),
bptt ([2, 32]) and recency_mask (true / false) as HPO tunable.
"""

from __future__ import annotations

import pytest

from tests.api.test_solutions import create, group  # noqa: F401  (fixture)
from tests.conftest import error_code, error_message


def hpo_config(integer=(), categorical=(), continuous=(), jobs=None):
    config = {"algorithmHyperParameterRanges": {
        "integerHyperParameterRanges": [{"name": n, "minValue": lo, "maxValue": hi} for n, lo, hi in integer],
        "continuousHyperParameterRanges": [{"name": n, "minValue": lo, "maxValue": hi} for n, lo, hi in continuous],
        "categoricalHyperParameterRanges": [{"name": n, "values": list(v)} for n, v in categorical],
    }}
    if jobs is not None:
        config["hpoResourceConfig"] = {"maxNumberOfTrainingJobs": str(jobs), "maxParallelTrainingJobs": "2"}
    return config


def tuned(api, solution):
    p = api.personalize
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    described = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert described["status"] == "ACTIVE", described.get("failureReason")
    return described["tunedHPOParams"]["algorithmHyperParameters"], version


def test_hidden_dimension_is_searched_inside_the_requested_range(api, group):  # noqa: F811
    config = {"hpoConfig": hpo_config(integer=[("hidden_dimension", 32, 64)], jobs=4)}
    solution = create(api, group[0], performHPO=True, solutionConfig=config)
    params, version = tuned(api, solution)
    # Four candidates, one per quarter of [32, 64] (stratum centres); never the default 149.
    assert params["hidden_dimension"] in {"36", "44", "52", "60"}
    assert params["bptt"] == "32" and params["recency_mask"] == "true"  # not searched: defaults
    assert api.personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
    # Deterministic: the same request on the same data picks the same winner.
    again, _ = tuned(api, create(api, group[0], name="again", performHPO=True, solutionConfig=config))
    assert again == params


def test_the_guides_example_keeps_fixed_values_and_searches_the_ranges(api, group):  # noqa: F811
    # The request of *Hyperparameters and HPO*: hidden_dimension fixed at 55, bptt in [2, 22],
    # recency_mask true/false, 4 training jobs.
    config = {"algorithmHyperParameters": {"hidden_dimension": "55"},
              "hpoConfig": hpo_config(integer=[("bptt", 2, 22)], categorical=[("recency_mask", ("true", "false"))],
                                      jobs=4)}
    params, _ = tuned(api, create(api, group[0], performHPO=True, solutionConfig=config))
    assert params["hidden_dimension"] == "55"
    assert params["bptt"] in {"5", "10", "15", "20"}
    assert params["recency_mask"] in {"true", "false"}


def test_one_training_job_takes_the_middle_of_the_range(api, group):  # noqa: F811
    config = {"hpoConfig": hpo_config(integer=[("hidden_dimension", 32, 64)], jobs=1)}
    params, _ = tuned(api, create(api, group[0], performHPO=True, solutionConfig=config))
    assert params["hidden_dimension"] == "48"


def test_without_ranges_the_recipes_tunable_defaults_are_searched(api, group):  # noqa: F811
    params, _ = tuned(api, create(api, group[0], performHPO=True))
    assert 32 <= int(params["hidden_dimension"]) <= 256 and 2 <= int(params["bptt"]) <= 32
    assert params["recency_mask"] in {"true", "false"}
    # Without performHPO there is nothing tuned to report.
    plain = create(api, group[0], name="plain")
    version = api.personalize.create_solution_version(solutionArn=plain)["solutionVersionArn"]
    assert "tunedHPOParams" not in api.personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]


def test_sims_searches_its_continuous_range(api, group):  # noqa: F811
    config = {"hpoConfig": hpo_config(continuous=[("popularity_discount_factor", 0.2, 0.6)], jobs=2)}
    params, _ = tuned(api, create(api, group[0], recipe="aws-sims", performHPO=True, solutionConfig=config))
    assert float(params["popularity_discount_factor"]) in {0.3, 0.5}


@pytest.mark.parametrize("ranges, fragment", [
    (hpo_config(integer=[("hidden_size", 32, 64)]), "hidden_size, which is not a tunable hyperparameter"),
    (hpo_config(integer=[("hidden_dimension", 16, 64)]), "within [32"),
    (hpo_config(integer=[("hidden_dimension", 64, 32)]), "minValue <= maxValue"),
    (hpo_config(continuous=[("hidden_dimension", 32.0, 64.0)]), "integerHyperParameterRanges"),
    (hpo_config(categorical=[("recency_mask", ("maybe",))]), "must be among"),
])
def test_bad_ranges_are_refused(api, group, ranges, fragment):  # noqa: F811
    with pytest.raises(Exception) as caught:
        create(api, group[0], performHPO=True, solutionConfig={"hpoConfig": ranges})
    assert error_code(caught) == "InvalidInputException"
    assert fragment in error_message(caught)
