"""Human-readable lines for an IngestReport, for the CLI and the scheduler's log."""

from __future__ import annotations

from digest.ingest.run import IngestReport, SourceResult

MAX_SKIPPED_SHOWN = 5


def format_source(result: SourceResult) -> list[str]:
    """Lines describing one source's outcome; a failure names its reason."""
    if not result.ok:
        return [f"FAILED {result.name}: {result.error}"]
    if result.not_modified:
        return [f"ok {result.name}: not modified since the last fetch"]
    lines = [
        f"ok {result.name}: {result.items} item(s): {result.inserted} new, "
        f"{result.updated} updated, {result.unchanged} unchanged, {len(result.skipped)} skipped"
    ]
    lines += [f"  warning: {w}" for w in result.warnings]
    for item, reason in result.skipped[:MAX_SKIPPED_SHOWN]:
        lines.append(f"  skipped {item}: {reason}")
    hidden = len(result.skipped) - MAX_SKIPPED_SHOWN
    if hidden > 0:
        lines.append(f"  ... and {hidden} more skipped item(s)")
    return lines


def format_report(report: IngestReport) -> list[str]:
    """Lines for the whole run: one block per source, then the totals."""
    if not report.sources:
        return ["no sources to ingest (config: sources)"]
    lines: list[str] = []
    for result in report.sources:
        lines += format_source(result)
    failed = len(report.failed)
    lines.append(
        f"total: {len(report.sources)} source(s), {failed} failed; {report.inserted} new, "
        f"{report.updated} updated, {report.unchanged} unchanged, "
        f"{report.skipped_count} skipped"
    )
    return lines
