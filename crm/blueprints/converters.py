"""URL converters: `<int:…>` in a route is always a database id.

Werkzeug's own `int` accepts any number of digits (and non-ASCII digits), and a number past an
INTEGER column fails the loader's query with a server error instead of matching nothing. This one
matches 1..MAX_ID in ASCII digits only, so anything else is simply a page that does not exist (404).
The app factory registers it under the name `int` before any blueprint adds its routes.
"""

from werkzeug.routing import Map
from werkzeug.routing.converters import IntegerConverter

from crm.services.common.args import MAX_ID


class IdConverter(IntegerConverter):
    regex = r"[0-9]{1,10}"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ID) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)
