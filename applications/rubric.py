"""The rubric assessors score Part B against: a score per competency, 1 to 4."""

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
