"""A batch inference file answered as a whole: the lines of one file are grouped and ranked in
blocks, and each output line is the one ``BatchMixin._batch_line`` would write for it — which
is GetRecommendations' answer on a campaign of the same solution version.

- user-personalization: users ranked in blocks (``engine.batch_blocks.ScoredBlock``, equal to
  the runtime's ``engine.ranking.rank_block`` to the last bit); a filter is a mask over each
  user's head, and over the whole catalogue when the head holds too few allowed items (what the
  runtime does);
- popularity / trending: one ranking for every line; related items: one ranking prefix per
  anchor item, deepened only while a filter leaves too few;
- anything else (personalized ranking, theme generation, recipes that exclude a user's
  purchases, lines the runtime would refuse) goes line by line through ``_batch_line``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import batch_blocks
from ..engine import ranking as scoring
from ..exceptions import InvalidInputException
from .exploration import Entry, Exploration
from .serving import HEAD, POPULAR_FAMILIES, RELATED_FAMILIES, Endpoint



def parse_line(line: str) -> tuple[Any, str | None]:
    """(the line's JSON value, or the output line for a line that is not a JSON object)."""
    try:
        given = json.loads(line)
    except ValueError:
        return None, json.dumps({"input": line, "output": None, "error": "The line is not valid JSON."})
    if not isinstance(given, dict):
        return given, json.dumps({"input": given, "output": None, "error": "Each line must be a JSON object."})
    return given, None


def output_line(given: Any, item_texts: list[str], scores: list[float] | None) -> str:
    """``json.dumps({"input": given, "output": {"recommendedItems": ..., "scores": ...},
    "error": None})``, character for character, from item ids already in JSON text: the
    line's own parts are all that is encoded per line."""
    if scores is not None and not all(map(math.isfinite, scores)):  # json's NaN / Infinity spellings
        output = {"recommendedItems": [json.loads(t) for t in item_texts], "scores": scores}
        return json.dumps({"input": given, "output": output, "error": None})
    line = '{"input": ' + json.dumps(given) + ', "output": {"recommendedItems": [' + ", ".join(item_texts) + "]"
    if scores is not None:
        line += ', "scores": [' + ", ".join(map(float.__repr__, scores)) + "]"
    return line + '}, "error": null}'


class FileAnswers:
    """Output lines for one input file of a batch inference job on ``endpoint``."""

    def __init__(self, backend: Any, endpoint: Endpoint, filter_arn: str | None, k: int,
                 theme_column: str | None = None) -> None:
        self.backend = backend
        self.endpoint = endpoint
        self.filter_arn = filter_arn
        self.k = k
        self.theme_column = theme_column
        self.catalog = backend._catalog(endpoint)
        self.exploration = Exploration(endpoint, k)
        self.id_texts: dict[int, str] = {}  # item code -> its id as JSON text

    def answer(self, lines: list[str]) -> list[str]:
        recipe = self.endpoint.recipe
        out: list[str | None] = [None] * len(lines)
        fast: list[tuple[int, dict[str, Any]]] = []
        blockable = not self.theme_column and not recipe.auto_exclude_event_type and recipe.family in (
            ("user_personalization",) + RELATED_FAMILIES + POPULAR_FAMILIES)
        for index, line in enumerate(lines):
            given, refused = parse_line(line)
            if refused is not None:
                out[index] = refused
            elif blockable and self._plain(given):
                fast.append((index, given))
            else:
                out[index] = self.backend._batch_line(self.endpoint, given, self.filter_arn, self.k, self.theme_column)
        if fast:
            if recipe.family == "user_personalization":
                self._scored(fast, out)
            else:
                self._listed(fast, out)
        return out  # type: ignore[return-value]

    def _plain(self, given: dict[str, Any]) -> bool:
        """A line the runtime answers without refusing it before ranking: ids where the recipe
        needs them, and strings."""
        recipe = self.endpoint.recipe
        user, item = given.get("userId"), given.get("itemId")
        if user is not None and not isinstance(user, str) or item is not None and not isinstance(item, str):
            return False
        return not (recipe.user_id_required and not user) and not (recipe.item_id_required and not item)

    # ---- one line, given its ranking ---------------------------------------------------------
    def _line_codes(self, given: dict[str, Any]) -> tuple[int | None, int | None, Any]:
        user, item = given.get("userId"), given.get("itemId")
        user_code = self.catalog.users.find(user) if user else None
        item_code = self.catalog.items.find(item) if item else None
        return user_code, item_code, given.get("filterValues") if self.filter_arn else None

    def _permitted(self, user_code: int | None, item_code: int | None, values: Any) -> Callable[[np.ndarray], np.ndarray]:
        """The runtime's mask of the items a request may return (filter, the anchor item)."""
        def permitted(codes: np.ndarray) -> np.ndarray:
            mask = self.backend._filter_mask(self.filter_arn, values, self.endpoint, codes, user_code, item_code, "ItemID")
            if item_code is not None:
                mask &= codes != item_code
            return mask

        return permitted

    def _write(self, given: dict[str, Any], entries: list[Entry], user_id: str | None,
               permitted: Callable[[np.ndarray], np.ndarray] | None, score_of: Any = None) -> str:
        """The output line: ``_batch_line``'s, from the runtime's entries (exploration added as
        exploration adds it; ``_predicted_items`` without metadata or promotion
        keeps the item ids and the scores there are)."""
        entries = self.exploration.explore(entries, permitted, user_id,
                                           self.endpoint.score_of if score_of is None else score_of)
        texts, ids = self.id_texts, self.catalog.items.values
        items = []
        for code, _, _ in entries:
            text = texts.get(code)
            if text is None:
                text = texts[code] = json.dumps(ids[code])
            items.append(text)
        scores = [score for _, score, _ in entries if score is not None] if self.endpoint.recipe.scores else None
        return output_line(given, items, scores)

    @staticmethod
    def _error(given: dict[str, Any], error: InvalidInputException) -> str:
        return json.dumps({"input": given, "output": None, "error": error.message})

    # ---- user-personalization ----------------------------------------------------------------
    def _scored(self, lines: list[tuple[int, dict[str, Any]]], out: list[str | None]) -> None:
        endpoint, k = self.endpoint, self.k
        model = endpoint.trained.model
        codes = scoring.serving_catalogue(model)
        histories = UserHistories(self.backend, endpoint, model)
        shown = model.extra.get("impressed_unclicked") or {}
        # One ranked row per user; users without history (nor impressions) share the row of None.
        by_user: dict[int | None, list[tuple[int, dict[str, Any], int | None, int | None, Any]]] = {}
        for index, given in lines:
            user_code, item_code, values = self._line_codes(given)
            key = user_code if user_code in shown or len(histories.of(user_code)) else None
            by_user.setdefault(key, []).append((index, given, user_code, item_code, values))
        users = sorted(by_user, key=lambda c: -1 if c is None else c)
        self.position_of = np.full(int(codes.max()) + 1 if len(codes) else 0, -1, np.int64)
        self.position_of[codes] = np.arange(len(codes))
        head = max(k + 1, HEAD) if self.filter_arn else k + 1  # k + 1: room to drop the anchor item

        def rank(part: slice) -> tuple[batch_blocks.ScoredBlock, list[np.ndarray], list[tuple[int, str]]]:
            here = users[part]
            block = batch_blocks.ScoredBlock(model, codes, here, [histories.of(c) for c in here])
            tops = block.top(None, head)
            if self.filter_arn is not None:  # filters: lines written by the caller, one thread
                return block, tops, []
            # Without a filter a line needs nothing shared but reads: written here, in the
            # worker threads, from the scores of each row's head (one vectorised call).
            heads = block.head_scores(tops)
            lines = []
            for offset, key in enumerate(here):
                for index, given, user_code, item_code, values in by_user[key]:
                    lines.append((index, self._scored_line(block, offset, tops[offset], given, user_code,
                                                           item_code, values, heads[offset])))
            return block, tops, lines

        parts = batch_blocks.blocks(len(users), batch_blocks.block_size(len(codes)))
        for part, (block, tops, lines) in batch_blocks.in_parallel(rank, parts, warm=lambda: _warm(model, codes)):
            for index, line in lines:
                out[index] = line
            if self.filter_arn is None:
                continue
            for offset, key in enumerate(users[part]):
                for index, given, user_code, item_code, values in by_user[key]:
                    out[index] = self._scored_line(block, offset, tops[offset], given, user_code, item_code, values)

    def _scored_line(self, block: batch_blocks.ScoredBlock, row: int, top: np.ndarray, given: dict[str, Any],
                     user_code: int | None, item_code: int | None, values: Any,
                     head_scores: np.ndarray | None = None) -> str:
        """One line from its user's row of ``block`` (``top``: the row's head, ``head_scores``
        its scores when known). Without a filter this runs in worker threads: nothing here
        writes shared state (the line's score lookup goes to exploration as an argument)."""
        k, codes = self.k, block.codes
        permitted = self._permitted(user_code, item_code, values)
        scores = None
        try:
            if self.filter_arn is None:
                keep = None if item_code is None else codes[top] != item_code
                picked = top if keep is None else top[keep]
                if head_scores is not None:
                    scores = (head_scores if keep is None else head_scores[keep])[:k]
            else:
                allowed = permitted(codes[top])
                if int(allowed.sum()) >= k or len(top) == len(codes):
                    picked = top[allowed]
                else:  # the head holds too few: the whole catalogue, as the runtime does
                    picked = block.top([row], k, allowed=permitted(codes))[0]
        except InvalidInputException as error:
            return self._error(given, error)
        picked = picked[:k]
        if scores is None:
            scores = block.scores(row, picked)
        entries: list[Entry] = [(c, s, None) for c, s in zip(codes[picked].tolist(), scores.tolist())]
        score_of = _block_lookup(block, row, self.position_of)
        plain = self.filter_arn is None and item_code is None
        return self._write(given, entries, given.get("userId"), None if plain else permitted, score_of)

    # ---- popularity, trending, related items -------------------------------------------------
    def _listed(self, lines: list[tuple[int, dict[str, Any]]], out: list[str | None]) -> None:
        model = self.endpoint.trained.model
        related = self.endpoint.recipe.family in RELATED_FAMILIES
        self.endpoint.score_of = None
        everything = len(model.items) + 1 if related else len(model.codes)
        full = None if related else model.top(everything).astype(np.int64)
        last: list[Any] = [None, 0, None]  # anchor, depth asked, ranking prefix (lines come by anchor)

        def prefix(anchor: int, depth: int) -> np.ndarray:
            """The first ``depth`` of the runtime's ranking (``related`` / ``top`` give prefixes
            of their longer answers)."""
            if full is not None:
                return full[:depth]
            if last[0] != anchor or last[1] < depth and len(last[2]) >= last[1]:
                last[:] = [anchor, depth, model.related(anchor, min(depth, everything)).astype(np.int64)]
            return last[2][:depth]

        order = sorted(lines, key=lambda line: str(line[1].get("itemId")))  # one anchor's lines together
        for index, given in order:
            user_code, item_code, values = self._line_codes(given)
            anchor = -1 if item_code is None else int(item_code)
            permitted = self._permitted(user_code, item_code, values)
            depth = self.k + 1
            try:
                while True:
                    ranking = prefix(anchor, depth)
                    if self.filter_arn is None and item_code is None:
                        picked = ranking
                        break
                    allowed = permitted(ranking)
                    if int(allowed.sum()) >= self.k or len(ranking) < depth or depth >= everything:
                        picked = ranking[allowed]
                        break
                    depth = min(depth * 4, everything)
            except InvalidInputException as error:
                out[index] = self._error(given, error)
                continue
            entries: list[Entry] = [(c, None, None) for c in picked[: self.k].tolist()]
            out[index] = self._write(given, entries, given.get("userId"), permitted)


def _warm(model: Any, codes: np.ndarray) -> None:
    """Fill the model's derived caches once, before blocks are ranked side by side."""
    scoring.tie_breaks(model, codes)
    if len(model.items):
        model.raw_block(model.user_block([np.empty(0, np.int64)]))


def _block_lookup(block: batch_blocks.ScoredBlock, row: int, position_of: np.ndarray) -> Callable[[list[int]], dict[int, float]]:
    """code -> score for one user of the block (exploration scores items outside the list):
    the block's own softmax, which is ``engine.ranking.score_lookup``'s to the last bit.
    ``position_of``: catalogue code -> position in ``block.codes``."""
    def score_of(wanted: list[int]) -> dict[int, float]:
        return dict(zip(wanted, block.scores(row, position_of[np.asarray(wanted, np.int64)]).tolist()))

    return score_of


class UserHistories:
    """Each user's model item rows, oldest first, as the runtime folds them in: the rows of the
    interactions table (of the solution's event type, if it has one) ordered by timestamp,
    insertion order among equal timestamps."""

    def __init__(self, backend: Any, endpoint: Endpoint, model: Any) -> None:
        dataset = backend.group_dataset(endpoint.dataset_group_arn, "INTERACTIONS")
        self.spans: dict[int, tuple[int, int]] = {}
        if dataset is None or not len(dataset.table):
            return
        table = dataset.table
        order, keys, bounds = table.grouped("USER_ID")
        group = np.repeat(np.arange(len(keys)), np.diff(bounds))
        if endpoint.event_type is not None and "EVENT_TYPE" in table.dtypes:
            wanted = table.strings.find(endpoint.event_type)
            keep = table.column("EVENT_TYPE")[order] == (-2 if wanted is None else wanted)
            order, group = order[keep], group[keep]
        if "TIMESTAMP" in table.dtypes and len(order) > 1:
            stamps = table.column("TIMESTAMP")[order]
            inside = group[1:] == group[:-1]
            if (stamps[1:][inside] < stamps[:-1][inside]).any():  # not yet oldest first
                order = order[np.lexsort((stamps, group))]  # groups stay where they were
        positions = model.items.positions(table.column("ITEM_ID")[order])
        known = positions >= 0  # rows of items the model has
        bounds = np.searchsorted(group[known], np.arange(len(keys) + 1))
        self.positions = positions[known]
        self.spans = dict(zip(keys.tolist(), zip(bounds[:-1].tolist(), bounds[1:].tolist())))

    def of(self, user_code: int | None) -> np.ndarray:
        span = self.spans.get(user_code) if user_code is not None else None
        return self.positions[span[0]:span[1]] if span else np.empty(0, np.int64)
