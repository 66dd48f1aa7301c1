"""Campaigns: a deployed solution version that the runtime API answers from.

A campaign serves one ACTIVE solution version with one configuration. UpdateCampaign leaves
the campaign ACTIVE and runs ``latestCampaignUpdate`` through its own CREATE lifecycle (state
manager model ``personalize::campaign-update``); the previous version and configuration keep
serving until that update is ACTIVE. ``{solutionArn}/$LATEST`` names the solution's newest
ACTIVE version; with ``campaignConfig.syncWithLatestSolutionVersion`` the campaign follows
every newer version as soon as it is ACTIVE (automatic campaign updates).

Runtime-facing names: ``arn``, ``status``, ``serving_version`` (the SolutionVersion answering
now), ``serving_config`` (its campaignConfig), ``recipe`` and ``dataset_group_arn``.
"""

from __future__ import annotations

import math
from typing import Any

from .. import states
from ..exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from .base import Resource, Store, UpdateRecord, paginated
from .catalogue import EXPLORATION_DEFAULTS, USER_SEGMENTATION, RecipeInfo
from .training import Solution, SolutionVersion

MAX_CAMPAIGNS_PER_GROUP = 5
LATEST = "$LATEST"
EXPLORATION_KEYS = tuple(EXPLORATION_DEFAULTS)  # explorationWeight, explorationItemAgeCutOff


def exploration_config(given: dict[str, Any] | None, recipe: RecipeInfo, where: str) -> dict[str, str] | None:
    """``itemExplorationConfig`` checked against the recipe, defaults filled in (None if the
    recipe does not explore and none was given). Shared by campaigns and recommenders."""
    if given is None:
        return recipe.exploration_defaults or None
    if not recipe.exploration:
        raise InvalidInputException(
            f"{where}.itemExplorationConfig is not supported by {recipe.name}: only recipes with item "
            "exploration (User-Personalization, Top picks / Recommended for you) accept it."
        )
    for key in given:
        if key not in EXPLORATION_KEYS:
            raise InvalidInputException(
                f"{where}.itemExplorationConfig has an unknown key {key} "
                f"(accepted: {', '.join(EXPLORATION_KEYS)})."
            )
    weight = given.get("explorationWeight")
    if weight is not None and not _number_in(weight, lambda x: 0.0 <= x <= 1.0):
        raise InvalidInputException(
            f"{where}.itemExplorationConfig.explorationWeight '{weight}' must be a number from 0 to 1."
        )
    cutoff = given.get("explorationItemAgeCutOff")
    if cutoff is not None and not _number_in(cutoff, lambda x: x > 0.0):
        raise InvalidInputException(
            f"{where}.itemExplorationConfig.explorationItemAgeCutOff '{cutoff}' must be a positive "
            "number of days."
        )
    filled = dict(EXPLORATION_DEFAULTS)
    filled.update({key: str(value) for key, value in given.items()})
    return filled


def _number_in(value: Any, accept: Any) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and accept(number)


class CampaignUpdate(UpdateRecord):
    """``latestCampaignUpdate``: its own CREATE lifecycle while the campaign stays ACTIVE."""

    def __init__(self, version: SolutionVersion, requested_arn: str, tps: int, config: dict[str, Any] | None) -> None:
        super().__init__("campaign")
        self.version = version  # resolved at update time; with sync, the latest ACTIVE one follows
        self.requested_arn = requested_arn  # as the caller wrote it ($LATEST alias kept)
        self.min_provisioned_tps = tps
        self.campaign_config = config

    @property
    def solution_version_arn(self) -> str:
        return _following(self.version, self.campaign_config).arn


def _following(version: SolutionVersion, config: dict[str, Any] | None) -> SolutionVersion:
    """The version a deployment serves: with syncWithLatestSolutionVersion, the solution's
    newest ACTIVE version (automatic campaign updates), else the one deployed."""
    if config and config.get("syncWithLatestSolutionVersion"):
        latest = latest_active(version.solution)
        if latest is not None:
            return latest
    return version


def latest_active(solution: Solution) -> SolutionVersion | None:
    active = [v for v in solution.versions if v.status == states.ACTIVE]
    return active[-1] if active else None


class Campaign(Resource):
    kind = "campaign"

    def __init__(self, arn: str, name: str, version: SolutionVersion, requested_arn: str, tps: int,
                 config: dict[str, Any] | None) -> None:
        super().__init__(arn, name)
        self.dataset_group_arn = version.dataset_group_arn
        # What serves while no update is ACTIVE; an ACTIVE update is folded in here when the
        # next update starts.
        self._version = version
        self._requested_arn = requested_arn
        self._tps = tps
        self._config = config
        self.latest_campaign_update: CampaignUpdate | None = None

    def advance(self) -> None:
        super().advance()
        if self.latest_campaign_update:
            self.latest_campaign_update.advance()

    # ---- the deployment in effect --------------------------------------------------------
    def _current(self) -> tuple[SolutionVersion, str, int, dict[str, Any] | None]:
        update = self.latest_campaign_update
        if update is not None and update.status == states.ACTIVE:
            return update.version, update.requested_arn, update.min_provisioned_tps, update.campaign_config
        return self._version, self._requested_arn, self._tps, self._config

    def settle(self) -> None:
        """Make an ACTIVE update the base before a new update replaces it."""
        self._version, self._requested_arn, self._tps, self._config = self._current()

    @property
    def serving_version(self) -> SolutionVersion:
        version, _, _, config = self._current()
        return _following(version, config)

    @property
    def serving_config(self) -> dict[str, Any]:
        return dict(self._current()[3] or {})

    @property
    def requested_arn(self) -> str:
        return self._current()[1]

    @property
    def solution(self) -> Solution:
        return self.serving_version.solution

    @property
    def recipe(self) -> RecipeInfo:
        recipe = self.solution.recipe
        assert recipe is not None  # a solution always resolves its recipe
        return recipe

    # ---- DescribeCampaign members --------------------------------------------------------
    @property
    def solution_version_arn(self) -> str:
        return self.serving_version.arn

    @property
    def min_provisioned_tps(self) -> int:
        return self._current()[2]

    @property
    def campaign_config(self) -> dict[str, Any] | None:
        return self._current()[3]

    def uses_solution(self, solution_arn: str) -> bool:
        versions = [self._version, self.serving_version]
        if self.latest_campaign_update is not None:
            versions.append(self.latest_campaign_update.version)
        return any(v.solution_arn == solution_arn for v in versions)


class CampaignsMixin:
    """Backend operations for campaigns. Mixed into PersonalizeBackend."""

    campaigns: Store[Campaign]
    solutions: Store[Solution]
    solution_versions: Store[SolutionVersion]

    def _deployable(self, solution_version_arn: str) -> SolutionVersion:
        """An ACTIVE solution version, or a solution's ``$LATEST`` resolved to its newest one."""
        if solution_version_arn.endswith("/" + LATEST):
            solution_arn = solution_version_arn[: -len(LATEST) - 1]
            solution = self.solutions.get(solution_arn)
            version = latest_active(solution)
            if version is None:
                if solution.versions:
                    raise ResourceInUseException(
                        f"Solution {solution_arn} has no ACTIVE solution version yet; wait for training to finish."
                    )
                raise ResourceNotFoundException(f"Solution {solution_arn} has no solution version to deploy.")
            return version
        version = self.solution_versions.get(solution_version_arn)
        if version.status != states.ACTIVE:
            raise ResourceInUseException(
                f"Solution version {solution_version_arn} is {version.status}; it must be ACTIVE."
            )
        return version

    @staticmethod
    def _campaign_config(config: dict[str, Any] | None, recipe: RecipeInfo, requested_arn: str) -> dict[str, Any] | None:
        result = {k: v for k, v in (config or {}).items() if v is not None}
        if result.get("syncWithLatestSolutionVersion") and not requested_arn.endswith("/" + LATEST):
            raise InvalidInputException(
                "campaignConfig.syncWithLatestSolutionVersion is true: solutionVersionArn must be the "
                "solution's ARN in SolutionArn/$LATEST format."
            )
        exploration = exploration_config(result.get("itemExplorationConfig"), recipe, "campaignConfig")
        if exploration is not None:
            result["itemExplorationConfig"] = exploration
        return result or None

    @staticmethod
    def _campaign_recipe(recipe: RecipeInfo | None) -> RecipeInfo:
        assert recipe is not None
        if recipe.recipe_type == USER_SEGMENTATION:
            raise InvalidInputException(
                f"Recipe {recipe.arn} is a USER_SEGMENTATION recipe: its solution versions serve batch "
                "segment jobs only and cannot be deployed in a campaign."
            )
        return recipe

    def create_campaign(
        self,
        name: str,
        solution_version_arn: str,
        min_provisioned_tps: int | None = None,
        campaign_config: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        arn = self.arn(f"campaign/{name}")  # type: ignore[attr-defined]
        self.campaigns.ensure_new(arn)
        version = self._deployable(solution_version_arn)
        recipe = self._campaign_recipe(version.solution.recipe)
        config = self._campaign_config(campaign_config, recipe, solution_version_arn)
        live = [c for c in self.campaigns if c.dataset_group_arn == version.dataset_group_arn and not c.deleting]
        if len(live) >= MAX_CAMPAIGNS_PER_GROUP:
            raise LimitExceededException(
                "Cannot create a campaign. More than 5 resources in ACTIVE state. Please delete some and try again."
            )
        tps = 1 if min_provisioned_tps is None else min_provisioned_tps
        campaign = Campaign(arn, name, version, solution_version_arn, tps, config)
        self.create_tagged(self.campaigns, campaign, tags)  # type: ignore[attr-defined]
        return {"campaignArn": campaign.arn}

    def describe_campaign(self, campaign_arn: str) -> dict[str, Any]:
        return {"campaign": self.campaigns.describe(campaign_arn)}

    @paginated("campaigns")
    def list_campaigns(self, solution_arn: str | None = None) -> list[Campaign]:
        # An unknown solution lists nothing: ListCampaigns declares no ResourceNotFoundException.
        return self.campaigns.listed(lambda c: solution_arn in (None, c.solution.arn))

    def update_campaign(
        self,
        campaign_arn: str,
        solution_version_arn: str | None = None,
        min_provisioned_tps: int | None = None,
        campaign_config: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        campaign = self.campaigns.get(campaign_arn)
        if campaign.status not in (states.ACTIVE, states.CREATE_FAILED):
            raise ResourceInUseException(
                f"Campaign {campaign_arn} is {campaign.status}; it must be ACTIVE or CREATE FAILED to be updated."
            )
        update = campaign.latest_campaign_update
        if update is not None and update.status not in (states.ACTIVE, states.CREATE_FAILED):
            raise ResourceInUseException(f"Campaign {campaign_arn} already has an update in progress ({update.status}).")
        requested = solution_version_arn or campaign.requested_arn
        if solution_version_arn:
            version = self._deployable(solution_version_arn)
            if version.dataset_group_arn != campaign.dataset_group_arn:
                raise InvalidInputException(
                    f"Solution version {version.arn} belongs to dataset group {version.dataset_group_arn}, "
                    f"not to the campaign's dataset group {campaign.dataset_group_arn}."
                )
        else:
            version = campaign._current()[0]
        recipe = self._campaign_recipe(version.solution.recipe)
        merged = dict(campaign.campaign_config or {})
        if campaign_config:
            merged.update({k: v for k, v in campaign_config.items() if v is not None})
        if not recipe.exploration and "itemExplorationConfig" not in (campaign_config or {}):
            # A version of a recipe without exploration drops a previous exploration config.
            merged.pop("itemExplorationConfig", None)
        config = self._campaign_config(merged, recipe, requested)
        tps = campaign.min_provisioned_tps if min_provisioned_tps is None else min_provisioned_tps
        campaign.settle()
        campaign.latest_campaign_update = CampaignUpdate(version, requested, tps, config)
        campaign.touch()
        return {"campaignArn": campaign.arn}

    def delete_campaign(self, campaign_arn: str) -> None:
        campaign = self.campaigns.get(campaign_arn)
        if campaign.deleting:
            raise ResourceInUseException(f"Campaign {campaign_arn} is already being deleted.")
        if campaign.status in (states.CREATE_PENDING, states.CREATE_IN_PROGRESS):
            raise ResourceInUseException(
                f"Campaign {campaign_arn} is {campaign.status}; wait until it is ACTIVE or CREATE FAILED."
            )
        campaign.start_delete()

    def solution_users(self, solution_arn: str) -> list[str]:
        """ARNs of the campaigns deploying any version of the solution (DeleteSolution refuses)."""
        return [c.arn for c in self.campaigns if c.uses_solution(solution_arn)]
