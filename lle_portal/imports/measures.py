"""The performance measures the portal stores, in one place.

Keyed by the DfE column name (which is also `SchoolResult.measure`). The
importer stores each measure whose column a file has; eligibility, floor
standards and impact analysis read the labels and key stages from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..models import KeyStage

PERCENT = (Decimal(0), Decimal(100))
# KS2 progress scores are a pupil's scaled score (80-120) minus the score
# expected from their KS1 results, so a school's average cannot leave -40..40;
# writing uses teacher-assessment nominal scores (70-113), hence a little more.
KS2_PROGRESS = (Decimal(-40), Decimal(40))
KS2_WRITING_PROGRESS = (Decimal(-45), Decimal(45))
# Progress 8 is (Attainment 8 - the estimate from KS2) / 10, both 0-90.
PROGRESS_8 = (Decimal(-9), Decimal(9))
# Attainment 8: eight qualifications graded 0-9, English and maths counted twice.
ATTAINMENT_8 = (Decimal(0), Decimal(90))
# KS1 average point scores: W (below level 1) = 3 up to level 4 = 27.
KS1_POINTS = (Decimal(0), Decimal(27))
# KS2 average point scores in the levels era: level 6 = 39 points.
KS2_POINTS = (Decimal(0), Decimal(39))
EBACC_POINTS = (Decimal(0), Decimal(9))


@dataclass(frozen=True)
class Measure:
    key_stage: str
    label: str
    # A percentage may be published as "64%"; the % is dropped on import.
    is_percentage: bool = False
    # The published range: a value outside it is a fault in the file,
    # reported by line and never stored. Percentages are 0-100.
    value_range: tuple[Decimal, Decimal] | None = None

    @property
    def range(self) -> tuple[Decimal, Decimal] | None:
        return PERCENT if self.is_percentage else self.value_range


MEASURES: dict[str, Measure] = {
    # Key stage 2. The headline changed over the years (see the data README):
    # PTENGMATX 2010/11-2011/12, PTREADWRITTAMATX 2012/13-2014/15, PTRWM_EXP from 2015/16.
    "PTRWM_EXP": Measure(KeyStage.KS2, "% reaching the expected standard in reading, writing and maths", True),
    "PTRWM_HIGH": Measure(KeyStage.KS2, "% reaching the higher standard in reading, writing and maths", True),
    "PTENGMATX": Measure(KeyStage.KS2, "% Level 4 or above in English and maths", True),
    "PTREADWRITTAMATX": Measure(KeyStage.KS2, "% Level 4 or above in reading, writing (TA) and maths", True),
    "TAPS": Measure(KeyStage.KS2, "KS2 average point score", value_range=KS2_POINTS),
    "TKS1APS": Measure(KeyStage.KS2, "Cohort's KS1 average point score", value_range=KS1_POINTS),
    # No KS2 progress scores for 2024 and 2025: their cohorts had no KS1
    # assessments in 2020 and 2021. Files carry the columns empty or marked.
    "READPROG": Measure(KeyStage.KS2, "Reading progress score", value_range=KS2_PROGRESS),
    "WRITPROG": Measure(KeyStage.KS2, "Writing progress score", value_range=KS2_WRITING_PROGRESS),
    "MATPROG": Measure(KeyStage.KS2, "Maths progress score", value_range=KS2_PROGRESS),
    # Key stage 4. No Progress 8 for 2025 and 2026 (no KS2 tests in 2020 and 2021).
    "P8MEA": Measure(KeyStage.KS4, "Progress 8", value_range=PROGRESS_8),
    "ATT8SCR": Measure(KeyStage.KS4, "Attainment 8", value_range=ATTAINMENT_8),
    "PTL2BASICS_95": Measure(KeyStage.KS4, "% grade 5 or above in English and maths", True),
    "PTL2BASICS_94": Measure(KeyStage.KS4, "% grade 4 or above in English and maths", True),
    "PTEBACC_E_PTQ_EE": Measure(KeyStage.KS4, "% entering the English Baccalaureate", True),
    "EBACCAPS": Measure(KeyStage.KS4, "EBacc average point score", value_range=EBACC_POINTS),
    # Key stage 1 (the Norfolk programme reported the KS1 average point score in
    # reading, writing and maths; docs/programme.md §11.2). KS1 files have named these differently over the
    # years; rename a file's column to one of these before importing it.
    "KS1APS": Measure(KeyStage.KS1, "KS1 average point score in reading, writing and maths", value_range=KS1_POINTS),
    "KS1APS_READ": Measure(KeyStage.KS1, "KS1 average point score in reading", value_range=KS1_POINTS),
    "KS1APS_WRIT": Measure(KeyStage.KS1, "KS1 average point score in writing", value_range=KS1_POINTS),
    "KS1APS_MAT": Measure(KeyStage.KS1, "KS1 average point score in maths", value_range=KS1_POINTS),
}


def measures_for(key_stage: str) -> dict[str, Measure]:
    """The measures of one key stage, in registry order."""
    return {name: m for name, m in MEASURES.items() if m.key_stage == key_stage}


def measure_label(name: str) -> str:
    """A measure's label for people; its column name if the registry does not know it."""
    measure = MEASURES.get(name)
    return measure.label if measure else name


# Columns that only a KS4 file has: their presence makes a file KS4.
KS4_SIGNS = ("P8MEA", "ATT8SCR", "PTL2BASICS_95", "PTL2BASICS_94")
