"""Statutory returns built from the event record: the DfE Children in Need census."""

from casepath.returns.cin_census import CensusChild, build_cin_census, iter_cin_census
from casepath.returns.episodes import (
    Assessment,
    CaseRecord,
    CinPlan,
    CpPlan,
    Episode,
    Section47,
    build_child_episodes,
    build_episode,
)
from casepath.returns.period import CollectionPeriod

__all__ = [
    "Assessment",
    "CaseRecord",
    "CensusChild",
    "CinPlan",
    "CollectionPeriod",
    "CpPlan",
    "Episode",
    "Section47",
    "build_child_episodes",
    "build_cin_census",
    "build_episode",
    "iter_cin_census",
]
