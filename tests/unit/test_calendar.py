"""Working days and calendar months as Working Together counts them (casepath/domain/calendar.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casepath.domain.calendar import (
    LONDON,
    TRIGGER_DAY_ONE,
    WorkingDayCalendar,
    add_months,
    end_of_day,
    local_date,
)

calendar = WorkingDayCalendar()
day_one = WorkingDayCalendar(convention=TRIGGER_DAY_ONE)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
counts = st.integers(min_value=1, max_value=80)


def test_saturdays_and_sundays_are_not_working_days() -> None:
    assert not calendar.is_working_day(date(2025, 4, 5))
    assert not calendar.is_working_day(date(2025, 4, 6))
    assert calendar.is_working_day(date(2025, 4, 7))


def test_a_referral_received_on_a_friday_is_due_by_the_end_of_monday() -> None:
    assert calendar.add_working_days(date(2025, 4, 4), 1) == date(2025, 4, 7)


def test_good_friday_and_easter_monday_2025_are_skipped() -> None:
    assert not calendar.is_working_day(date(2025, 4, 18))
    assert not calendar.is_working_day(date(2025, 4, 21))
    assert calendar.add_working_days(date(2025, 4, 17), 1) == date(2025, 4, 22)


def test_the_queens_state_funeral_on_19_september_2022_was_not_a_working_day() -> None:
    assert not calendar.is_working_day(date(2022, 9, 19))
    assert calendar.add_working_days(date(2022, 9, 16), 1) == date(2022, 9, 20)


def test_the_coronation_holiday_on_8_may_2023_was_not_a_working_day() -> None:
    assert not calendar.is_working_day(date(2023, 5, 8))
    assert calendar.add_working_days(date(2023, 5, 5), 1) == date(2023, 5, 9)


def test_christmas_on_a_sunday_in_2022_moves_the_holiday_to_tuesday_27_december() -> None:
    assert not calendar.is_working_day(date(2022, 12, 26))
    assert not calendar.is_working_day(date(2022, 12, 27))
    assert calendar.add_working_days(date(2022, 12, 23), 1) == date(2022, 12, 28)


def test_christmas_on_a_saturday_in_2027_gives_substitute_days_on_27_and_28_december() -> None:
    assert not calendar.is_working_day(date(2027, 12, 27))
    assert not calendar.is_working_day(date(2027, 12, 28))
    assert calendar.add_working_days(date(2027, 12, 24), 1) == date(2027, 12, 29)


def test_a_referral_on_christmas_eve_2025_is_due_on_monday_29_december() -> None:
    assert calendar.add_working_days(date(2025, 12, 24), 1) == date(2025, 12, 29)


def test_new_years_day_on_a_saturday_is_replaced_by_the_monday() -> None:
    assert not calendar.is_working_day(date(2022, 1, 3))


def test_forty_five_working_days_from_a_referral_before_easter_2025() -> None:
    assert calendar.add_working_days(date(2025, 4, 17), 45) == date(2025, 6, 25)


def test_a_local_one_off_holiday_is_not_a_working_day() -> None:
    local = WorkingDayCalendar(extra_holidays=[date(2025, 6, 9)])
    assert not local.is_working_day(date(2025, 6, 9))
    assert local.add_working_days(date(2025, 6, 6), 1) == date(2025, 6, 10)
    assert calendar.add_working_days(date(2025, 6, 6), 1) == date(2025, 6, 9)


def test_counting_the_trigger_day_as_day_one_ends_a_day_earlier() -> None:
    assert day_one.add_working_days(date(2025, 4, 4), 1) == date(2025, 4, 4)
    assert day_one.add_working_days(date(2025, 4, 4), 2) == date(2025, 4, 7)


def test_counting_from_a_saturday_as_day_one_starts_on_the_monday() -> None:
    assert day_one.add_working_days(date(2025, 4, 5), 1) == date(2025, 4, 7)


def test_zero_working_days_is_the_trigger_day_under_either_convention() -> None:
    assert calendar.add_working_days(date(2025, 4, 5), 0) == date(2025, 4, 5)
    assert day_one.add_working_days(date(2025, 4, 5), 0) == date(2025, 4, 5)


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2025, 4, 4), -1)


def test_an_unknown_convention_is_refused() -> None:
    with pytest.raises(ValueError):
        WorkingDayCalendar(convention="fortnightly")


def test_working_days_between_counts_after_the_start_up_to_and_including_the_end() -> None:
    assert calendar.working_days_between(date(2025, 4, 17), date(2025, 4, 22)) == 1
    assert calendar.working_days_between(date(2025, 4, 22), date(2025, 4, 17)) == -1
    assert calendar.working_days_between(date(2025, 4, 17), date(2025, 4, 17)) == 0


def test_one_month_after_31_january_is_the_last_day_of_february() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_three_and_six_months_keep_the_day_number_when_it_exists() -> None:
    assert add_months(date(2025, 6, 27), 3) == date(2025, 9, 27)
    assert add_months(date(2025, 9, 22), 6) == date(2026, 3, 22)
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)


def test_a_day_ends_at_midnight_london_time_in_summer_and_winter() -> None:
    assert end_of_day(date(2025, 6, 9)) == datetime(2025, 6, 9, 23, 0, tzinfo=UTC)
    assert end_of_day(date(2025, 12, 29)) == datetime(2025, 12, 30, 0, 0, tzinfo=UTC)


def test_days_either_side_of_the_clocks_changing_end_at_the_right_moment() -> None:
    # Clocks go forward at 01:00 UTC on 30 March 2025 and back at 01:00 UTC on 26 October 2025.
    assert end_of_day(date(2025, 3, 29)) == datetime(2025, 3, 30, 0, 0, tzinfo=UTC)
    assert end_of_day(date(2025, 3, 30)) == datetime(2025, 3, 30, 23, 0, tzinfo=UTC)
    assert end_of_day(date(2025, 10, 25)) == datetime(2025, 10, 25, 23, 0, tzinfo=UTC)
    assert end_of_day(date(2025, 10, 26)) == datetime(2025, 10, 27, 0, 0, tzinfo=UTC)


def test_a_late_evening_in_summer_is_already_the_next_day_in_london() -> None:
    assert local_date(datetime(2025, 6, 9, 23, 30, tzinfo=UTC)) == date(2025, 6, 10)
    assert local_date(datetime(2025, 12, 29, 23, 30, tzinfo=UTC)) == date(2025, 12, 29)


def test_the_hour_the_clocks_go_back_belongs_to_the_right_day() -> None:
    assert local_date(datetime(2025, 10, 25, 23, 30, tzinfo=UTC)) == date(2025, 10, 26)
    assert local_date(datetime(2025, 3, 29, 23, 30, tzinfo=UTC)) == date(2025, 3, 29)


def test_a_naive_moment_is_read_as_utc() -> None:
    assert local_date(datetime(2025, 6, 9, 23, 30)) == date(2025, 6, 10)


def test_a_moment_with_another_offset_is_converted_to_london() -> None:
    evening_in_new_york = datetime(2025, 6, 9, 20, 0, tzinfo=ZoneInfo("America/New_York"))
    assert local_date(evening_in_new_york) == date(2025, 6, 10)
    assert local_date(datetime(2025, 6, 9, 23, 59, tzinfo=LONDON)) == date(2025, 6, 9)


@given(days, counts)
def test_adding_working_days_always_lands_on_a_working_day(start: date, count: int) -> None:
    assert calendar.is_working_day(calendar.add_working_days(start, count))
    assert day_one.is_working_day(day_one.add_working_days(start, count))


@given(days, counts)
def test_adding_more_working_days_never_gives_an_earlier_date(start: date, count: int) -> None:
    assert calendar.add_working_days(start, count) < calendar.add_working_days(start, count + 1)
    assert day_one.add_working_days(start, count) < day_one.add_working_days(start, count + 1)


@given(days, st.integers(min_value=0, max_value=80))
def test_working_days_between_inverts_adding_working_days(start: date, count: int) -> None:
    assert calendar.working_days_between(start, calendar.add_working_days(start, count)) == count


@given(days, counts)
def test_counting_the_trigger_day_as_day_one_is_one_working_day_less_from_a_working_day(
    start: date, count: int
) -> None:
    expected = count - 1 if calendar.is_working_day(start) else count
    assert calendar.working_days_between(start, day_one.add_working_days(start, count)) == expected


@given(days, st.integers(min_value=0, max_value=36))
def test_adding_months_never_moves_more_than_the_months_asked(start: date, months: int) -> None:
    result = add_months(start, months)
    assert (result.year - start.year) * 12 + result.month - start.month == months
    assert result.day <= start.day


# --- more of the calendar: other Easters, one-off and substitute holidays, other nations --------------


@pytest.mark.parametrize(
    ("thursday", "tuesday"),
    [
        (date(2024, 3, 28), date(2024, 4, 2)),
        (date(2026, 4, 2), date(2026, 4, 7)),
        (date(2027, 3, 25), date(2027, 3, 30)),
    ],
)
def test_easter_moves_every_year_and_its_friday_and_monday_are_skipped(thursday: date, tuesday: date) -> None:
    assert calendar.add_working_days(thursday, 1) == tuesday
    assert calendar.working_days_between(thursday, tuesday) == 1


def test_the_platinum_jubilee_of_2022_moved_the_spring_bank_holiday_and_added_a_day() -> None:
    assert calendar.is_working_day(date(2022, 5, 30))  # the usual last Monday of May was worked
    assert not calendar.is_working_day(date(2022, 6, 2))
    assert not calendar.is_working_day(date(2022, 6, 3))
    assert calendar.add_working_days(date(2022, 6, 1), 1) == date(2022, 6, 6)


def test_the_coronation_week_of_2023_had_two_bank_holiday_mondays() -> None:
    assert not calendar.is_working_day(date(2023, 5, 1))
    assert not calendar.is_working_day(date(2023, 5, 8))
    assert calendar.working_days_between(date(2023, 4, 28), date(2023, 5, 12)) == 8


def test_christmas_on_a_saturday_in_2021_gives_substitute_days_on_27_and_28_december() -> None:
    assert not calendar.is_working_day(date(2021, 12, 27))
    assert not calendar.is_working_day(date(2021, 12, 28))
    assert calendar.add_working_days(date(2021, 12, 24), 1) == date(2021, 12, 29)


def test_boxing_day_on_a_saturday_in_2020_gives_a_substitute_monday() -> None:
    assert not calendar.is_working_day(date(2020, 12, 28))
    assert calendar.add_working_days(date(2020, 12, 24), 1) == date(2020, 12, 29)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 1, 2),  # Scotland: 2 January
        date(2025, 3, 17),  # Northern Ireland: St Patrick's Day
        date(2025, 7, 14),  # Northern Ireland: Battle of the Boyne (substitute)
        date(2025, 8, 4),  # Scotland: the summer bank holiday is the first Monday of August
        date(2025, 12, 1),  # Scotland: St Andrew's Day (substitute)
    ],
)
def test_holidays_of_the_other_nations_are_working_days_in_england(day: date) -> None:
    assert calendar.is_working_day(day)


def test_the_august_bank_holiday_in_england_is_the_last_monday() -> None:
    assert not calendar.is_working_day(date(2025, 8, 25))


def test_a_one_off_holiday_the_package_does_not_know_yet_comes_from_the_protocol() -> None:
    announced = WorkingDayCalendar(extra_holidays=[date(2030, 6, 7)])
    assert calendar.add_working_days(date(2030, 6, 6), 1) == date(2030, 6, 7)
    assert announced.add_working_days(date(2030, 6, 6), 1) == date(2030, 6, 10)


def test_counting_the_trigger_day_as_day_one_from_a_bank_holiday_starts_on_the_next_working_day() -> None:
    assert day_one.add_working_days(date(2025, 4, 18), 1) == date(2025, 4, 22)  # Good Friday
    assert day_one.add_working_days(date(2025, 4, 17), 2) == date(2025, 4, 22)
    assert day_one.add_working_days(date(2025, 12, 24), 2) == date(2025, 12, 29)


def test_both_conventions_count_forty_five_days_across_christmas_2025() -> None:
    assert calendar.add_working_days(date(2025, 12, 1), 45) == date(2026, 2, 5)
    assert day_one.add_working_days(date(2025, 12, 1), 45) == date(2026, 2, 4)


def test_a_one_off_holiday_on_the_trigger_day_under_day_one_is_not_counted() -> None:
    local = WorkingDayCalendar(extra_holidays=[date(2025, 6, 9)], convention=TRIGGER_DAY_ONE)
    assert local.add_working_days(date(2025, 6, 9), 1) == date(2025, 6, 10)


def test_month_ends_stay_in_their_month() -> None:
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 31), 6) == date(2025, 9, 30)
    # each review counts from the one before, not from the first: months do not chain back up
    assert add_months(add_months(date(2025, 1, 31), 1), 1) == date(2025, 3, 28)
    assert add_months(date(2025, 1, 31), 2) == date(2025, 3, 31)


# --- properties ------------------------------------------------------------------------------------------


@given(days)
def test_every_day_ends_at_the_first_moment_of_the_next_london_day(day: date) -> None:
    end = end_of_day(day)
    assert end.tzinfo is UTC
    assert local_date(end) == day + timedelta(days=1)
    assert local_date(end - timedelta(microseconds=1)) == day
    assert end - end_of_day(day - timedelta(days=1)) in (timedelta(hours=23), timedelta(hours=24), timedelta(hours=25))


@given(days, counts)
def test_counting_the_trigger_day_as_day_one_is_counting_from_the_day_before(start: date, count: int) -> None:
    assert day_one.add_working_days(start, count) == calendar.add_working_days(start - timedelta(days=1), count)


@given(days, counts, st.sets(st.dates(min_value=date(2020, 1, 1), max_value=date(2031, 12, 31)), max_size=8))
def test_one_off_holidays_never_bring_a_deadline_forward_and_are_never_a_deadline(
    start: date, count: int, extra: set[date]
) -> None:
    local = WorkingDayCalendar(extra_holidays=extra)
    due = local.add_working_days(start, count)
    assert due >= calendar.add_working_days(start, count)
    assert due not in extra and local.is_working_day(due)


@given(days, counts)
def test_a_deadline_is_always_after_the_trigger_day_and_on_a_weekday(start: date, count: int) -> None:
    due = calendar.add_working_days(start, count)
    assert due > start and due.weekday() < 5
    assert day_one.add_working_days(start, count) >= start
