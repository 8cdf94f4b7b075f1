#!/usr/bin/env bash
# Download into .whl/ the wheels that bench/gpu_suite.sh and bench/export_cores.sh install on a
# machine that has Python 3.12 and PyTorch but no package registry (the device machines).
# Run here, where pip reaches a registry; .whl/ is left out of git (add `/.whl/` to
# .git/info/exclude) and travels to the machine with the working tree.
#
#     bash bench/fetch_wheels.sh
set -eu
PY=${PYTHON:-python3}
mkdir -p .whl
download() {
    $PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d .whl "$@"
}
# bench/gpu_suite.sh: TRL beside layerkit train (the image has torch, accelerate, tokenizers)
download trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 fsspec==2026.9.0 \
    regex==2026.11.19 peft==0.21.2 transformers==5.24.0
# bench/export_cores.sh: layerkit's store and curriculum (the image has click, pluggy, pygments,
# markupsafe, packaging, pathspec) and hatchling to install layerkit from the working tree
download alembic==1.20.1 mako==1.4.3 sqlalchemy==2.1.9 sqlmodel==0.0.50 pydantic==2.14.4 \
    pydantic_core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 \
    typing_extensions==4.16.0 conllu==6.0.0 hatchling==1.33.0 trove-classifiers==2026.9.21.13 \
    tomlkit==0.15.2
ls .whl
