"""Campaigns, recommenders and the runtime calls (the serving issue fills this in)."""

from __future__ import annotations

from typing import Any

from ..exceptions import InvalidInputException, not_found


class ServingMixin:
    def get_recommendations(
        self, campaign_arn: str | None = None, recommender_arn: str | None = None, **_: Any
    ) -> dict[str, Any]:
        if bool(campaign_arn) == bool(recommender_arn):
            raise InvalidInputException("Specify exactly one of campaignArn and recommenderArn.")
        # No campaign or recommender can exist yet, so every ARN is unknown.
        raise not_found(campaign_arn or recommender_arn or "")
