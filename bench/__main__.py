"""`python -m bench`: run every benchmark in this folder, one after the other."""

import importlib
import pkgutil
import sys
from pathlib import Path

for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
    if module.name.startswith("_"):
        continue
    print(f"== bench.{module.name}", flush=True)
    importlib.import_module(f"bench.{module.name}").main(sys.argv[1:])
