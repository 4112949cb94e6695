"""What the import endpoints answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from omnicanal.interchange.imports import ImportKind, ImportReport


class ChangeOut(BaseModel):
    """One value a line changes, in the file's terms (a price as '49.90')."""

    column: str = Field(examples=["price"])
    before: str | int | None = Field(examples=["49.90"])
    after: str | int | None = Field(examples=["44.90"])


class LineOut(BaseModel):
    """A line that creates or updates something, with what it changes."""

    line: int = Field(examples=[7], description="Its line in the file; line 1 is the header")
    key: str = Field(
        examples=["ROB-101-NOI-M"],
        description="What it names: a SKU, or SKU@location for a stock line",
    )
    action: str = Field(examples=["update"], description="create or update")
    changes: list[ChangeOut]


class RowErrorOut(BaseModel):
    """Why one line cannot be imported (a skipped line, with ``skip_bad``)."""

    line: int
    column: str
    reason: str


class ImportOut(BaseModel):
    """What an import did, or would do with ``dry_run``: the counts, then every line that
    creates or updates something (unchanged lines are only counted)."""

    kind: ImportKind
    dry_run: bool
    applied: bool = Field(description="Whether the changes were written (never for a dry run)")
    read: int = Field(description="Rows read, blank lines left out")
    created: int
    updated: int
    unchanged: int
    skipped: int = Field(description="Bad lines left out (with skip_bad)")
    lines: list[LineOut]
    errors: list[RowErrorOut] = Field(description="The skipped lines and why (with skip_bad)")

    @classmethod
    def of(cls, report: ImportReport) -> ImportOut:
        return cls(
            kind=report.kind,
            dry_run=report.dry_run,
            applied=report.applied,
            read=report.read,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            skipped=len(report.bad_lines),
            lines=[
                LineOut(
                    line=line.line,
                    key=line.key,
                    action=line.action.value,
                    changes=[
                        ChangeOut(column=change.column, before=change.before, after=change.after)
                        for change in line.changes
                    ],
                )
                for line in report.changed
            ],
            errors=[
                RowErrorOut(line=error.line, column=error.column, reason=error.reason)
                for error in report.errors
            ],
        )
