"""The runtime API: GetRecommendations, GetPersonalizedRanking, GetActionRecommendations.

Every answer is computed from the trained model of the campaign's solution version (or the
recommender) and the user's interactions as they are now — events recorded through
PutEvents after training count at once (the user's vector is folded in from their history).
Each response carries a ``recommendationId`` that is remembered with the items it returned,
so a later PutEvents naming it records those items as the impression.
"""

from __future__ import annotations

import math
import random
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import states
from ..exceptions import InvalidInputException
from .base import recommendation_id
from .catalogue import RecipeInfo

DEFAULT_RESULTS = 25
MAX_RESULTS = 500
MAX_RESULTS_WITH_METADATA = 50
MAX_ACTION_RESULTS = 100
DEFAULT_ACTION_RESULTS = 5
MAX_METADATA_COLUMNS = 10
MAX_CONTEXT_VALUE = 1000
REMEMBERED_RECOMMENDATIONS = 100_000
HEAD = 100  # ranked items kept per user and history for unfiltered requests
HEAD_BLOCK = 256  # users ranked together when one of them is asked for
HEAD_BLOCK_ENTRIES = 1 << 20  # at most this many users x catalogue entries per block (8 MB a float64 array)
MAX_CACHED_HEADS = 50_000
SCORED_FAMILIES = ("user_personalization", "personalized_ranking")
RELATED_FAMILIES = ("sims", "similar_items", "semantic_similarity")
POPULAR_FAMILIES = ("popularity", "trending")

# numpy and the serving arithmetic (engine.ranking) are bound here when the first Endpoint is
# made, so ``import personalize_mock`` stays free of numpy and the runtime's hot path does not
# pay a function-level import per call.
if TYPE_CHECKING:
    import numpy as np

    from ..engine import ranking as scoring
    from . import exploration
else:
    np = scoring = exploration = None


def _bind_numeric() -> None:
    global np, scoring, exploration
    import numpy

    from ..engine import ranking
    from . import exploration as explore

    np, scoring, exploration = numpy, ranking, explore


@dataclass
class Endpoint:
    """What serves a request: a campaign's current solution version or a recommender."""

    arn: str
    recipe: RecipeInfo
    trained: Any  # engine.training.Trained
    config: dict[str, Any]
    dataset_group_arn: str
    event_type: str | None = None
    metadata_enabled: bool = False
    # code -> score for this request's user (the scored ranking sets it), so that
    # exploration can score items outside a truncated ranking.
    score_of: Any = None
    context: dict[str, str] | None = None  # the request's context (engine/context.py)

    def __post_init__(self) -> None:
        if scoring is None:  # every runtime and batch path starts with an Endpoint
            _bind_numeric()


@dataclass
class Recommendation:
    """A remembered response: which endpoint answered whom with which items."""

    endpoint_arn: str
    user_id: str | None
    items: list[str]
    created: float = field(default_factory=time.time)


class ServingMixin:
    """Backend operations of the personalize-runtime API. Mixed into PersonalizeBackend."""

    # ---- lookups -------------------------------------------------------------------------
    @property
    def recommendations(self) -> OrderedDict[str, Recommendation]:
        """recommendationId -> what it answered (newest last, bounded)."""
        if not hasattr(self, "_recommendations"):
            self._recommendations: OrderedDict[str, Recommendation] = OrderedDict()
        return self._recommendations

    def _endpoint(self, campaign_arn: str | None, recommender_arn: str | None) -> Endpoint:
        if bool(campaign_arn) == bool(recommender_arn):
            raise InvalidInputException("Specify exactly one of campaignArn and recommenderArn.")
        if campaign_arn:
            campaign = self.campaigns.get(campaign_arn)  # type: ignore[attr-defined]
            if campaign.status != states.ACTIVE:
                raise InvalidInputException(f"Campaign {campaign_arn} is {campaign.status}; it must be ACTIVE.")
            version = campaign.serving_version  # resolves the current deployment once
            recipe = version.solution.recipe
            config = campaign.serving_config
            if config.get("itemExplorationConfig") is None:
                config["itemExplorationConfig"] = recipe.exploration_defaults if recipe.exploration else {}
            return Endpoint(
                campaign.arn, recipe, version.trained, config, campaign.dataset_group_arn, version.event_type,
                bool(config.get("enableMetadataWithRecommendations")) or recipe.name.endswith("-v2"),
            )
        recommender = self.recommenders.get(recommender_arn)  # type: ignore[attr-defined]
        if recommender.status != states.ACTIVE:
            raise InvalidInputException(
                f"Recommender {recommender_arn} is {recommender.status}; it must be ACTIVE."
            )
        config = dict(recommender.recommender_config or {})
        config.setdefault("itemExplorationConfig", recommender.recipe.exploration_defaults)
        return Endpoint(
            recommender.arn, recommender.recipe, recommender.trained, config,
            recommender.dataset_group_arn, None, bool(config.get("enableMetadataWithRecommendations")),
        )

    def _catalog(self, endpoint: Endpoint) -> Any:
        return self.dataset_groups.get(endpoint.dataset_group_arn).catalog  # type: ignore[attr-defined]

    def _user_history(self, endpoint: Endpoint, user_code: int | None, event_type: str | None = None) -> np.ndarray:
        """Item codes of the user's interactions (bulk and PutEvents alike)."""
        dataset = self.group_dataset(endpoint.dataset_group_arn, "INTERACTIONS")
        if dataset is None or user_code is None:
            return np.empty(0, np.int32)
        table = dataset.table
        rows = table.rows_of("USER_ID", user_code)
        if event_type and "EVENT_TYPE" in table.dtypes and len(rows):
            wanted = table.strings.find(event_type)
            rows = rows[table.column("EVENT_TYPE")[rows] == (-2 if wanted is None else wanted)]
        if len(rows) > 1 and "TIMESTAMP" in table.dtypes:  # oldest first (recency weighs the newest most)
            rows = rows[np.argsort(table.column("TIMESTAMP")[rows], kind="stable")]
        return table.column("ITEM_ID")[rows]

    def _history_mark(self, endpoint: Endpoint, user_code: int | None) -> tuple[int, int]:
        """(number of interactions, newest interaction's item code) of a user, as
        ``_user_history`` would give them, read from the grouped index alone."""
        dataset = self.group_dataset(endpoint.dataset_group_arn, "INTERACTIONS")
        if dataset is None or user_code is None:
            return 0, -1
        return dataset.table.group_mark("USER_ID", user_code, "ITEM_ID")

    def _remember(self, endpoint: Endpoint, user_id: str | None, items: list[str]) -> str:
        store = self.recommendations
        rid = recommendation_id(store.__contains__)
        store[rid] = Recommendation(endpoint.arn, user_id, items)
        while len(store) > REMEMBERED_RECOMMENDATIONS:
            store.popitem(last=False)
        return rid

    # ---- GetRecommendations --------------------------------------------------------------
    def get_recommendations(
        self,
        campaign_arn: str | None = None,
        recommender_arn: str | None = None,
        item_id: str | None = None,
        user_id: str | None = None,
        num_results: int | None = None,
        context: dict[str, str] | None = None,
        filter_arn: str | None = None,
        filter_values: dict[str, str] | None = None,
        promotions: list[dict[str, Any]] | None = None,
        metadata_columns: dict[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        endpoint = self._endpoint(campaign_arn, recommender_arn)
        items = self.recommend_items(endpoint, item_id, user_id, num_results, context, filter_arn,
                                     filter_values, promotions, metadata_columns)
        rid = self._remember(endpoint, user_id, [p["itemId"] for p in items])
        return {"itemList": items, "recommendationId": rid}

    def recommend_items(
        self, endpoint: Endpoint, item_id: str | None = None, user_id: str | None = None,
        num_results: int | None = None, context: dict[str, str] | None = None,
        filter_arn: str | None = None, filter_values: dict[str, str] | None = None,
        promotions: list[dict[str, Any]] | None = None, metadata_columns: dict[str, list[str]] | None = None,
    ) -> list[dict[str, Any]]:
        """GetRecommendations' answer (PredictedItems) from an endpoint; batch jobs use it too."""
        recipe = endpoint.recipe
        family = recipe.family
        if family == "personalized_ranking":
            raise InvalidInputException(
                f"{recipe.name} is a PERSONALIZED_RANKING recipe: call GetPersonalizedRanking."
            )
        if family == "next_best_action":
            raise InvalidInputException(f"{recipe.name} recommends actions: call GetActionRecommendations.")
        if recipe.user_id_required and not user_id:
            raise InvalidInputException(f"userId is required for a {recipe.recipe_type} recipe ({recipe.name}).")
        if recipe.item_id_required and not item_id:
            raise InvalidInputException(f"itemId is required for a {recipe.recipe_type} recipe ({recipe.name}).")
        columns = self._metadata_columns(endpoint, metadata_columns)
        k = DEFAULT_RESULTS if num_results is None else num_results
        cap = MAX_RESULTS_WITH_METADATA if columns else MAX_RESULTS
        if k > cap:
            raise InvalidInputException(f"numResults must be at most {cap}{' with metadataColumns' if columns else ''}.")
        endpoint.context = self._check_context(context)
        catalog = self._catalog(endpoint)
        user_code = catalog.users.find(user_id) if user_id else None
        item_code = catalog.items.find(item_id) if item_id else None
        exclude = self._auto_exclusions(endpoint, user_code)

        def permitted(codes: np.ndarray) -> np.ndarray:
            mask = self._filter_mask(filter_arn, filter_values, endpoint, codes, user_code, item_code, "ItemID")
            if exclude is not None:
                mask &= ~np.isin(codes, exclude)
            if item_code is not None:
                mask &= codes != item_code
            return mask

        # Try the user's ranked head first; rank everything only if filters leave too few.
        headed = not promotions
        ranking, scores = self._rank_items(endpoint, user_code, item_code, k if headed else None)
        masked = filter_arn or filter_values or exclude is not None or item_code is not None
        if not masked:
            if headed and len(ranking) < k and endpoint.recipe.family in SCORED_FAMILIES:
                ranking, scores = self._rank_items(endpoint, user_code, item_code, None)
            picked: Any = slice(0, k)
        else:
            allowed = permitted(ranking)
            if headed and int(allowed.sum()) < k and endpoint.recipe.family in SCORED_FAMILIES:
                ranking, scores = self._rank_items(endpoint, user_code, item_code, None)
                allowed = permitted(ranking)
            picked = self._pick(ranking, allowed, k)
        chosen_codes = ranking[picked].tolist()
        chosen_scores = scores[picked].tolist() if scores is not None else [None] * len(chosen_codes)
        entries = [(code, score, None) for code, score in zip(chosen_codes, chosen_scores)]
        entries = exploration.Exploration(endpoint, k).explore(entries, permitted if masked else None, user_id,
                                                               endpoint.score_of)
        promotion = promotions[0] if promotions else None
        if promotion:
            entries = self._promote(endpoint, entries, promotion, ranking, scores, user_code, item_code, k)
        return self._predicted_items(endpoint, catalog, entries, columns, promotion and promotion.get("name"))

    def _rank_items(self, endpoint: Endpoint, user_code: int | None, item_code: int | None,
                    limit: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """The items the endpoint knows, best first, with scores when the recipe has them: all
        of them, or (with ``limit``) for a scored recipe just the user's ranked head, at least
        ``limit`` long."""
        trained = endpoint.trained
        model = trained.model
        family = endpoint.recipe.family
        if family in SCORED_FAMILIES:
            return self._scored_ranking(endpoint, user_code, limit)
        if family in RELATED_FAMILIES:
            ranking = model.related(-1 if item_code is None else int(item_code), len(model.items) + 1)
            return ranking.astype(np.int64), None
        if family in POPULAR_FAMILIES:
            return model.top(len(model.codes)).astype(np.int64), None
        raise InvalidInputException(f"{endpoint.recipe.name} does not serve GetRecommendations.")

    def _scored_ranking(self, endpoint: Endpoint, user_code: int | None,
                        limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Softmax of the user's logits over the whole catalogue (model items plus Items-dataset
        items the model has not seen, which score a raw 0), best first (engine.ranking.rank_block)."""
        model = endpoint.trained.model
        codes = scoring.serving_catalogue(model)
        extra = scoring.context_offsets(model, endpoint.context, codes)  # context: ranked afresh, not cached
        # A user's ranking changes only with their history (count and newest item identify it
        # between appends): keep the head of it per history.
        cache = model.cache.setdefault("ranked_heads", {})
        rows = None
        if endpoint.event_type is None:  # the key without reading the history itself
            key = (user_code, *self._history_mark(endpoint, user_code), None)
        else:
            rows = self._user_history(endpoint, user_code, endpoint.event_type)  # item codes
            key = (user_code, len(rows), int(rows[-1]) if len(rows) else -1, endpoint.event_type)
        hit = cache.get(key) if limit is not None and extra is None else None
        if hit is None and limit is not None and limit <= HEAD and endpoint.event_type is None and extra is None:
            self._fill_heads(endpoint, model, codes, user_code, cache)
            hit = cache.get(key)
        if hit is not None and limit <= len(hit[0]):
            endpoint.score_of = hit[2]
            return hit[0], hit[1]  # the whole head: filters may need more than ``limit``
        if rows is None:
            rows = self._user_history(endpoint, user_code, None)
        history = model.items.positions(rows)
        history = history[history >= 0]
        details: dict[str, Any] = {}
        width = None if limit is None else max(limit, HEAD)
        top, scores = scoring.rank_block(model, codes, [user_code], [history], width, details=details, offsets=extra)
        if extra is not None:  # exploration's items scored from the same row, context included
            endpoint.score_of = scoring.row_lookup(model, codes, details["rows"][0])
            return codes[top[0]], scores[0]
        endpoint.score_of = score_of = scoring.score_lookup(
            model, user_code, history, float(details["peaks"][0]), float(details["totals"][0]),
            float(details["penalties"][0]))
        if limit is None:
            return codes[top[0]], scores[0]
        if len(cache) >= MAX_CACHED_HEADS:
            cache.clear()
        cache[key] = (codes[top[0]], scores[0], score_of)
        return codes[top[0]], scores[0]

    def _fill_heads(self, endpoint: Endpoint, model: Any, codes: np.ndarray, user_code: int | None,
                    cache: dict[Any, Any]) -> None:
        """Rank a block of users at once (``engine.ranking.rank_block``: one matrix product
        instead of one per request) and keep each user's head: later requests of any of them
        are lookups."""
        dataset = self.group_dataset(endpoint.dataset_group_arn, "INTERACTIONS")
        if dataset is None or user_code is None:
            return
        table = dataset.table
        order, keys, bounds = table.grouped("USER_ID")
        at = int(np.searchsorted(keys, user_code))
        if at >= len(keys) or keys[at] != user_code:
            return
        memo = model.cache.get("grouped_positions")
        if memo is None or memo[0] is not table or memo[1] != table.version:
            timed = order
            if "TIMESTAMP" in table.dtypes:  # each user's rows oldest first (stable: insertion order)
                group = np.repeat(np.arange(len(keys)), np.diff(bounds))
                timed = order[np.lexsort((table.column("TIMESTAMP")[order], group))]
            memo = (table, table.version, model.items.positions(table.column("ITEM_ID")[timed]))
            model.cache["grouped_positions"] = memo
        positions = memo[2]
        items = table.column("ITEM_ID")
        block = max(8, min(HEAD_BLOCK, HEAD_BLOCK_ENTRIES // max(len(codes), 1)))  # large catalogues: fewer users
        start = at - at % block
        stop = min(len(keys), start + block)
        users = keys[start:stop].tolist()
        histories = []
        for i in range(start, stop):
            rows = positions[bounds[i]:bounds[i + 1]]
            histories.append(rows[rows >= 0])
        details: dict[str, Any] = {}
        heads, scores = scoring.rank_block(model, codes, users, histories, min(HEAD, len(codes)), details=details)
        if len(cache) >= MAX_CACHED_HEADS:
            cache.clear()
        for i, code in enumerate(users):
            count = int(bounds[start + i + 1] - bounds[start + i])
            last = int(items[order[bounds[start + i + 1] - 1]])  # the newest row's item
            lookup = scoring.score_lookup(model, code, histories[i], float(details["peaks"][i]),
                                          float(details["totals"][i]), float(details["penalties"][i]))
            cache[(code, count, last, None)] = (codes[heads[i]], scores[i], lookup)

    @staticmethod
    def _pick(ranking: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
        return np.flatnonzero(allowed)[:k]

    def _auto_exclusions(self, endpoint: Endpoint, user_code: int | None) -> np.ndarray | None:
        """Domain use cases drop items the user already bought / watched."""
        kind = endpoint.recipe.auto_exclude_event_type
        if not kind or user_code is None:
            return None
        return self._user_history(endpoint, user_code, kind)

    # ---- promotions ----------------------------------------------------------------------
    def _promote(self, endpoint: Endpoint, entries: list[tuple[int, float | None, str | None]],
                 promotion: dict[str, Any], ranking: np.ndarray, scores: np.ndarray | None,
                 user_code: int | None, item_code: int | None, k: int) -> list[tuple[int, float | None, str | None]]:
        """Promoted items (chosen by the promotion's own filter, not the request's) take
        ``percentPromotedItems`` of the list at request-seeded positions, in their own order."""

        count = min(k, int(math.ceil(k * int(promotion.get("percentPromotedItems", 0)) / 100)))
        if count <= 0:
            return entries
        if not promotion.get("filterArn"):
            raise InvalidInputException("promotions.1.filterArn is required.")
        allowed = self._filter_mask(promotion["filterArn"], promotion.get("filterValues"), endpoint,
                                    ranking, user_code, item_code, "ItemID")
        if item_code is not None:
            allowed &= ranking != item_code
        promoted = [(int(ranking[i]), None if scores is None else float(scores[i]), "Promoted")
                    for i in np.flatnonzero(allowed)[:count]]
        taken = {code for code, _, _ in promoted}
        rest = [e for e in entries if e[0] not in taken][: k - len(promoted)]
        rng = random.Random(scoring.seed_of(f"{exploration.model_seed(endpoint)}|{promotion.get('name', '')}|{k}"))
        spots = sorted(rng.sample(range(len(rest) + len(promoted)), len(promoted)))
        result = list(rest)
        for spot, entry in zip(spots, promoted):
            result.insert(int(spot), entry)
        return result

    # ---- response shaping ----------------------------------------------------------------
    def _metadata_columns(self, endpoint: Endpoint, requested: dict[str, list[str]] | None) -> list[str]:
        if not requested:
            return []
        unknown = [key for key in requested if key != "ITEMS"]
        if unknown:
            raise InvalidInputException(f"metadataColumns accepts only the key ITEMS, not {unknown[0]}.")
        columns = list(requested.get("ITEMS") or [])
        if len(columns) > MAX_METADATA_COLUMNS:
            raise InvalidInputException(f"metadataColumns.ITEMS may list at most {MAX_METADATA_COLUMNS} columns.")
        if not endpoint.metadata_enabled:
            raise InvalidInputException(
                f"{endpoint.arn} was not created with enableMetadataWithRecommendations; it cannot return metadata."
            )
        items = self.group_dataset(endpoint.dataset_group_arn, "ITEMS")
        known = {f.name.upper(): f.name for f in items.fields} if items is not None else {}
        for column in columns:
            if column.upper() not in known:
                raise InvalidInputException(f"metadataColumns.ITEMS: {column} is not a column of the Items dataset.")
        return [known[c.upper()] for c in columns]

    @staticmethod
    def _check_context(context: dict[str, str] | None) -> dict[str, str] | None:
        for key, value in (context or {}).items():
            if len(value) > MAX_CONTEXT_VALUE:
                raise InvalidInputException(f"context value of {key} is longer than {MAX_CONTEXT_VALUE} characters.")
        return context or None

    def _predicted_items(self, endpoint: Endpoint, catalog: Any, entries: list[tuple[int, float | None, str | None]],
                         columns: list[str], promotion_name: str | None = None) -> list[dict[str, Any]]:
        ids = catalog.items.values
        # Only a promotion marks entries "Promoted"; only -v2 recipes show "Exploration" reasons.
        if not columns and not promotion_name and not endpoint.recipe.name.endswith("-v2"):  # the common case
            if endpoint.recipe.scores:
                return [{"itemId": ids[code], "score": score} if score is not None else {"itemId": ids[code]}
                        for code, score, _ in entries]
            return [{"itemId": ids[code]} for code, _, _ in entries]
        metadata = self._item_metadata(endpoint, [code for code, _, _ in entries], columns) if columns else {}
        v2 = endpoint.recipe.name.endswith("-v2")
        items = []
        for code, score, reason in entries:
            item: dict[str, Any] = {"itemId": catalog.items.values[code]}
            if score is not None and endpoint.recipe.scores:
                item["score"] = score
            if reason == "Promoted":
                item["promotionName"] = promotion_name
                if v2:
                    item["reason"] = ["Promoted item"]
            elif reason == "Exploration" and v2:
                item["reason"] = ["Exploration"]
            if columns:
                item["metadata"] = metadata.get(code, {})
            items.append(item)
        return items

    def _item_metadata(self, endpoint: Endpoint, codes: list[int], columns: list[str]) -> dict[int, dict[str, str]]:
        items = self.group_dataset(endpoint.dataset_group_arn, "ITEMS")
        if items is None:
            return {}
        table = items.table
        result: dict[int, dict[str, str]] = {}
        for code in codes:
            rows = table.rows_of("ITEM_ID", code)
            if not len(rows):
                continue
            row = int(rows[-1])  # the newest record of the item
            values = {}
            for column in columns:
                value = table.value(column, table.column(column)[row])
                if value is not None:
                    values[column.lower()] = str(value).lower() if isinstance(value, bool) else str(value)
            result[code] = values
        return result

    # ---- GetPersonalizedRanking ----------------------------------------------------------
    def get_personalized_ranking(
        self,
        campaign_arn: str,
        input_list: list[str],
        user_id: str,
        context: dict[str, str] | None = None,
        filter_arn: str | None = None,
        filter_values: dict[str, str] | None = None,
        metadata_columns: dict[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        endpoint = self._endpoint(campaign_arn, None)
        ranking = self.rank_input(endpoint, input_list, user_id, context, filter_arn, filter_values, metadata_columns)
        rid = self._remember(endpoint, user_id, [r["itemId"] for r in ranking])
        return {"personalizedRanking": ranking, "recommendationId": rid}

    def rank_input(
        self, endpoint: Endpoint, input_list: list[str], user_id: str, context: dict[str, str] | None = None,
        filter_arn: str | None = None, filter_values: dict[str, str] | None = None,
        metadata_columns: dict[str, list[str]] | None = None,
    ) -> list[dict[str, Any]]:
        """GetPersonalizedRanking's answer from an endpoint; batch jobs use it too."""
        if endpoint.recipe.family != "personalized_ranking":
            raise InvalidInputException(
                f"{endpoint.arn} uses {endpoint.recipe.name}, not a PERSONALIZED_RANKING recipe."
            )
        columns = self._metadata_columns(endpoint, metadata_columns)
        cap = MAX_RESULTS_WITH_METADATA if columns else MAX_RESULTS
        if len(input_list) > cap:
            raise InvalidInputException(f"inputList may hold at most {cap} items{' with metadataColumns' if columns else ''}.")
        self._check_context(context)
        catalog = self._catalog(endpoint)
        model = endpoint.trained.model
        user_code = catalog.users.find(user_id)
        codes = np.array([-1 if (c := catalog.items.find(i)) is None else c for i in input_list], np.int64)
        rows = model.items.positions(codes)
        allowed = self._filter_mask(filter_arn, filter_values, endpoint, codes, user_code, None, "ItemID")
        known = np.flatnonzero((rows >= 0) & allowed)
        entries: list[tuple[int, float | None, str | None]] = []
        seen: set[int] = set()
        if len(known):
            history = model.items.positions(self._user_history(endpoint, user_code, endpoint.event_type))
            ranked, scores = scoring.context_rank(model, history[history >= 0], rows[known], context, codes[known])
            lookup = dict(zip(rows[known].tolist(), codes[known].tolist()))  # model row -> item code
            for row, score in zip(ranked.tolist(), scores.tolist()):
                code = lookup[row]
                if code not in seen:  # an item listed twice is ranked once
                    seen.add(code)
                    entries.append((code, score, None))
        ranking = self._predicted_items(endpoint, catalog, entries, columns)
        listed = {r["itemId"] for r in ranking}
        for item_id, row, ok in zip(input_list, rows.tolist(), allowed.tolist()):
            if row < 0 and ok and item_id not in listed:  # unknown items: last, input order, no score
                listed.add(item_id)
                ranking.append({"itemId": item_id} | ({"metadata": {}} if columns else {}))
        return ranking

    # ---- GetActionRecommendations --------------------------------------------------------
    def get_action_recommendations(
        self,
        campaign_arn: str | None = None,
        user_id: str | None = None,
        num_results: int | None = None,
        filter_arn: str | None = None,
        filter_values: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        if not campaign_arn:
            raise InvalidInputException("campaignArn is required.")
        endpoint = self._endpoint(campaign_arn, None)
        if endpoint.recipe.family != "next_best_action":
            raise InvalidInputException(
                f"Campaign {campaign_arn} uses {endpoint.recipe.name}, not a PERSONALIZED_ACTIONS recipe."
            )
        if not user_id:
            raise InvalidInputException("userId is required for GetActionRecommendations.")
        k = DEFAULT_ACTION_RESULTS if num_results is None else num_results
        if k > MAX_ACTION_RESULTS:
            raise InvalidInputException(f"numResults must be at most {MAX_ACTION_RESULTS}.")
        catalog = self._catalog(endpoint)
        user_code = catalog.users.find(user_id)
        model = endpoint.trained.model
        ranked = model.recommend(-1 if user_code is None else user_code, len(model.actions.codes), time.time())
        codes = np.array([code for code, _ in ranked], np.int64)
        allowed = self._filter_mask(filter_arn, filter_values, endpoint, codes, user_code, None, "ActionID")
        actions = [
            {"actionId": catalog.actions.values[code], "score": round(float(score), 7)}
            for (code, score), ok in zip(ranked, allowed) if ok
        ][:k]
        rid = self._remember(endpoint, user_id, [a["actionId"] for a in actions])
        return {"actionList": actions, "recommendationId": rid}

    # ---- filters (filled in by the filters module) ---------------------------------------
    def _filter_mask(self, filter_arn: str | None, filter_values: dict[str, str] | None, endpoint: Endpoint,
                     candidates: np.ndarray, user_code: int | None, item_code: int | None, target: str) -> np.ndarray:
        if not filter_arn:
            if filter_values:
                raise InvalidInputException("filterValues were given without a filterArn.")
            return np.ones(len(candidates), bool)
        return self.apply_filter(  # type: ignore[attr-defined]
            filter_arn, filter_values or {}, endpoint.dataset_group_arn, candidates, user_code, item_code, target,
            endpoint.recipe,
        )
