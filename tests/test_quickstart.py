"""The README's first command runs ``examples/quickstart.py``: it must work and say what it did."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"


def test_quickstart_runs_the_whole_path_and_prints_its_account() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # as on a fresh machine
    done = subprocess.run([sys.executable, str(QUICKSTART)], capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Traceback" not in out + done.stderr
    # Data imported from S3 by import jobs (the service's minimums: >= 1000 interactions).
    interactions = re.search(r"Interactions\s+(\d+)\s+s3://quickstart-data/interactions.csv\s+ACTIVE", out)
    assert interactions and int(interactions.group(1)) >= 1000, out
    assert re.search(r"Items\s+250\s+s3://quickstart-data/items.csv\s+ACTIVE", out), out
    # A trained solution version with its offline metrics.
    assert re.search(r"solution/quickstart-user-personalization/\w+: ACTIVE", out), out
    for metric in ("normalized_discounted_cumulative_gain_at_10", "precision_at_10",
                   "mean_reciprocal_rank_at_25", "coverage"):
        assert re.search(rf"{metric}\s+0\.\d{{4}}", out), metric
    # Campaign, event tracker, filter with a placeholder.
    assert re.search(r"campaign\s+campaign/quickstart\s+ACTIVE", out), out
    assert "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)" in out
    # Recommendations with and without the filter: the filtered ones are all documentaries.
    section = out.split("4. GetRecommendations", 1)[1].split("5. GetPersonalizedRanking", 1)[0]
    unfiltered, filtered = section.split("with the filter", 1)
    assert len(re.findall(r"^\s+\d+\s+movie-\d+\s+\w+\s+[\d.e+-]+$", unfiltered, re.M)) == 10
    genres = re.findall(r"^\s+\d+\s+movie-\d+\s+(\w+)\s", filtered, re.M)
    assert genres and set(genres) == {"Documentary"}, filtered
    assert re.search(r"recommendationId RID-\S+", section), section
    # Personalized ranking of a five-item input list.
    ranking = out.split("5. GetPersonalizedRanking", 1)[1].split("6. PutEvents", 1)[0]
    assert len(re.findall(r"^\s+\d+\s+movie-\d+\s+\w+\s+[\d.e+-]+$", ranking, re.M)) == 5, ranking
    # Events recorded with the recommendation's impression, and the recommendations moved.
    assert "recorded 5 events" in out and "(10 items shown)" in out
    moved = re.search(r"Horror in the top 10: (\d+) before, (\d+) after", out)
    assert moved and int(moved.group(2)) > int(moved.group(1)), out
    assert "Done." in out
