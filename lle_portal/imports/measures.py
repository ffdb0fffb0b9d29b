"""The performance measures the portal stores, in one place.

Keyed by the DfE column name (which is also `SchoolResult.measure`). The
importer stores each measure whose column a file has; eligibility, floor
standards and impact analysis read the labels and key stages from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import KeyStage


@dataclass(frozen=True)
class Measure:
    key_stage: str
    label: str
    # A percentage may be published as "64%"; the % is dropped on import.
    is_percentage: bool = False


MEASURES: dict[str, Measure] = {
    # Key stage 2. The headline changed over the years (see the data README):
    # PTENGMATX 2010/11-2011/12, PTREADWRITTAMATX 2012/13-2014/15, PTRWM_EXP from 2015/16.
    "PTRWM_EXP": Measure(KeyStage.KS2, "% reaching the expected standard in reading, writing and maths", True),
    "PTENGMATX": Measure(KeyStage.KS2, "% Level 4 or above in English and maths", True),
    "PTREADWRITTAMATX": Measure(KeyStage.KS2, "% Level 4 or above in reading, writing (TA) and maths", True),
    "TAPS": Measure(KeyStage.KS2, "KS2 average point score"),
    "TKS1APS": Measure(KeyStage.KS2, "Cohort's KS1 average point score"),
    "READPROG": Measure(KeyStage.KS2, "Reading progress score"),
    "WRITPROG": Measure(KeyStage.KS2, "Writing progress score"),
    "MATPROG": Measure(KeyStage.KS2, "Maths progress score"),
    # Key stage 4.
    "P8MEA": Measure(KeyStage.KS4, "Progress 8"),
    "ATT8SCR": Measure(KeyStage.KS4, "Attainment 8"),
    "PTL2BASICS_95": Measure(KeyStage.KS4, "% grade 5 or above in English and maths", True),
    "PTEBACC_E_PTQ_EE": Measure(KeyStage.KS4, "% entering the English Baccalaureate", True),
    "EBACCAPS": Measure(KeyStage.KS4, "EBacc average point score"),
    # Key stage 1 (seed 004 reports the KS1 average point score in reading,
    # writing and maths). KS1 files have named these differently over the
    # years; rename a file's column to one of these before importing it.
    "KS1APS": Measure(KeyStage.KS1, "KS1 average point score in reading, writing and maths"),
    "KS1APS_READ": Measure(KeyStage.KS1, "KS1 average point score in reading"),
    "KS1APS_WRIT": Measure(KeyStage.KS1, "KS1 average point score in writing"),
    "KS1APS_MAT": Measure(KeyStage.KS1, "KS1 average point score in maths"),
}


def measures_for(key_stage: str) -> dict[str, Measure]:
    """The measures of one key stage, in registry order."""
    return {name: m for name, m in MEASURES.items() if m.key_stage == key_stage}


def measure_label(name: str) -> str:
    """A measure's label for people; its column name if the registry does not know it."""
    measure = MEASURES.get(name)
    return measure.label if measure else name


# Columns that only a KS4 file has: their presence makes a file KS4.
KS4_SIGNS = ("P8MEA", "ATT8SCR", "PTL2BASICS_95")
