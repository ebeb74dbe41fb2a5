"""The default image has no TensorFlow: the code location must load, and the humpback model must say what is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from whale_assets.sources import humpback_model
from whale_assets.sources.humpback_model import ModelLoadError

REPO = Path(__file__).resolve().parents[2]
# An interpreter in which `import tensorflow` fails, as in an image built without the model extra.
WITHOUT_TENSORFLOW = "import sys\nfor name in ('tensorflow', 'tensorflow_hub'):\n    sys.modules[name] = None\n"


@pytest.mark.parametrize("classifier", ["energy", "humpback", "served"])
def test_definitions_load_without_tensorflow_installed(tmp_path: Path, classifier: str) -> None:
    code = WITHOUT_TENSORFLOW + (
        "from whale_assets.definitions import defs\nassert defs.resolve_job_def('whale_pipeline') is not None\n"
    )
    env = {
        **os.environ,
        "WHALE_DATA_DIR": str(tmp_path),
        "WHALE_CLASSIFIER": classifier,
        "WHALE_MODEL_SERVER": "grpc://127.0.0.1:8500",
    }  # only read with served; nothing connects at load
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_humpback_model_without_tensorflow_names_the_model_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    monkeypatch.setitem(sys.modules, "tensorflow_hub", None)
    with pytest.raises(ModelLoadError, match=r"whale_assets\[model\]"):
        humpback_model.load_humpback_model(str(tmp_path))
