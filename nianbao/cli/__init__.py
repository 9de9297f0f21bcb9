"""The `nianbao` command: a thin click group; each area registers its commands.

Command modules live beside this file and expose ``register(group)``; the
group imports the ones present, so each area (check, storage, crawl, digest)
owns its own file.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

from nianbao import __version__

COMMAND_MODULES = ("check", "store", "crawl", "digest", "schedule", "queue")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="nianbao")
def cli() -> None:
    """nianbao（年报）: crawl and check government information-disclosure annual reports.

    \b
    Examples:
      nianbao check report.pdf --published 2024-02-03
      nianbao crawl --sites sites.yaml
      nianbao digest --today 2025-02-10
    """


for _name in COMMAND_MODULES:
    _module = f"nianbao.cli.{_name}"
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module).register(cli)


def main() -> None:
    cli(prog_name="nianbao")
