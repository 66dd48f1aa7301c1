"""Filters: CreateFilter / DescribeFilter / ListFilters / DeleteFilter, and applying a filter
at runtime against a dataset group's data (``engine.filter_expression`` does the language)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from .. import states
from ..exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceInUseException,
)
from .base import Resource, Store, paginated
from .datasets import Dataset, DatasetGroup

MAX_FILTERS_PER_GROUP = 30
MAX_FIELDS_PER_GROUP = 20
RECENT_INTERACTIONS = {"Interactions": 100, "Action_Interactions": 300}
DATASET_TYPES = {
    "Items": "ITEMS", "Users": "USERS", "Actions": "ACTIONS",
    "Interactions": "INTERACTIONS", "Action_Interactions": "ACTION_INTERACTIONS",
}
ID_COLUMNS = {"ITEMS": "ITEM_ID", "USERS": "USER_ID", "ACTIONS": "ACTION_ID"}


class Filter(Resource):
    kind = "filter"

    def __init__(self, arn: str, name: str, group: DatasetGroup, expression: str, compiled: Any) -> None:
        super().__init__(arn, name)
        self.dataset_group_arn = group.arn
        self.filter_expression = expression
        self.compiled = compiled

    def check_recipe(self, recipe: Any) -> None:
        """*Filter expression guidelines*: "You can apply a filter with the CurrentItem element
        only if your domain use case or custom recipe generates related items recommendations".
        CreateFilter cannot know the recipe, so the refusal comes where filter and recipe meet:
        a runtime request, a promotion, a batch inference job."""
        if self.compiled.uses_current_item and getattr(recipe, "recipe_type", None) != "RELATED_ITEMS":
            raise InvalidInputException(
                f"Filter {self.arn} uses CurrentItem, which only applies to recipes and use cases "
                f"that recommend related items (RELATED_ITEMS, e.g. aws-similar-items, aws-sims); "
                f"{recipe.name} is a {recipe.recipe_type} recipe."
            )


class GroupData:
    """``engine.filter_expression.FilterData`` over one dataset group's tables."""

    def __init__(self, datasets: dict[str, Dataset], user_code: int | None, item_code: int | None) -> None:
        self.datasets = datasets
        self.user_code = user_code
        self.item_code = item_code

    def field_values(self, dataset: str, field: str, codes: np.ndarray) -> list[Any]:
        found = self.datasets.get(DATASET_TYPES.get(dataset, dataset.upper()))
        if found is None:
            return [None] * len(codes)
        values = _decoded_column(found, field)
        return [values.get(code) for code in codes.tolist()]

    def event_entities(self, dataset: str, user_code: int | None) -> dict[str, np.ndarray]:
        import numpy as np
        found = self.datasets.get(DATASET_TYPES.get(dataset, dataset.upper()))
        if found is None or user_code is None or "EVENT_TYPE" not in found.table.dtypes:
            return {}
        table = found.table
        rows = table.rows_of("USER_ID", user_code)
        if not len(rows):
            return {}
        rows = rows[np.argsort(table.column("TIMESTAMP")[rows], kind="stable")[::-1]]  # newest first
        entity = "ACTION_ID" if found.dataset_type == "ACTION_INTERACTIONS" else "ITEM_ID"
        limit = RECENT_INTERACTIONS.get(dataset, 100)
        kinds = table.column("EVENT_TYPE")[rows]
        result: dict[str, np.ndarray] = {}
        for code in np.unique(kinds):
            name = table.strings.decode(int(code))
            chosen = rows[kinds == code][:limit]
            result[(name or "").lower()] = table.column(entity)[chosen]
        return result

    def current_user(self, field: str) -> Any:
        import numpy as np
        if self.user_code is None:
            return None
        return self.field_values("Users", field, np.array([self.user_code]))[0]

    def current_item(self, field: str) -> Any:
        import numpy as np
        if self.item_code is None:
            return None
        return self.field_values("Items", field, np.array([self.item_code]))[0]


class FiltersMixin:
    """Backend operations for filters. Mixed into PersonalizeBackend."""

    dataset_groups: Store[DatasetGroup]
    datasets: Store[Dataset]
    filters: Store[Filter]

    def create_filter(
        self, name: str, dataset_group_arn: str, filter_expression: str,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        from ..engine.filter_expression import FilterSyntaxError, parse_filter

        arn = self.arn(f"filter/{name}")  # type: ignore[attr-defined]
        self.filters.ensure_new(arn)
        group = self.dataset_groups.get(dataset_group_arn)
        try:
            compiled = parse_filter(filter_expression)
        except FilterSyntaxError as error:
            raise InvalidInputException(str(error)) from None
        siblings = [f for f in self.filters if f.dataset_group_arn == group.arn]
        if len(siblings) >= MAX_FILTERS_PER_GROUP:
            raise LimitExceededException(
                f"Dataset group {dataset_group_arn} already has {MAX_FILTERS_PER_GROUP} filters."
            )
        fields = set(compiled.fields).union(*(f.compiled.fields for f in siblings))
        if len(fields) > MAX_FIELDS_PER_GROUP:
            raise LimitExceededException(
                f"The filters of dataset group {dataset_group_arn} would use {len(fields)} distinct "
                f"dataset fields; at most {MAX_FIELDS_PER_GROUP} are allowed."
            )
        self._check_filter_fields(group, compiled)
        flt = Filter(arn, name, group, filter_expression, compiled)
        self.create_tagged(self.filters, flt, tags)  # type: ignore[attr-defined]
        return {"filterArn": flt.arn}

    def _check_filter_fields(self, group: DatasetGroup, compiled: Any) -> None:
        present = {d.dataset_type: d for d in self.datasets if d.dataset_group_arn == group.arn}
        for dataset, field in sorted(compiled.fields):
            if dataset in ("CurrentUser", "CurrentItem"):
                dataset = "Users" if dataset == "CurrentUser" else "Items"
            kind = DATASET_TYPES.get(dataset)
            found = present.get(kind) if kind else None
            if found is None:
                raise InvalidInputException(
                    f"Invalid filter expression: dataset group {group.arn} has no {dataset} dataset for {dataset}.{field}."
                )
            match = next((f for f in found.fields if f.name.upper() == field.upper()), None)
            if match is None:
                raise InvalidInputException(
                    f"Invalid filter expression: {field} is not a field of the {dataset} dataset's schema."
                )
            if getattr(match, "textual", False):
                raise InvalidInputException(f"Invalid filter expression: textual field {field} cannot be filtered on.")
            if match.type == "boolean":
                # *Filter expression guidelines*: "You can't create filter expressions that
                # filter using values with a boolean type in your schema."
                raise InvalidInputException(
                    f"Invalid filter expression: {dataset}.{field} is a boolean field, and filters cannot use "
                    "boolean values; store it as a string (\"True\"/\"False\") or an int/long (0/1) instead."
                )

    def describe_filter(self, filter_arn: str) -> dict[str, Any]:
        return {"filter": self.filters.describe(filter_arn)}

    @paginated("Filters")
    def list_filters(self, dataset_group_arn: str | None = None) -> list[Filter]:
        return self.filters.listed(lambda f: dataset_group_arn in (None, f.dataset_group_arn))

    def delete_filter(self, filter_arn: str) -> None:
        flt = self.filters.get(filter_arn)
        if flt.deleting:
            raise ResourceInUseException(f"Filter {filter_arn} is already being deleted.")
        flt.start_delete()

    # ---- runtime -------------------------------------------------------------------------
    def check_filter_recipe(self, filter_arn: str, recipe: Any) -> None:
        """:meth:`Filter.check_recipe` for the filter ``filter_arn`` (a batch job's create)."""
        self.filters.get(filter_arn).check_recipe(recipe)

    def apply_filter(self, filter_arn: str, filter_values: dict[str, str], dataset_group_arn: str,
                     candidates: np.ndarray, user_code: int | None, item_code: int | None,
                     target: str, recipe: Any = None) -> np.ndarray:
        """Mask over ``candidates`` (entity codes) that the filter lets through; ``recipe`` (the
        endpoint's ``RecipeInfo``) is checked with :meth:`Filter.check_recipe`."""
        from ..engine.filter_expression import MissingFilterValues, allowed, parse_filter_values

        flt = self.filters.get(filter_arn)
        if flt.status != states.ACTIVE:
            raise InvalidInputException(f"Filter {filter_arn} is {flt.status}; it must be ACTIVE.")
        if recipe is not None:
            flt.check_recipe(recipe)
        if flt.dataset_group_arn != dataset_group_arn:
            raise InvalidInputException(
                f"Filter {filter_arn} belongs to dataset group {flt.dataset_group_arn}, not {dataset_group_arn}."
            )
        if flt.compiled.target != target:
            raise InvalidInputException(
                f"Filter {filter_arn} filters {flt.compiled.target}s; this call needs a {target} filter."
            )
        try:
            values = parse_filter_values(filter_values)
        except ValueError as error:
            raise InvalidInputException(f"Invalid filterValues: {error}") from None
        datasets = {d.dataset_type: d for d in self.datasets if d.dataset_group_arn == dataset_group_arn}
        data = GroupData(datasets, user_code, item_code)
        try:
            if not _depends_on_request(flt.compiled):
                return _cached_mask(flt, values, datasets, candidates, data)
            return allowed(flt.compiled, candidates, data, values, user_code)
        except MissingFilterValues as error:
            raise InvalidInputException(str(error)) from None


def _decoded_column(dataset: Dataset, field: str) -> dict[int, Any]:
    """entity code -> the filter language's view of ``field`` (newest record per id wins; a set
    for categorical values, numbers as float, booleans as "true"/"false"); built once per
    table version."""
    import numpy as np

    table = dataset.table
    cache = dataset.__dict__.setdefault("_filter_columns", {})
    hit = cache.get(field.upper())
    if hit is not None and hit[0] == table.version:
        return hit[1]
    name = next((f.name for f in dataset.fields if f.name.upper() == field.upper()), None)
    key = ID_COLUMNS.get(dataset.dataset_type)
    decoded: dict[int, Any] = {}
    if name is not None and key is not None and len(table):
        spec = table.by_name[name]
        categorical = getattr(spec, "categorical", False)
        keys = table.column(key).tolist()
        raw = table.column(name)
        if spec.type == "string":
            strings = table.interner(name).values
            cells = [None if c < 0 else strings[c] for c in raw.tolist()]
        else:
            cells = [table.value(name, v) for v in raw]
        for code, value in zip(keys, cells):  # later rows are newer and overwrite
            if value is not None and categorical:
                value = set(str(value).split("|"))
            elif isinstance(value, bool):
                value = str(value).lower()
            elif isinstance(value, (int, np.integer)):
                value = float(value)
            decoded[code] = value
    cache[field.upper()] = (table.version, decoded)
    return decoded


REQUEST_DATASETS = {"Interactions", "Action_Interactions", "Users"}


def _depends_on_request(compiled: Any) -> bool:
    """Whether a filter's answer depends on the user or item of the request (interactions,
    IF CurrentUser, CurrentItem) rather than on the catalogue alone."""
    return (
        compiled.target == "UserID"
        or compiled.uses_current_item
        or any(dataset in REQUEST_DATASETS for dataset, _ in compiled.fields)
    )


def _cached_mask(flt: Filter, values: dict[str, list[str]], datasets: dict[str, Dataset],
                 candidates: Any, data: GroupData) -> Any:
    """A catalogue-only filter gives the same answer per entity for the same filter values and
    data: evaluate it once over the entities seen, then answer any request by lookup."""
    import numpy as np

    from ..engine.filter_expression import allowed as evaluate

    versions = tuple(sorted((kind, d.table.version) for kind, d in datasets.items()))
    key = (tuple(sorted((k, tuple(v)) for k, v in values.items())), versions)
    cache = flt.__dict__.setdefault("_masks", {})
    hit = cache.get(key)
    candidates = np.asarray(candidates, np.int64)
    if not len(candidates):
        return np.zeros(0, bool)
    # Dense by entity code: ``known[c]`` says c was evaluated, ``mask[c]`` what the filter said.
    # Only entities not evaluated before are evaluated (each request's head brings a few).
    known, mask = hit if hit is not None else (np.zeros(0, bool), np.zeros(0, bool))
    if hit is not None and int(candidates.min()) >= 0 and int(candidates.max()) < len(known):
        if known[candidates].all():  # the usual case: a lookup
            return mask[candidates]
    inside = (candidates >= 0) & (candidates < len(known))
    fresh = ~inside
    fresh[inside] = ~known[candidates[inside]]
    if not fresh.any():
        return mask[candidates]
    universe = np.unique(candidates[fresh])
    allowed = evaluate(flt.compiled, universe, data, values, None)
    size = max(int(universe.max()) + 1, len(known)) if universe.min() >= 0 else 0
    if size == 0 or size > 4 * (len(universe) + int(known.sum())) + 4096:  # codes too sparse (or negative)
        if hit is None or not inside.any():
            return allowed[np.searchsorted(universe, candidates)]
        result = np.zeros(len(candidates), bool)
        result[inside] = mask[candidates[inside]]
        result[fresh] = allowed[np.searchsorted(universe, candidates[fresh])]
        return result
    if size > len(known):
        known = np.concatenate([known, np.zeros(size - len(known), bool)])
        mask = np.concatenate([mask, np.zeros(size - len(mask), bool)])
    known[universe] = True
    mask[universe] = allowed
    if len(cache) > 64:
        cache.clear()
    cache[key] = (known, mask)
    return mask[candidates]
