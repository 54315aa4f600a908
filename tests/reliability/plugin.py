"""pytest plugin (loaded by the test_reliability_* modules): prints the suite's figures at the end."""

from __future__ import annotations

from reliability import figures


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    lines = figures.lines()
    if not lines:
        return
    terminalreporter.section("reliability and security figures")
    for line in lines:
        terminalreporter.write_line(line)
