"""Inputs for the reader tests: one committed synthetic report and its degraded copies, made here
by the sample degrader (real rendered PDFs: a scan, a lying ToUnicode map, a scan under an
invisible layer, tables pasted as pictures)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from samples.degrade import write_variant

from conftest import COMMITTED

SOURCE = COMMITTED / "synth-2024-002-2021.pdf"


@pytest.fixture(scope="session")
def variants(tmp_path_factory) -> dict[str, Path]:
    src = tmp_path_factory.mktemp("readers-src")
    shutil.copy(SOURCE, src / SOURCE.name)
    shutil.copy(SOURCE.with_suffix(".truth.json"), src / SOURCE.with_suffix(".truth.json").name)
    out = tmp_path_factory.mktemp("readers-variants")
    made = {"clean": src / SOURCE.name}
    for variant in ("scan150", "tounicode-digits", "junk-layer200", "picture-tables"):
        made[variant] = write_variant(src / SOURCE.name, out / variant, variant, seed=3)
    return made
