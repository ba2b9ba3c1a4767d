"""Working days and calendar months as Working Together counts them, in Europe/London.

A working day is Monday to Friday except England and Wales bank holidays (the `holidays`
package, substitute days included) and any one-off holidays the local authority adds before the
package knows them. By default the trigger day is day 0 and a deadline is the end of the Nth
working day after it (WT2023 ch. 3); some LAs count the trigger day as day 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

LONDON = ZoneInfo("Europe/London")
TRIGGER_DAY_ZERO = "trigger_day_zero"
TRIGGER_DAY_ONE = "trigger_day_one"
CONVENTIONS = (TRIGGER_DAY_ZERO, TRIGGER_DAY_ONE)


@lru_cache(maxsize=256)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


class WorkingDayCalendar:
    """Counts working days for one local authority."""

    def __init__(self, extra_holidays: Iterable[date] = (), convention: str = TRIGGER_DAY_ZERO) -> None:
        if convention not in CONVENTIONS:
            raise ValueError(f"unknown working-day convention {convention!r}")
        self.extra_holidays = frozenset(extra_holidays)
        self.convention = convention

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a bank holiday or a local one-off holiday."""
        return day.weekday() < 5 and day not in _bank_holidays(day.year) and day not in self.extra_holidays

    def add_working_days(self, start: date, count: int) -> date:
        """The deadline `count` working days after the trigger day `start`, under the LA's convention."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        if self.convention == TRIGGER_DAY_ONE and count > 0:
            day -= timedelta(days=1)  # the trigger day itself counts as the first working day
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall after `start` up to and including `end` (negative if end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=n)))


def add_months(day: date, months: int) -> date:
    """Calendar months: the same day number, or the last day of a shorter month (31 Jan + 1 = 28/29 Feb)."""
    result: date = day + relativedelta(months=months)
    return result


def local_date(moment: datetime) -> date:
    """The Europe/London date of an aware moment (naive moments are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON).date()


def end_of_day(day: date) -> datetime:
    """The aware UTC moment a deadline day ends: midnight at the start of the next London day."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
