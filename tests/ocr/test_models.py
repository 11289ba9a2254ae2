"""The OCR model files: installed from the pinned wheels (and converted where the ONNX engine
needs it), verified, loadable offline."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from pipeline.config import ROOT, Config
from pipeline.ocr import models
from pipeline.ocr.models import MODEL_SPECS, ModelsMissing, install, model_dirs
from pipeline.pdf import sha256_of

MODELS_DIR = ROOT / "models"
WHEEL = models.WHEELS_DIR / models.WHEEL_FILENAME


def read_config(spec) -> dict:
    return yaml.safe_load((MODELS_DIR / spec.folder / models.CONFIG_FILE).read_text(encoding="utf-8"))


@pytest.fixture
def fresh_models(tmp_path) -> Config:
    """A models folder as a fresh checkout has it: configs and SHA256SUMS, no binaries."""
    target = tmp_path / "models"
    target.mkdir()
    shutil.copy(MODELS_DIR / models.CHECKSUMS_FILE, target)
    for spec in MODEL_SPECS:
        (target / spec.folder).mkdir()
        shutil.copy(MODELS_DIR / spec.folder / models.CONFIG_FILE, target / spec.folder)
    return Config(models_dir=target)


def test_committed_configs_name_their_models():
    for spec in MODEL_SPECS:
        assert read_config(spec)["Global"]["model_name"] == spec.model_name
    names = models.model_names()
    assert names["det"] == "PP-OCRv4_mobile_det" and names["rec"] == "PP-OCRv4_mobile_rec"


def test_rec_config_carries_the_dictionary():
    rec = next(s for s in MODEL_SPECS if s.role == "rec")
    post = read_config(rec)["PostProcess"]
    assert post["name"] == "CTCLabelDecode"
    characters = post["character_dict"]
    assert len(characters) == models.DICT_SIZE == 6623
    assert all(isinstance(c, str) and len(c) == 1 for c in characters)
    if WHEEL.is_file():
        assert characters == models.read_dictionary(WHEEL)


def test_det_config_carries_db_postprocess():
    det = next(s for s in MODEL_SPECS if s.role == "det")
    config = read_config(det)
    assert config["PostProcess"] == {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6,
                                     "max_candidates": 1000, "unclip_ratio": 1.5}
    ops = [next(iter(op)) for op in config["PreProcess"]["transform_ops"]]
    assert ops == ["DecodeImage", "DetResizeForTest", "NormalizeImage", "ToCHWImage"]


def test_checksums_cover_every_binary():
    checksums = models.read_checksums(MODELS_DIR)
    expected = {f"{s.folder}/{name}" for s in MODEL_SPECS for name in models.BINARY_FILES}
    assert set(checksums) == expected
    assert all(len(digest) == 64 for digest in checksums.values())


def test_binaries_ignored_and_configs_committed():
    binaries = [f"models/{name}" for name in models.read_checksums(MODELS_DIR)]
    committed = ["models/SHA256SUMS", "models/README.md"] + [
        f"models/{s.folder}/{models.CONFIG_FILE}" for s in MODEL_SPECS]
    ignored = subprocess.run(["git", "check-ignore", *binaries, *committed], cwd=ROOT,
                             capture_output=True, text=True).stdout.split()
    assert sorted(ignored) == sorted(binaries)


def test_installed_models_verify():
    dirs = model_dirs(Config())
    assert set(dirs) == {"det", "rec", "cls"}
    for folder in dirs.values():
        assert (folder / "inference.pdmodel").is_file() and (folder / "inference.pdiparams").is_file()


def test_missing_models_say_how_to_fix(fresh_models):
    with pytest.raises(ModelsMissing, match="run `make models`"):
        model_dirs(fresh_models)


@pytest.fixture
def local_wheel(tmp_path, monkeypatch) -> Path:
    """A wheels folder holding a small stand-in for the pinned wheel, built from the model files
    `make models` installed (verified against SHA256SUMS first), at the members install() reads;
    ensure_wheel checks it against its own sha256. No network, no dependence on .cache/wheels."""
    installed = model_dirs(Config())           # the installed binaries are the pinned ones
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel = wheels / models.WHEEL_FILENAME
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as archive:
        for spec in MODEL_SPECS:
            for name in models.BINARY_FILES:
                archive.write(installed[spec.role] / name, f"{spec.wheel_dir}/{name}")
    digest = sha256_of(wheel)
    pinned = models.ensure_wheel

    def ensure_local(wheels_dir=wheels, *args, **kwargs):
        assert Path(wheels_dir) == wheels, "install() must use the wheels folder it is given"
        return pinned(wheels_dir, sha256=digest)

    monkeypatch.setattr(models, "ensure_wheel", ensure_local)
    return wheels


def test_install_is_idempotent_and_repairs(fresh_models, local_wheel):
    written = install(fresh_models, wheels_dir=local_wheel)
    assert len(written) == 2 * len(MODEL_SPECS)
    assert model_dirs(fresh_models)
    started = time.perf_counter()
    assert install(fresh_models, wheels_dir=local_wheel) == []
    assert time.perf_counter() - started < 2.0
    damaged = fresh_models.models_dir / "PP-OCRv4_mobile_rec" / "inference.pdiparams"
    damaged.write_bytes(b"not a model")
    with pytest.raises(ModelsMissing, match="does not match"):
        model_dirs(fresh_models)
    assert install(fresh_models, wheels_dir=local_wheel) == [damaged]
    assert model_dirs(fresh_models)
    assert not list(fresh_models.models_dir.rglob("*.part"))


def test_importing_ocr_does_not_import_paddle():
    code = ("import sys, pipeline.ocr, pipeline.ocr.models, pipeline.ocr.paddle; "
            "loaded = [m for m in sys.modules if m.split('.')[0] in ('paddle', 'paddleocr', 'paddlex')]; "
            "assert not loaded, loaded")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_onnx_models_installed_and_pinned():
    config = Config()
    for path in (models.recognizer_model_path(config), models.detector_model_path(config)):
        assert path.is_file() and path.relative_to(MODELS_DIR)
        assert subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT).returncode == 0
    characters = models.recognizer_characters(config)
    assert len(characters) == models.DICT_SIZE + 2 and characters[-1] == " "


def test_recognizer_conversion_is_reproducible(tmp_path):
    """`make models` converts the wheel's paddle recognizer to ONNX on the machine it runs on:
    the result must be the pinned file, byte for byte, or the install fails."""
    target = tmp_path / "inference.onnx"
    models.convert_recognizer(MODELS_DIR / "PP-OCRv4_mobile_rec", target)
    assert sha256_of(target) == models.RECOGNIZER_ONNX_SHA256
    assert not list(tmp_path.glob("*.part"))


def test_missing_onnx_models_say_how_to_fix(fresh_models):
    with pytest.raises(ModelsMissing, match="run `make models`"):
        models.recognizer_model_path(fresh_models)
    with pytest.raises(ModelsMissing, match="run `make models`"):
        models.detector_model_path(fresh_models)


def test_a_verified_model_is_not_hashed_again_until_it_changes(tmp_path, monkeypatch):
    """The stamp a verification leaves lets the next process skip the hash; a file written again
    (same size, other bytes) is hashed and refused, whatever its stamp says."""
    folder = tmp_path / "models" / Path(models.DETECTOR_MODEL).parent
    folder.mkdir(parents=True)
    shutil.copy(MODELS_DIR / models.DETECTOR_MODEL, folder)
    config = Config(models_dir=tmp_path / "models")
    path = models.detector_model_path(config)
    stamp = path.with_name(path.name + models.STAMP_SUFFIX)
    assert stamp.read_text().startswith(models.DETECTOR_MODEL_SHA256)

    hashed = []
    real = models.sha256_of
    monkeypatch.setattr(models, "sha256_of", lambda p: hashed.append(p) or real(p))
    models.detector_model_path(config)
    assert hashed == []
    time.sleep(0.01)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelsMissing, match="run `make models`"):
        models.detector_model_path(config)
    assert hashed == [path]
    with pytest.raises(ModelsMissing):      # the stamp of the right file is no pass for this one
        models.detector_model_path(config)


def test_onnx_engine_never_imports_paddle():
    """The default engine loads and reads without paddle in the process."""
    code = ("import sys, numpy as np; from pipeline.ocr import get_engine; "
            "engine = get_engine(); image = np.full((48, 200, 3), 255, np.uint8); "
            "engine.recognize([image]); engine.detect_boxes(image); "
            "loaded = [m for m in sys.modules if m.split('.')[0] in ('paddle', 'paddleocr', 'paddlex')]; "
            "assert not loaded, loaded")
    env = {k: v for k, v in os.environ.items() if k != "GOVREPORT_OCR_ENGINE"}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=env)
