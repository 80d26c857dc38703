"""Helpers shared by the `flask …` commands."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from functools import partial

import click
from flask_babel import format_decimal
from flask_babel import gettext as _

from app.extensions import db


class CommandError(click.ClickException):
    """A command's failure, said in French: printed on stderr as « Erreur : … », exit code 1.

    click.ClickException prints "Error: …" whatever the message's language.
    """

    def show(self, file=None) -> None:
        click.echo(
            _("Erreur : %(message)s", message=self.format_message()),
            file=file,
            err=True,
            color=self.show_color,
        )


def file_refused(why: object) -> str:
    """The message of an import whose file was refused (`why`: the error, or its text)."""
    return _("Fichier refusé, rien n'a été importé.") + "\n" + str(why)


@contextmanager
def all_or_nothing(refusals: Mapping[type[Exception], Callable[[Exception], str]]):
    """A command's changes, committed together when its block ends; on any error nothing is
    kept, and an error of a `refusals` type (a refused file…) ends the command with its message."""
    try:
        yield
        db.session.commit()
    except tuple(refusals) as exc:
        db.session.rollback()
        message = next(say for kind, say in refusals.items() if isinstance(exc, kind))
        raise CommandError(message(exc)) from exc
    except BaseException:
        db.session.rollback()
        raise


def progress_bar():
    """A progress bar for a person at a terminal; scripts and logs get the report alone."""
    return partial(click.progressbar, show_pos=True) if sys.stdout.isatty() else None


def echo_report(lines, started: float | None = None) -> None:
    """A command's report, line by line, and how long it took since `started` (perf_counter)."""
    for line in lines:
        click.echo(line)
    if started is not None:
        seconds = format_decimal(time.perf_counter() - started, format="0.0")
        click.echo(_("Durée : %(seconds)s s", seconds=seconds))
