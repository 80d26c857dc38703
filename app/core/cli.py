"""Helpers shared by the `flask …` commands."""

from __future__ import annotations

import click
from flask_babel import gettext as _


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
