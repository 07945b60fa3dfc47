"""`flask --app wsgi crm …`: the command-line interface, one module per domain.

Each module lists its commands in `COMMANDS`; `register_cli` adds them to the `crm` group
explicitly, so no command depends on an import side effect. Commands call the same service
functions as the views and commit once.
"""

from flask import Flask
from flask.cli import AppGroup

from crm.cli import backup, core, demo, imports, jobs, month_close, report, storage


def register_cli(app: Flask) -> None:
    """Register the `crm` command group with every domain's commands."""
    group = AppGroup("crm", help="联企通管理命令")
    for module in (core, imports, demo, jobs, report, month_close, backup, storage):
        for command in module.COMMANDS:
            group.add_command(command)
    app.cli.add_command(group)
