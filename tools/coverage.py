"""Write docs/coverage.md: every operation of the three Personalize APIs, from botocore's
service models and the backend's methods, and what the emulator does for each.

    python -m tools.coverage            # rewrite docs/coverage.md
    python -m tools.coverage --check    # exit 1 (with a diff) when docs/coverage.md is stale

Run from a checkout. Which operations exist and which errors each one models come from the
installed botocore; whether an operation is implemented comes from ``PersonalizeBackend``
(each operation is the backend method of the same snake_case name); the recipe table comes
from the recipe catalogue. Only the notes below are written by hand.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "coverage.md"
SERVICES = ("personalize", "personalize-events", "personalize-runtime")

# Operations whose *answers* come from a model simpler than the service's (the request, the
# response's shape, validation, errors and lifecycle still follow the API reference).
APPROXIMATE = {
    "CreateSolutionVersion": "Really trains on the dataset group's data, with the emulator's model for the "
    "recipe (see the recipe table), not the service's. `performHPO` runs a small search (a few candidates "
    "within the requested ranges, scored on the holdout split) instead of the service's tuning job; the "
    "winner serves and is reported in `tunedHPOParams`. `trainingHours` is derived from the data size.",
    "GetSolutionMetrics": "The service's metric names, computed on a holdout split of the data by the "
    "emulator's model ([protocol](metrics.md)): the values follow the data (better data, better metrics) "
    "but do not equal the service's.",
    "CreateRecommender": "Trains on create with the custom model closest to the use case (see the recipe "
    "table); `modelMetrics` as in GetSolutionMetrics.",
    "UpdateRecommender": "Configuration changes apply to serving; the model is not retrained.",
    "UpdateSolution": "Stores the configuration; automatic training never creates solution versions on a "
    "schedule.",
    "CreateSolution": "Automatic training (`performAutoTraining`, `autoTrainingConfig`) is validated and "
    "reported, but no solution versions are created on a schedule. `performAutoML` takes the first recipe "
    "of `autoMLConfig.recipeList` (reported as `autoMLResult`) without comparing the recipes.",
    "GetRecommendations": "Response contract as documented (scores, filters, promotions, metadata, "
    "exploration, `context`, `recommendationId`); the items and scores come from the emulator's model.",
    "GetPersonalizedRanking": "Contract as documented (softmax scores over the known input items, unknown "
    "items last without a score); the order comes from the emulator's model.",
    "GetActionRecommendations": "Propensity scores from the emulator's own next-best-action model.",
    "CreateBatchInferenceJob": "Input and output files as documented, each line answered like the runtime "
    "call; the items and scores come from the emulator's model.",
    "CreateBatchSegmentJob": "Input and output files as documented; the segments come from the emulator's "
    "affinity models.",
    "ListMetricAttributionMetrics": "Lists the attribution's metrics; nothing is published to CloudWatch or "
    "to S3.",
    "CreateMetricAttribution": "Events record their attribution source; no metrics reach CloudWatch or S3.",
    "DescribeAlgorithm": "Catalogue transcribed from the developer guide; container image and training "
    "input mode are placeholders.",
}

# What the emulator trains for each model family of the recipe catalogue.
FAMILIES = {
    "user_personalization": "collaborative-filtering model of the interactions (item-item, or low-rank for "
    "large catalogues); each user's history, events included, is read at request time, recent events "
    "weighted more ([model](model.md))",
    "personalized_ranking": "the user-personalization model, scoring only the input list",
    "popularity": "interaction counts from distinct users",
    "trending": "growth of interaction counts between the two latest trend intervals",
    "sims": "item co-occurrence in user histories, discounted by popularity",
    "similar_items": "co-occurrence blended with shared item metadata",
    "semantic_similarity": "approximation: shared item metadata and text tokens (no language model), "
    "like Similar-Items",
    "next_best_action": "per-user propensities from action interactions, shrunk towards similar users",
    "item_affinity": "users ranked by their factor-model affinity to the item",
    "item_attribute_affinity": "users ranked by their affinity to items with the attribute values",
}
LEGACY = "; a legacy HRNN recipe, still accepted by the emulator"
VERSION = re.compile(r"botocore \d+(\.\d+)*")


def normalise(text: str) -> str:
    """The page without the botocore version it names (a newer botocore with the same
    Personalize models gives the same page)."""
    return VERSION.sub("botocore X", text)


def recorded(text: str) -> tuple[tuple[int, ...], str] | None:
    """(botocore version, model fingerprint) the page was generated from."""
    found = re.search(r"botocore (\d+(?:\.\d+)*), model fingerprint (\w+)", text)
    return (tuple(int(p) for p in found.group(1).split(".")), found.group(2)) if found else None


def operations() -> list[tuple[str, str, list[str]]]:
    """(service, operation, modelled errors) from the installed botocore, in model order."""
    import botocore.session

    session = botocore.session.get_session()
    found = []
    for service in SERVICES:
        model = session.get_service_model(service)
        for name in model.operation_names:
            errors = sorted(shape.name for shape in model.operation_model(name).error_shapes)
            found.append((service, name, errors))
    return found


def model_fingerprint(ops: list[tuple[str, str, list[str]]]) -> str:
    """A digest of what the page takes from botocore (operations and their errors)."""
    return hashlib.sha256(json.dumps(ops).encode()).hexdigest()[:16]


def render() -> str:
    import botocore
    from botocore import xform_name

    from personalize_mock.backend import PersonalizeBackend
    from personalize_mock.resources.recipe_table import ALL_RECIPES

    ops = operations()
    unknown = sorted(set(APPROXIMATE) - {name for _, name, _ in ops})
    if unknown:
        raise SystemExit(f"tools.coverage: notes for operations botocore does not know: {', '.join(unknown)}")
    implemented = {name: callable(getattr(PersonalizeBackend, xform_name(name), None)) for _, name, _ in ops}
    done = sum(implemented.values())
    approximate = sum(1 for _, name, _ in ops if name in APPROXIMATE and implemented[name])
    out = [
        "# Coverage: every operation",
        "",
        "<!-- Generated by `python -m tools.coverage` from botocore's service models and",
        f"     personalize_mock's backend; do not edit. botocore {botocore.__version__},"
        f" model fingerprint {model_fingerprint(ops)}. -->",
        "",
        f"**{done} of {len(ops)}** operations of the three APIs boto3 knows are implemented "
        f"(botocore {botocore.__version__}). **{done - approximate}** are emulated as the API reference and the "
        f"developer guide describe them; **{approximate}** follow the documented contract but answer from "
        "models simpler than the service's, as noted.",
        "",
        "- *as documented*: request validation (every `required`, `min`, `max`, `pattern` and `enum` of the",
        "  model, plus the rules the guide states), the operation's modelled errors with messages saying",
        "  what was wrong, statuses and their transitions ([lifecycles](lifecycles.md)), response fields,",
        "  pagination and tags. Differences we know of are listed in [limits](limits.md).",
        "- *approximate*: the same, but what the answer *contains* (a model, its metrics, its",
        "  recommendations) comes from the emulator's own model for the recipe (table at the end).",
        "- *errors*: the operation's modelled errors in botocore — exactly the names",
        "  [`faults.raise_error`](faults.md) accepts for that operation.",
        "",
    ]
    for service in SERVICES:
        rows = [(name, errors) for svc, name, errors in ops if svc == service]
        out += [f"## {service} ({len(rows)} operations)", "",
                "| operation | implemented | emulation | notes | errors |", "|---|---|---|---|---|"]
        for name, errors in rows:
            level = "approximate" if name in APPROXIMATE else "as documented"
            if not implemented[name]:
                level = "—"
            mark = "yes" if implemented[name] else "**no** (answers `NotImplementedException`)"
            short = ", ".join(e.removesuffix("Exception") for e in errors)
            out.append(f"| `{name}` | {mark} | {level} | {APPROXIMATE.get(name, '')} | {short} |")
        out.append("")
    out += [
        "Error names are shown without their `Exception` suffix; pass the full name "
        "(`LimitExceededException`) to `faults.raise_error`.",
        "",
        "## Recipes and what the emulator trains for them",
        "",
        "Every custom recipe and domain use case of `ListRecipes`, with the model the emulator trains.",
        "The recipe's datasets, hyperparameters and their ranges are checked as the service documents them.",
        "",
        "| recipe | type | domain | the emulator's model |",
        "|---|---|---|---|",
    ]
    for recipe in ALL_RECIPES:
        out.append(f"| `{recipe.name}` | {recipe.recipe_type} | {recipe.domain or 'custom'} | "
                   f"{FAMILIES.get(recipe.family, recipe.family)}{LEGACY if recipe.legacy else ''} |")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.coverage", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the page is stale")
    parser.add_argument("-o", "--output", type=Path, default=PAGE, help=f"default {PAGE.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    text = render()
    current = args.output.read_text() if args.output.exists() else ""
    if args.check:
        if normalise(current) == normalise(text):
            return 0
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                   str(args.output), "generated"))
        print(f"\n{args.output} is stale: run python -m tools.coverage", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
