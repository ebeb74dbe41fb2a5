"""Over REST the grid comes from the signature defs and `score`: TF Serving refuses Predict on `metadata` there."""

from __future__ import annotations

import json

import pytest
import requests

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.sources.model_server import ModelServerError, ServedModelSpec, load_served_model, parse_server
from whale_assets.sources.model_server.score_probe import SCORE_INPUTS, parse_model_metadata, probe_grid

GRID = WindowGrid.for_step(10_000)
SPEC = ServedModelSpec(parse_server("http://serving:8501"))


def test_the_stand_in_rest_api_refuses_predict_on_a_signature_without_inputs_as_tf_serving_does(rest_url: str) -> None:
    body = json.dumps({"signature_name": "metadata", "inputs": {}})
    answer = requests.post(f"{rest_url}/v1/models/humpback_whale:predict", data=body, timeout=30)
    assert answer.status_code == 400  # INVALID_ARGUMENT, from util/json_tensor.cc
    assert answer.json() == {"error": "Failed to get input map for signature: metadata"}


def test_rest_load_reads_the_signature_defs_and_probes_score_without_calling_metadata(rest_url: str, faults) -> None:
    before = (faults.requests["metadata"], faults.requests["score"], faults.metadata_requests)

    model = load_served_model(ServedModelSpec(parse_server(rest_url)))

    assert model.grid == GRID and model.version == 1 and model.class_names == ("Mn",)
    after = (faults.requests["metadata"], faults.requests["score"], faults.metadata_requests)
    assert after == (before[0], before[1] + 2, before[2] + 1)  # no Predict on metadata; two on score; one GET


def test_the_rest_metadata_describes_score_as_tf_serving_prints_it(rest_url: str) -> None:
    answer = requests.get(f"{rest_url}/v1/models/humpback_whale/versions/1/metadata", timeout=30).json()
    waveform = answer["metadata"]["signature_def"]["signature_def"]["score"]["inputs"]["waveform"]
    assert waveform["dtype"] == "DT_FLOAT" and [d["size"] for d in waveform["tensor_shape"]["dim"]] == ["-1", "-1", "1"]
    metadata = parse_model_metadata(answer)
    assert metadata.version == 1 and metadata.signatures["score"].inputs == SCORE_INPUTS
    assert "scores" in metadata.signatures["score"].outputs


def windows_of(grid: WindowGrid):
    return lambda n_samples: grid.n_windows(n_samples)


def test_the_probe_finds_the_context_width_from_two_lengths() -> None:
    lengths = []

    def count(n_samples: int) -> int:
        lengths.append(n_samples)
        return GRID.n_windows(n_samples)

    assert probe_grid(count, SPEC, 10_000) == GRID
    assert lengths == [GRID.samples_for_windows(2) - 1, GRID.samples_for_windows(2)]  # one window, then two


@pytest.mark.parametrize("frames", [127, 129])
def test_a_model_with_another_context_width_fails_the_probe_naming_it(frames: int) -> None:
    other = WindowGrid.for_step(10_000, context_frames=frames)
    with pytest.raises(ModelServerError, match="context_width_samples|no context width") as caught:
        probe_grid(windows_of(other), SPEC, 10_000)
    assert not caught.value.transient and "signatures 'score' and 'metadata'" in str(caught.value)
