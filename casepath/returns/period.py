"""The CIN census collection year and what of an episode it returns.

Collection year 2026 runs from 1 April 2025 to the reference date, 31 March 2026. The DfE rules
want only what was open during the year: closures, authorisations, plan ends and conferences
dated before 1 April belong to earlier returns (rules 8620, 8696, 4013, 8930, 8715), and anything
dated after the reference date has not happened yet as far as this return is concerned.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from casepath.returns.episodes import Assessment, CinPlan, CpPlan, Episode, Section47


@dataclass(frozen=True, slots=True)
class CollectionPeriod:
    """1 April of the year before `year` to the reference date, 31 March of `year`."""

    start: date
    reference_date: date

    @classmethod
    def for_year(cls, year: int) -> CollectionPeriod:
        """The period of collection year `year` (2026 = 1 April 2025 to 31 March 2026)."""
        return cls(date(year - 1, 4, 1), date(year, 3, 31))

    def happened(self, day: date | None) -> date | None:
        """`day` if it is on or before the reference date, else None (not yet, for this return)."""
        return day if day is not None and day <= self.reference_date else None

    def clip(self, episode: Episode) -> Episode | None:
        """The part of `episode` this return reports, or None when it was not open in the year.

        The referral decision (ReferralNFA, PrimaryNeedCode) is kept even when it came after the
        reference date: it describes the referral, which was received in the year.
        """
        closed_on = self.happened(episode.closed_on)
        if episode.referral_on > self.reference_date or (closed_on and closed_on < self.start):
            return None
        return replace(
            episode,
            closed_on=closed_on,
            closure_reason=episode.closure_reason if closed_on else None,
            initial_cpc_on=self._in_year(episode.initial_cpc_on),
            assessments=[a for a in map(self._assessment, episode.assessments) if a],
            cin_plans=[p for p in map(self._cin_plan, episode.cin_plans) if p],
            section47s=[s for s in map(self._section47, episode.section47s) if s],
            cp_plans=[p for p in map(self._cp_plan, episode.cp_plans) if p],
        )

    def _in_year(self, day: date | None) -> date | None:
        return day if day is not None and self.start <= day <= self.reference_date else None

    def _ended_before(self, end: date | None) -> bool:
        return end is not None and end < self.start

    def _assessment(self, item: Assessment) -> Assessment | None:
        authorised_on = self.happened(item.authorised_on)
        if item.started_on > self.reference_date or self._ended_before(authorised_on):
            return None
        # DfE rule 8614: factors belong to an authorised assessment only.
        return replace(item, authorised_on=authorised_on, factors=item.factors if authorised_on else [])

    def _cin_plan(self, item: CinPlan) -> CinPlan | None:
        ends_on = self.happened(item.ends_on)
        if item.starts_on > self.reference_date or self._ended_before(ends_on):
            return None
        return replace(item, ends_on=ends_on)

    def _section47(self, item: Section47) -> Section47 | None:
        icpc_on = self.happened(item.icpc_on)
        concluded_on = self.happened(item.concluded_on) if item.icpc_not_required else None
        if item.started_on > self.reference_date or self._ended_before(icpc_on or concluded_on):
            return None
        return replace(item, icpc_on=icpc_on, icpc_not_required=concluded_on is not None, concluded_on=concluded_on)

    def _cp_plan(self, item: CpPlan) -> CpPlan | None:
        ends_on = self.happened(item.ends_on)
        if item.starts_on > self.reference_date or self._ended_before(ends_on):
            return None
        reviews = [day for day in item.review_dates if self._in_year(day)]
        return replace(item, ends_on=ends_on, review_dates=reviews)
