"""Where the project's shared reference folder is: next to the checkout (../shared), or SHEQU_SHARED."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """The folder holding spec/, reference/ and corpus/ (a clean clone elsewhere finds it by SHEQU_SHARED or at
    /work/shared, where the project's machines keep it)."""
    for candidate in (os.environ.get("SHEQU_SHARED"), ROOT.parent / "shared", "/work/shared"):
        if candidate and (Path(candidate) / "corpus").is_dir():
            return Path(candidate)
    raise RuntimeError("the shared folder (spec/, corpus/) is not at ../shared: set SHEQU_SHARED")


CORPUS = shared_dir() / "corpus" / "calamine-tests"
SPEC = shared_dir() / "spec"
