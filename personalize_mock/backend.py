"""PersonalizeBackend: one per account and region, serving all three Personalize APIs."""

from __future__ import annotations

import threading
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.utilities.tagging_service import TaggingService

from .exceptions import not_found
from .resources.base import Resource, Store
from .resources.batch import (
    BatchInferenceJob,
    BatchMixin,
    BatchSegmentJob,
    SegmentsMixin,
)
from .resources.campaigns import Campaign, CampaignsMixin
from .resources.catalogue import CatalogueMixin
from .resources.datasets import (
    Dataset,
    DatasetGroup,
    DatasetsMixin,
    EventTracker,
    Schema,
)
from .resources.events import EventsMixin
from .resources.filters import Filter, FiltersMixin
from .resources.jobs import (
    DataDeletionJob,
    DatasetExportJob,
    DatasetImportJob,
    JobsMixin,
)
from .resources.metric_attributions import MetricAttribution, MetricAttributionsMixin
from .resources.recommenders import Recommender, RecommendersMixin
from .resources.serving import ServingMixin
from .resources.tagging import TaggingMixin
from .resources.training import Solution, SolutionVersion, TrainingMixin


class _Changes:
    """How many calls have reached any backend (and resets): the state saver saves when it moves."""

    value = 0

    def bump(self) -> None:
        self.value += 1


CHANGES = _Changes()


class PersonalizeBackend(
    DatasetsMixin, EventsMixin, JobsMixin, BatchMixin, SegmentsMixin, TrainingMixin, CampaignsMixin, RecommendersMixin, FiltersMixin,
    MetricAttributionsMixin, TaggingMixin, ServingMixin, CatalogueMixin, BaseBackend
):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        # All state lives here so moto's reset (which re-runs __init__) clears it, lock included.
        self.lock = threading.RLock()
        CHANGES.bump()
        self.tagger = TaggingService("tags", "tagKey", "tagValue")
        forget = self.tagger.delete_all_tags_for_resource
        self.schemas: Store[Schema] = Store("Schema", forget)
        self.dataset_groups: Store[DatasetGroup] = Store("Dataset group", forget)
        self.datasets: Store[Dataset] = Store("Dataset", forget)
        self.event_trackers: Store[EventTracker] = Store("Event tracker", forget)
        self.import_jobs: Store[DatasetImportJob] = Store("Dataset import job", forget)
        self.export_jobs: Store[DatasetExportJob] = Store("Dataset export job", forget)
        self.deletion_jobs: Store[DataDeletionJob] = Store("Data deletion job", forget)
        self.solutions: Store[Solution] = Store("Solution", forget)
        self.solution_versions: Store[SolutionVersion] = Store("Solution version", forget)
        self.campaigns: Store[Campaign] = Store("Campaign", forget)
        self.recommenders: Store[Recommender] = Store("Recommender", forget)
        self.filters: Store[Filter] = Store("Filter", forget)
        self.batch_inference_jobs: Store[BatchInferenceJob] = Store("Batch inference job", forget)
        self.batch_segment_jobs: Store[BatchSegmentJob] = Store("Batch segment job", forget)
        self.metric_attributions: Store[MetricAttribution] = Store("Metric attribution", forget)
        # ARN resource type -> store, for lookups by ARN alone (tags).
        self.stores: dict[str, Store[Any]] = {
            "schema": self.schemas,
            "dataset-group": self.dataset_groups,
            "dataset": self.datasets,
            "event-tracker": self.event_trackers,
            "dataset-import-job": self.import_jobs,
            "dataset-export-job": self.export_jobs,
            "data-deletion-job": self.deletion_jobs,
            "solution": self.solutions,
            "campaign": self.campaigns,
            "recommender": self.recommenders,
            "filter": self.filters,
            "batch-inference-job": self.batch_inference_jobs,
            "batch-segment-job": self.batch_segment_jobs,
        }

    # BaseBackend derives "<module>.rstrip('models') + 'urls'", which breaks for backend.py;
    # registration hands the routes (``urls``, which sits above this module) down instead.
    url_module: Any = None

    @property
    def _url_module(self) -> Any:
        return type(self).url_module

    def arn(self, tail: str) -> str:
        return f"arn:{self.partition}:personalize:{self.region_name}:{self.account_id}:{tail}"

    def resource(self, arn: str) -> Resource:
        """Any resource of this backend by ARN; ResourceNotFoundException if there is none."""
        prefix = f"arn:{self.partition}:personalize:{self.region_name}:{self.account_id}:"
        if not arn.startswith(prefix):
            raise not_found(arn)
        tail = arn[len(prefix):]
        store = self.stores.get(tail.split("/", 1)[0])
        if store is self.solutions and tail.count("/") == 2:  # solution/{name}/{version id}
            store = self.solution_versions
        if store is None:
            raise not_found(arn)
        return store.get(arn)

    def group_children(self, dataset_group_arn: str) -> list[Resource]:
        """The resources that keep a dataset group from being deleted."""
        return [
            r
            for store in (self.datasets, self.event_trackers, self.solutions, self.campaigns, self.recommenders,
                          self.filters)
            for r in store
            if r.dataset_group_arn == dataset_group_arn
        ]


personalize_backends = BackendDict(PersonalizeBackend, "personalize")


def existing_backend(account_id: str, region: str) -> PersonalizeBackend | None:
    """The backend of one account and region if it was created, without creating it (and
    cheaper than ``BackendDict`` indexing, which the runtime's hot path avoids)."""
    regions = personalize_backends.get(account_id)
    return regions.get(region) if regions is not None else None


def existing_backends() -> list[PersonalizeBackend]:
    """Every backend created so far (all accounts and regions), without creating any:
    ``BackendDict`` indexing creates, its plain dict views do not."""
    return [backend for regions in list(personalize_backends.values()) for backend in list(regions.values())]
