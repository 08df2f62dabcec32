"""What a student sees in JupyterLab, checked in a real browser (headless Chromium).

Small notebooks that call ``course.listen`` and a released notebook are opened in the student's
JupyterLab (no nbgrader instructor panels), run in headless Chromium driven by Playwright, and
the page is checked as a person would see it: every ``<audio>`` player has the expected duration
and plays to its end, every picture decoded at its natural size (twice the size shown: sharp on
high-density screens), the spectrogram on a log-frequency axis, the HTML fallback where widgets
are off (``COURSE_WIDGETS=0``), and the instructor's lab shows the panels the student's hides.
Screenshots go to ``build/browser/`` (``$COURSE_BUILD_DIR``). The machinery: ``tests/browser.py``.
"""
from __future__ import annotations

import contextlib
import json
import re
import shutil

import pytest

from browser import (
    COLUMNS_JS,
    INSTRUCTOR_CONFIG,
    REPO,
    ROLLS,
    ROWS_JS,
    SETUP,
    STUDENT_CONFIG,
    CHROMIUM_ARGS,
    PICTURE_PX,
    TWO_SIGNALS,
    OCTAVES,
    Lab,
    _chromium,
    _missing,
    expected_roll_seconds,
    frequency_scale,
    notebook,
    screenshot,
)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("no playwright: pip install playwright==1.64.1 (no 'playwright install' needed)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    (root / "notebooks").mkdir()
    (root / "notebooks" / "widgets.ipynb").write_text(json.dumps(notebook([SETUP, TWO_SIGNALS, ROLLS, OCTAVES])))
    (root / "notebooks" / "fallback.ipynb").write_text(
        json.dumps(notebook(["%env COURSE_WIDGETS=0\n" + SETUP, TWO_SIGNALS, ROLLS])))
    (root / "notebooks" / "empty.ipynb").write_text(json.dumps(notebook(["1 + 1"])))
    # A copy of a released notebook: the lab autosaves what it opens, and the release must not change.
    released = REPO / "assignments" / "hw4_transcription" / "onsets_and_frames.ipynb"
    (root / "released").mkdir()
    shutil.copy(released, root / "released" / released.name)
    return root


@pytest.fixture(scope="module")
def student_lab(workdir, tmp_path_factory, browser):
    lab = Lab(workdir, [STUDENT_CONFIG], tmp_path_factory.mktemp("student"))
    yield lab
    lab.stop()


@pytest.fixture(scope="module")
def instructor_lab(workdir, tmp_path_factory, browser):
    # Instructor first, over the student's defaults: the same layering as student settings
    # installed in the environment and the instructor's folder put in front of them.
    lab = Lab(workdir, [INSTRUCTOR_CONFIG, STUDENT_CONFIG], tmp_path_factory.mktemp("instructor"))
    yield lab
    lab.stop()


@contextlib.contextmanager
def opened(browser, lab: Lab, path: str):
    """A page with the notebook ``path`` open and its kernel ready; closes the kernel after."""
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(lab.page_url(path))
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext", timeout=60_000)
    kernel = page.evaluate("""async () => {
        const panel = window.jupyterapp.shell.currentWidget;
        await panel.context.ready; await panel.sessionContext.ready;
        const k = panel.sessionContext.session && panel.sessionContext.session.kernel;
        return k ? {name: k.name, status: k.status} : null }""")
    try:
        yield page, kernel, errors
    finally:
        with contextlib.suppress(Exception):
            page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        page.close()


def run_all(page, timeout_s: float = 90) -> list[dict]:
    """Run every cell; returns per cell its execution count and error outputs."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function("""() => {
        const panel = window.jupyterapp.shell.currentWidget;
        const k = panel.sessionContext.session.kernel;
        const cells = [...panel.content.model.cells];
        return k.status === 'idle' && cells.every(c => c.type !== 'code' || c.executionCount);
    }""", timeout=timeout_s * 1000, polling=250)
    return page.evaluate("""() => [...window.jupyterapp.shell.currentWidget.content.model.cells].map(c => ({
        count: c.executionCount,
        errors: c.type === 'code' ? [...Array(c.outputs.length).keys()].map(i => c.outputs.get(i).toJSON())
                    .filter(o => o.output_type === 'error' || o.name === 'stderr')
                    .map(o => o.ename ? o.ename + ': ' + o.evalue : o.text) : [] }))""")


def _check_columns(cells, expect_widget: bool):
    titles = [[c["title"] for c in cell] for cell in cells if cell]
    assert titles[:2] == [["tone", "noise"], ["audio", "ground truth (sonified)", "prediction (sonified)"]], titles
    for cell in cells:
        for c in cell:
            assert c["event"] in ("canplay", "already") and c["error"] is None, c
            assert c["readyState"] >= 2, c  # HAVE_CURRENT_DATA: decodable, so playable
            assert c["play"] == "ok" and c["ended"] and abs(c["playedTo"] - c["duration"]) < 0.01, c
            assert c["widget"] is expect_widget, c
            assert c["src"].startswith("blob:" if expect_widget else "data:audio/wav"), c
            assert c["img"]["complete"] and (c["img"]["w"], c["img"]["h"]) == PICTURE_PX, c
    two, rolls = cells[1], cells[2]
    assert all(abs(c["duration"] - 2.0) < 0.01 for c in two), two
    assert abs(rolls[0]["duration"] - 2.0) < 0.01, rolls
    assert all(abs(c["duration"] - expected_roll_seconds()) < 0.02 for c in rolls[1:]), rolls


@pytest.fixture(scope="module")
def widgets_run(browser, student_lab):
    """The widgets notebook opened and run once; its page stays open for the tests below."""
    with opened(browser, student_lab, "notebooks/widgets.ipynb") as (page, kernel, errors):
        results = run_all(page)
        page.wait_for_function("document.querySelectorAll('.jp-OutputArea-output audio').length >= 7"
                               " && document.querySelectorAll('.jp-OutputArea-output img').length >= 7",
                               timeout=30_000)
        yield page, kernel, results, errors


def test_audition_widgets(widgets_run):
    page, kernel, results, errors = widgets_run
    assert kernel and kernel["name"] == "python3", kernel
    assert all(not r["errors"] for r in results), results
    cells = page.evaluate(COLUMNS_JS)
    screenshot(page, "audition_widgets")
    _check_columns(cells, expect_widget=True)
    # No text/html copy beside a widget: the person sees one player per column.
    assert page.locator(".jp-OutputArea-output audio:not(.jupyter-widgets)").count() == 0
    assert not errors, errors


def test_spectrogram_picture_check_tells_log_from_linear(widgets_run):
    """The control: the pixel check sees mel bins as log and the linear STFT axis as linear."""
    page = widgets_run[0]
    assert frequency_scale(page.evaluate(ROWS_JS, [3, 1]))[0] == "log"
    default_scale = frequency_scale(page.evaluate(ROWS_JS, [3, 0]))
    assert default_scale[0] in ("linear", "log"), default_scale


def test_spectrogram_axis_is_log_frequency(widgets_run):
    page = widgets_run[0]
    # The pixels say it (octaves equally spaced), and so do the classes the course puts on pictures.
    labelled = page.evaluate("""() => [...document.querySelectorAll('.jp-OutputArea-output img')]
        .map(i => [i.classList.contains('course-spectrogram'), i.classList.contains('course-yscale-log'),
                   i.classList.contains('course-roll')])""")
    assert frequency_scale(page.evaluate(ROWS_JS, [3, 0]))[0] == "log"
    assert labelled[0] == [True, True, False], labelled


def test_audition_html_fallback(browser, student_lab):
    with opened(browser, student_lab, "notebooks/fallback.ipynb") as (page, _, errors):
        results = run_all(page)
        assert all(not r["errors"] for r in results), results
        page.wait_for_function("document.querySelectorAll('.jp-OutputArea-output audio').length >= 5", timeout=30_000)
        cells = page.evaluate(COLUMNS_JS)
        screenshot(page, "audition_fallback")
        _check_columns(cells, expect_widget=False)
        assert page.locator(".jp-OutputArea-output .jupyter-widgets").count() == 0
        assert page.locator(".jp-RenderedHTMLCommon audio[controls]").count() == 5


NBGRADER_COMMANDS = ["nbgrader:open-assignment-list", "nbgrader:open-create-assignment",
                     "nbgrader:open-formgrader", "nbgrader:open-formgrader-local", "nbgrader:open-course-list"]


def _nbgrader_ui(page) -> dict:
    """What of nbgrader a person can find: commands, the Nbgrader menu, sidebars, toolbar, palette."""
    ui = {"commands": page.evaluate("(ids) => ids.filter(id => window.jupyterapp.commands.hasCommand(id))",
                                    NBGRADER_COMMANDS)}
    ui["sidebar"] = page.evaluate("""() => [...document.querySelectorAll('.jp-SideBar .lm-TabBar-tab')]
        .map(t => (t.getAttribute('title') || '') + '|' + t.textContent).filter(s => /nbgrader|assignment/i.test(s))""")
    ui["create_panel"] = page.locator("#nbgrader-create_assignemnt").count()  # sic, nbgrader's id
    ui["toolbar"] = page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate").count()
    menu = page.locator(".lm-MenuBar-item", has_text="Nbgrader")
    ui["menu"] = []
    if menu.count():
        menu.click()
        ui["menu"] = page.eval_on_selector_all(".lm-Menu .lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel",
                                               "els => els.filter(e => e.offsetParent).map(e => e.textContent)")
        page.keyboard.press("Escape")
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:activate-command-palette')")
    page.keyboard.type("nbgrader")
    page.wait_for_timeout(300)
    ui["palette"] = page.eval_on_selector_all(".lm-CommandPalette-item .lm-CommandPalette-itemLabel",
                                              "els => els.filter(e => e.offsetParent).map(e => e.textContent)")
    page.keyboard.press("Escape")
    print("nbgrader UI:", ui)
    return ui


def test_student_lab_has_no_instructor_panels(browser, student_lab):
    with opened(browser, student_lab, "notebooks/empty.ipynb") as (page, _, __):
        page.wait_for_selector(".jp-NotebookPanel-toolbar")
        ui = _nbgrader_ui(page)
        screenshot(page, "student_lab")
    assert ui["commands"] == ["nbgrader:open-assignment-list"], ui
    assert ui["create_panel"] == 0 and not any("Create" in s for s in ui["sidebar"]), ui
    assert ui["menu"] == ["Assignment List"], ui
    assert not any(re.search("formgrader|course|create", s, re.I) for s in ui["palette"]), ui
    assert ui["toolbar"] == 1, ui  # the Validate button stays
    assert student_lab.status("/formgrader") == 404
    assert student_lab.status("/formgrader/api/status") == 404  # server extensions off too
    assert student_lab.status("/formgraders") == 404  # course_list's route
    assert student_lab.status("/courses") == 200  # assignment_list's, which the student keeps


def test_instructor_lab_has_panels(browser, instructor_lab):
    with opened(browser, instructor_lab, "notebooks/empty.ipynb") as (page, _, __):
        page.wait_for_selector(".jp-NotebookPanel-toolbar")
        ui = _nbgrader_ui(page)
        screenshot(page, "instructor_lab")
    assert set(ui["commands"]) == set(NBGRADER_COMMANDS), ui
    assert ui["create_panel"] == 1, ui
    assert {"Assignment List", "Course List", "Formgrader"} <= set(ui["menu"]), ui
    assert ui["toolbar"] == 1, ui
    assert instructor_lab.status("/formgrader") == 200
    assert instructor_lab.status("/formgraders") == 200


def test_released_notebook_opens(browser, student_lab):
    with opened(browser, student_lab, "released/onsets_and_frames.ipynb") as (page, kernel, errors):
        assert kernel and kernel["name"] == "python3" and kernel["status"] != "dead", kernel
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=30_000)
        assert page.locator(".jp-Dialog").count() == 0  # no "kernel not found" / "error" dialog
        # The set-up cell (imports, the ci profile's data): it runs without an error.
        page.evaluate("""() => { const p = window.jupyterapp.shell.currentWidget;
            p.content.activeCellIndex = [...p.content.model.cells].findIndex(c => c.type === 'code');
            return window.jupyterapp.commands.execute('notebook:run-cell'); }""")
        page.wait_for_function("""() => { const p = window.jupyterapp.shell.currentWidget;
            const c = [...p.content.model.cells].find(c => c.type === 'code');
            return c.executionCount && p.sessionContext.session.kernel.status === 'idle'; }""",
                               timeout=120_000, polling=250)
        outputs = page.evaluate("""() => { const p = window.jupyterapp.shell.currentWidget;
            const c = [...p.content.model.cells].find(c => c.type === 'code');
            return [...Array(c.outputs.length).keys()].map(i => c.outputs.get(i).toJSON()); }""")
        screenshot(page, "released_hw4_onsets_and_frames")
        assert not [o for o in outputs if o["output_type"] == "error"], outputs
        assert any("profile ci" in "".join(o.get("text", "")) for o in outputs), outputs
        assert not errors, errors
