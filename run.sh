#!/usr/bin/env bash
# One entry point for the course. Every command sets up what it needs first, idempotently:
# system FluidSynth, the virtual environment with the pinned packages, the datasets.
#
#   bash run.sh main        the main job: data, releases, a demo class graded, feedback, gradebook
#   bash run.sh test        the test suite (COURSE_PROFILE=ci)
#   bash run.sh setup       only the set-up (environment and the default profile's data)
#   bash run.sh data [ci|cpu|gpu]        build the embedded datasets of a profile
#   bash run.sh bench       the benchmarks: writes bench/results.md
#   bash run.sh lab [--instructor]       JupyterLab on the assignments (the student's; --instructor: nbgrader's panels)
#   bash run.sh autograder ARGS...       python -m autograder ARGS (release, grade, feedback, export)
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
PY="$VENV/bin/python"

say() { printf '\033[1m[run.sh]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi
}

apt_install() {
  command -v apt-get >/dev/null || return 1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_system() {
  command -v python3 >/dev/null || { say "python3 is missing: install Python 3.11 (apt-get install python3)"; exit 1; }
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    say "Python $(python3 -V 2>&1) is too old: the course needs Python 3.11 or newer."; exit 1; }
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    say "installing python3-venv"
    apt_install python3-venv || { say "python3-venv is missing and could not be installed: run 'sudo apt-get install python3-venv'"; exit 1; }
  fi
  if ! ldconfig -p 2>/dev/null | grep -q libfluidsynth; then
    say "installing the FluidSynth library (libfluidsynth3)"
    apt_install libfluidsynth3 || {
      say "FluidSynth's library is missing and could not be installed here."
      say "Install it yourself: Debian/Ubuntu 'sudo apt-get install libfluidsynth3', conda 'conda install -c conda-forge fluidsynth', macOS 'brew install fluid-synth'."
      exit 1; }
  fi
}

pip_quiet() {  # pip, without the warnings some machines' pip configuration prints for every package
  PYTHONWARNINGS=ignore "$PY" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

ensure_venv() {  # [extras]: e.g. "test" installs the test tools too
  ensure_system
  [ -x "$PY" ] || { say "creating $VENV"; python3 -m venv "$VENV"; }
  local extras="${1:-}" spec="." stamp
  [ -n "$extras" ] && spec=".[$extras]"
  stamp="$VENV/.installed-$(cat pyproject.toml - <<<"$extras ${COURSE_TORCH:-}" | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    say "installing the pinned packages (first time: a few minutes)"
    pip_quiet install -q --upgrade pip
    if [ "${COURSE_TORCH:-}" = cpu ]; then
      # PyTorch's CPU-only wheels: without the CUDA libraries PyPI's default torch pulls in
      # (.venv about 1 GB instead of 5.8 GB), for machines without an NVIDIA GPU.
      say "COURSE_TORCH=cpu: torch and torchaudio from PyTorch's CPU wheel index"
      pip_quiet install -q --index-url https://download.pytorch.org/whl/cpu \
        "$(grep -o 'torch==[0-9.]*' pyproject.toml)" "$(grep -o 'torchaudio==[0-9.]*' pyproject.toml)"
    fi
    pip_quiet install -q -e "$spec"
    student_jupyter_defaults
    rm -f "$VENV"/.installed-*; touch "$stamp"
  fi
}

student_jupyter_defaults() {
  # The environment's JupyterLab is the student's: nbgrader's Validate button and assignment
  # list, none of its instructor panels (create assignment, formgrader, course list). The
  # instructor's lab (`bash run.sh lab --instructor`) puts autograder/jupyter/instructor in front.
  local j="$VENV/bin/jupyter" plugins=(@jupyter/nbgrader:create-assignment @jupyter/nbgrader:formgrader @jupyter/nbgrader:course-list)
  "$j" labextension disable --level=sys_prefix "${plugins[@]}" >/dev/null 2>&1 &&
    "$j" labextension lock --level=sys_prefix "${plugins[@]}" >/dev/null 2>&1 &&
    "$j" server extension disable --sys-prefix nbgrader.server_extensions.formgrader \
      nbgrader.server_extensions.course_list >/dev/null 2>&1 ||
    say "could not switch off nbgrader's instructor panels in the student's JupyterLab"
}

ensure_browser() {  # the browser tests: Debian's Chromium (Playwright drives it; no browser download)
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || {
    say "installing Chromium (the browser tests)"
    apt_install chromium || say "Chromium could not be installed: the browser tests will fail (apt-get install chromium)"; }
}

build_data() {  # profile
  "$PY" -m data_scripts build --profile "$1"
}

default_profile() { "$PY" -c 'from course.profiles import current; print(current().name)'; }

cmd="${1:-main}"; shift || true
case "$cmd" in
  setup)
    ensure_venv; build_data "${COURSE_PROFILE:-$(default_profile)}" ;;
  data)
    ensure_venv
    profile="${1:-${COURSE_PROFILE:-$(default_profile)}}"
    build_data "$profile"; [ "$profile" = ci ] || build_data ci ;;   # grading runs in the ci profile
  main)
    ensure_venv
    profile="${COURSE_PROFILE:-$(default_profile)}"
    build_data "$profile"; [ "$profile" = ci ] || build_data ci   # grading runs in the ci profile
    "$PY" -m autograder demo "$@" ;;
  test)
    ensure_venv test; ensure_browser
    build_data ci
    export COURSE_PROFILE=ci
    "$PY" -m pytest "$@" ;;
  bench)
    ensure_venv; "$PY" -m bench "$@" ;;
  lab)
    ensure_venv; build_data "${COURSE_PROFILE:-$(default_profile)}"
    exec bash course/jupyter/lab.sh "$VENV/bin/jupyter" assignments "$@" ;;
  autograder)
    ensure_venv; "$PY" -m autograder "$@" ;;
  *)
    sed -n '2,11p' "$0"; exit 2 ;;
esac
