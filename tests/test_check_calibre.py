"""calibre's log: which of its lines are findings (no conversion needed to test this)."""

from folio.check.calibre import problems


def test_a_chapter_title_with_a_warning_word_is_not_a_finding():
    log = ["Detected chapter: Early Warning And The Cabinet", "Converting input to HTML..."]
    assert problems(log) == []


def test_calibre_warnings_and_errors_are_findings():
    log = ["WARNING: CSS property not supported: --rows", "Failed to load resource: a.png",
           "Detected chapter: 1"]
    assert problems(log) == ["WARNING: CSS property not supported: --rows",
                             "Failed to load resource: a.png"]
