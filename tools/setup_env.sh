#!/usr/bin/env bash
# One-command setup: creates ./.venv and installs the whole snnet_mm stack into it.
#
#   bash tools/setup_env.sh            # from the repository root
#
# Environment variables:
#   SNNET_MM_VENV   where to create the virtual environment (default: <repo>/.venv)
#   SNNET_MM_CACHE  where the compiled mmcv wheel is cached (default: ~/.cache/snnet_mm)
#   PYTHON          interpreter used to create the venv (default: python3)
#
# mmcv 2.x ships no wheels for torch 2.14, so mmcv 2.1.0 is compiled from its sdist once
# (25-40 minutes on 2 cores) with C++20 (torch 2.14 headers need it) and the wheel is
# cached; later setups on the same machine reuse it and finish in a few minutes.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SNNET_MM_VENV:-$REPO/.venv}"
CACHE="${SNNET_MM_CACHE:-$HOME/.cache/snnet_mm}"
PYTHON="${PYTHON:-python3}"

TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0

STEP="start"
trap 'echo "[setup] FAILED at step: $STEP (exit $?)" >&2' ERR
step() { STEP="$1"; echo "[setup] $(date +%H:%M:%S) $1"; }

step "create virtual environment at $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=(pip_quiet "$PY" -m pip --disable-pip-version-check)
# pip warns about every index location it skips; keep the log to what matters.
pip_quiet() { "$@" 2> >(grep -v -e 'is ignored: it is neither a file nor a directory' >&2); }
"${PIP[@]}" install -q --upgrade "pip>=24" "setuptools<80" wheel ninja packaging

step "install torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION"
"${PIP[@]}" install -q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"

step "install mmengine and build requirements"
"${PIP[@]}" install -q "mmengine==0.10.7" "numpy" "opencv-python-headless" "addict" "yapf" "Pillow" "pyyaml"

PYTAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
WHEEL_DIR="$CACHE/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$PYTAG"
if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
  step "build mmcv $MMCV_VERSION from sdist with C++20 (one-off, 25-40 min on 2 cores)"
  BUILD="$(mktemp -d)"
  "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation -d "$BUILD" "mmcv==$MMCV_VERSION"
  tar -xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
  SRC="$BUILD/mmcv-$MMCV_VERSION"
  sed -i -E 's/-std=c\+\+1[47]/-std=c++20/g' "$SRC/setup.py"
  grep -q 'c++20' "$SRC/setup.py" || { echo "[setup] could not switch mmcv to C++20" >&2; false; }
  mkdir -p "$WHEEL_DIR.partial"
  (cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-2}" \
     "${PIP[@]}" wheel --no-build-isolation --no-deps -w "$WHEEL_DIR.partial" .)
  rm -rf "$WHEEL_DIR" && mv "$WHEEL_DIR.partial" "$WHEEL_DIR"
  rm -rf "$BUILD"
else
  step "reuse cached mmcv wheel from $WHEEL_DIR"
fi
step "install mmcv $MMCV_VERSION"
"${PIP[@]}" install -q --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl

step "install mmsegmentation, mmdet, mmpretrain, timm, fvcore, scikit-learn, tensorboard"
"${PIP[@]}" install -q "mmsegmentation==1.2.2" "mmdet==3.3.0" "mmpretrain==1.2.0" \
  ftfy regex timm fvcore scikit-learn tensorboard "setuptools<80"

step "install snnet_mm (editable) with test, demo and deploy (onnx, onnxruntime) extras"
"${PIP[@]}" install -q --no-build-isolation -e "$REPO[test,demo,deploy]"

step "system Chromium for the demo's browser checks (snnet demo --screenshot)"
if command -v chromium >/dev/null 2>&1; then
  echo "[setup] $(chromium --version 2>/dev/null | head -n 1) already installed"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  # Debian's browser: Playwright is pointed at it and never downloads one of its own.
  if (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq chromium >/dev/null); then
    echo "[setup] installed $(chromium --version 2>/dev/null | head -n 1)"
  else
    echo "[setup] WARNING: apt-get could not install chromium (snnet demo --screenshot needs it);" \
         "everything else is installed" >&2
  fi
else
  echo "[setup] WARNING: no chromium and no apt-get run as root to install it (snnet demo --screenshot" \
       "needs Debian's chromium package); everything else is installed" >&2
fi

step "check the stack"
"$PY" - <<'PY'
import mmcv, mmcv.ops, mmdet, mmengine, mmpretrain, mmseg, timm, torch, torchvision
import gradio, onnxruntime, playwright
import snnet_mm
print(f"[setup] torch {torch.__version__}, torchvision {torchvision.__version__}, "
      f"mmcv {mmcv.__version__} (ops ok), mmengine {mmengine.__version__}, "
      f"mmseg {mmseg.__version__}, mmdet {mmdet.__version__}, "
      f"mmpretrain {mmpretrain.__version__}, timm {timm.__version__}, gradio {gradio.__version__}, "
      f"onnxruntime {onnxruntime.__version__}")
PY
STEP="done"
echo "[setup] done: activate with 'source $VENV/bin/activate'"
