"""The time zone Relais shows and counts days in: every school and supplier is in Belgium.

Instants are stored in UTC (app.models.types.UTCDateTime); dates, business hours and school days
are Brussels wall-clock. Pure: the bottom of the layers.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
