"""A gRPC server that starts answering with another model version mid-run fails the run clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from whale_assets.sources.model_server import ModelServerError, ServedModelSpec, load_served_model, parse_server
from whale_assets_tests.sources.model_server.mars_audio import mars_noise
from whale_assets_tests.support.model_server import running_grpc_model_server


def test_a_version_switch_mid_run_fails_saying_to_run_again(humpback_savedmodel_dir: Path, tmp_path: Path) -> None:
    models = tmp_path / "humpback_whale"
    models.mkdir()
    (models / "1").symlink_to(humpback_savedmodel_dir, target_is_directory=True)
    audio = mars_noise(30, seed=11)
    with running_grpc_model_server(models) as url:
        latest = load_served_model(ServedModelSpec(parse_server(url)))
        pinned = load_served_model(ServedModelSpec(parse_server(url), version=1))
        before = latest.score(audio)
        (models / "2").symlink_to(humpback_savedmodel_dir, target_is_directory=True)  # TF Serving loads it, serves it

        with pytest.raises(ModelServerError) as caught:
            latest.score(audio)
        pinned_scores = pinned.score(audio)  # a pinned version keeps being answered by that version

    message = str(caught.value)
    assert not caught.value.transient
    assert "answered with version 2, the run started on 1" in message and "run again" in message
    assert latest.version == 1 and latest.label.endswith("/versions/1")
    np.testing.assert_array_equal(pinned_scores, before)
