"""The rubric assessors score Part B against: a score per competency, 1 to 4,
each score with a descriptor of what it means for that competency.

The competencies are fixed (they are the questions of Part B); the adviser
words the descriptors for each round (ApplicationRound.rubric_descriptors),
and any descriptor left blank falls back to DEFAULT_DESCRIPTORS below, drawn
from the programme's criteria (docs/programme.md §4.2: impact on pupil outcomes, continued
improvement over three years, school-to-school support, a senior team able to
lead while the LLE is away, half a day to one day a week).
"""

from __future__ import annotations

from dataclasses import dataclass

RUBRIC = {
    "impact_on_outcomes": "Impact of leadership on pupil outcomes",
    "school_improvement": "School-improvement track record",
    "supporting_others": "Coaching, mentoring and supporting other schools",
    "capacity": "Capacity and commitment to the role",
}

SCORES = {
    1: "1 - Little evidence",
    2: "2 - Some evidence",
    3: "3 - Strong evidence",
    4: "4 - Outstanding evidence",
}

DEFAULT_DESCRIPTORS: dict[str, dict[int, str]] = {
    "impact_on_outcomes": {
        1: "Describes activity but not its effect: no pupil results, or results that do not improve.",
        2: "Some improvement in pupils' results, but for one year or one group only, or not linked to the "
           "applicant's leadership.",
        3: "Pupils' results improved or stayed high over three years, with figures, and the applicant shows "
           "how their leadership caused it.",
        4: "Sustained, well-evidenced rise in results for all groups of pupils over three years, clearly "
           "attributed to named actions of the applicant, with the school well above the floor standard.",
    },
    "school_improvement": {
        1: "No clear account of how the school improved, or of the applicant's part in it.",
        2: "Improvements are listed, but without evidence of what changed as a result.",
        3: "A clear account of priorities, actions and results, confirmed by inspection or data.",
        4: "A track record of improvement across more than one area or school, confirmed by inspection and "
           "data, that has lasted after the applicant's direct involvement.",
    },
    "supporting_others": {
        1: "No experience of supporting another school or headteacher.",
        2: "Informal or occasional support of colleagues, without evidence of its effect.",
        3: "Has coached or mentored other leaders or supported another school, with some evidence of impact.",
        4: "Sustained school-to-school support with clear evidence of improvement in the supported school, "
           "and reflection on how they worked with its headteacher.",
    },
    "capacity": {
        1: "Cannot say how the school would be led while they are away, or offers too little time.",
        2: "Offers time, but the senior team's readiness to lead the school is unclear.",
        3: "Offers half a day to a day a week, with a senior team ready to lead the school in their absence.",
        4: "Offers a day a week with a strong, named senior team and governors' support, and a clear plan to "
           "keep the school improving while they are away.",
    },
}


@dataclass(frozen=True)
class Competency:
    key: str
    title: str
    # [(score, short label, descriptor)], from 1 to 4.
    levels: tuple[tuple[int, str, str], ...]


def descriptor(round, key: str, score: int) -> str:
    """What `score` means for competency `key` in `round`: the adviser's
    wording if given, else the default."""
    worded = ((getattr(round, "rubric_descriptors", None) or {}).get(key) or {}).get(str(score), "")
    return worded.strip() or DEFAULT_DESCRIPTORS[key][score]


def rubric_for(round) -> list[Competency]:
    """The round's rubric: every competency with its four descriptors."""
    return [
        Competency(key, title, tuple(
            (score, label.split(" - ", 1)[-1], descriptor(round, key, score)) for score, label in SCORES.items()
        ))
        for key, title in RUBRIC.items()
    ]
