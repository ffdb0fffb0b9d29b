"""Build lle_portal/data/gias_norfolk.csv: a demo GIAS establishment extract.

The schools are the real ones with Norwich (NR) postcodes in the shipped
performance-table files (england_ks2final.csv, england_ks4final.csv): their
URN, name, town, postcode, phase, type, religious character, website, latest
Ofsted rating and position come from those files. What GIAS would add and the
files lack is invented, deterministically (a seeded random generator), so the
output is the same on every run: headteachers' names, pupil numbers, % FSM,
trusts, federations, establishment numbers. Dioceses follow the school's
religious character and LA.

The format is GIAS's: every value quoted, dates dd-mm-yyyy, the real order of
the first columns, Easting/Northing on the British National Grid.

    .venv/bin/python scripts/make_demo_gias.py
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from pyproj import Transformer

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "lle_portal" / "data"
SOURCES = [DATA_DIR / "england_ks2final.csv", DATA_DIR / "england_ks4final.csv"]
OUTPUT = DATA_DIR / "gias_norfolk.csv"

# Lowestoft, Beccles and Bungay have NR postcodes but are in Suffolk.
SUFFOLK_DISTRICTS = {"NR32", "NR33", "NR34", "NR35"}
NORFOLK = ("926", "Norfolk")
SUFFOLK = ("935", "Suffolk")

# The order of GIAS's own header (a subset of its ~140 columns).
HEADER = [
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentNumber",
    "EstablishmentName",
    "TypeOfEstablishment (code)",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (code)",
    "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)",
    "EstablishmentStatus (name)",
    "OpenDate",
    "CloseDate",
    "PhaseOfEducation (code)",
    "PhaseOfEducation (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "Gender (name)",
    "ReligiousCharacter (code)",
    "ReligiousCharacter (name)",
    "Diocese (code)",
    "Diocese (name)",
    "NumberOfPupils",
    "PercentageFSM",
    "Trusts (code)",
    "Trusts (name)",
    "Federations (code)",
    "Federations (name)",
    "OfstedLastInsp",
    "Street",
    "Town",
    "Postcode",
    "SchoolWebsite",
    "TelephoneNum",
    "HeadTitle (name)",
    "HeadFirstName",
    "HeadLastName",
    "HeadPreferredJobTitle",
    "Easting",
    "Northing",
    "OfstedRating (name)",
]

# Performance-file SCHTYPE -> GIAS (type code, type name, group code, group name).
TYPES = {
    "Academy": ("28", "Academy converter", "10", "Academies"),
    "Maintained school": ("01", "Community school", "4", "Local authority maintained schools"),
    "Special school": ("07", "Community special school", "5", "Special schools"),
    "Independent school": ("11", "Other independent school", "3", "Independent schools"),
    "College": ("18", "Further education", "1", "Colleges"),
}
CHURCH_MAINTAINED = {
    True: ("02", "Voluntary aided school"),
    False: ("03", "Voluntary controlled school"),
}
PHASES = {
    "Primary": ("2", "Primary", 4, 11),
    "Secondary": ("4", "Secondary", 11, 16),
    "All-through": ("7", "All-through", 4, 16),
    "Not applicable": ("0", "Not applicable", 3, 19),
}
RELIGIONS = {
    "Church of England": "02",
    "Roman Catholic": "03",
    "Methodist": "05",
    "Church of England/Methodist": "06",
    "Christian": "07",
    "Does not apply": "00",
    "None": "00",
}
DIOCESES = {
    # (faith, LA code) -> (Diocese (code), Diocese (name))
    ("Church of England", "926"): ("CE28", "Diocese of Norwich"),
    ("Church of England", "935"): ("CE37", "Diocese of St Edmundsbury and Ipswich"),
    ("Roman Catholic", "926"): ("RC13", "Diocese of East Anglia"),
    ("Roman Catholic", "935"): ("RC13", "Diocese of East Anglia"),
}
# Invented multi-academy trusts (not real ones: the membership is made up).
TRUSTS = [
    "Broadland Learning Partnership",
    "Wensum Valley Academy Trust",
    "Yare Schools Trust",
    "North Sea Coast Education Trust",
    "Breckland Horizons Trust",
    "Waveney Learning Trust",
]
STREETS = [
    "School Lane", "Church Road", "Station Road", "The Street", "Norwich Road", "Mill Lane",
    "High Street", "Chapel Road", "School Road", "Holt Road", "Market Place", "Back Lane",
]
DIALLING_CODES = ["01603", "01493", "01502", "01263", "01328", "01362", "01953", "01379"]
FIRST_NAMES = {
    "female": [
        "Alison", "Anna", "Catherine", "Claire", "Emma", "Fiona", "Hannah", "Helen", "Jane", "Joanna",
        "Julie", "Karen", "Kate", "Laura", "Lucy", "Natalie", "Nicola", "Rachel", "Ruth", "Sarah",
        "Sophie", "Victoria",
    ],
    "male": [
        "Andrew", "Ben", "Chris", "Daniel", "David", "Gareth", "Ian", "James", "John", "Mark",
        "Matthew", "Michael", "Paul", "Peter", "Richard", "Simon", "Stephen", "Tom",
    ],
}
TITLES = {"female": ["Mrs", "Ms", "Miss", "Dr"], "male": ["Mr", "Mr", "Mr", "Dr"]}
LAST_NAMES = [
    "Allen", "Bailey", "Baker", "Barker", "Bennett", "Brown", "Carter", "Clarke", "Cooper", "Davies",
    "Edwards", "Evans", "Fisher", "Fletcher", "Foster", "Gray", "Green", "Hall", "Harris", "Hughes",
    "Jackson", "James", "Johnson", "King", "Knight", "Lee", "Marshall", "Mason", "Mills", "Moore",
    "Morgan", "Palmer", "Parker", "Pearce", "Price", "Reynolds", "Roberts", "Shaw", "Spencer", "Taylor",
    "Thompson", "Turner", "Walker", "Ward", "Webb", "White", "Wilson", "Wood", "Wright", "Young",
]


def nr_district(postcode: str) -> str | None:
    """'NR32 1AB' -> 'NR32'; None for a postcode outside the NR area."""
    outward = postcode.split(" ")[0].upper()
    return outward if outward.startswith("NR") and outward[2:].isdigit() else None


def read_schools() -> dict[str, dict]:
    """URN -> the school's row, from both files; a school in both is all-through
    (or, for a special school, of no single phase)."""
    schools: dict[str, dict] = {}
    for path in SOURCES:
        with path.open(newline="", encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                if not nr_district(row["PCODE"]):
                    continue
                known = schools.get(row["URN"])
                if known is None:
                    schools[row["URN"]] = dict(row)
                elif known["PHASE"] != row["PHASE"]:
                    known["PHASE"] = "All-through"
    for row in schools.values():
        if row["SCHTYPE"] == "Special school":
            row["PHASE"] = "Not applicable"
    return schools


def short_name(school_name: str) -> str:
    """'Barford Primary School' -> 'Barford'; 'St Mary's CofE VA Primary' -> 'St Mary's'."""
    stop = {"Primary", "Infant", "Junior", "Church", "CofE", "CE", "C", "VA", "VC", "Voluntary", "School",
            "Community", "Nursery", "Academy", "CEVA", "CEVC"}
    words = []
    for word in school_name.removeprefix("The ").split():
        if word in stop:
            break
        words.append(word)
    return " ".join(words).rstrip(",") or school_name


def gias_date(yyyymmdd: str) -> str:
    return f"{yyyymmdd[6:8]}-{yyyymmdd[4:6]}-{yyyymmdd[0:4]}" if len(yyyymmdd) == 8 else ""


def build_rows(schools: dict[str, dict]) -> list[dict[str, str]]:
    rng = random.Random(926)
    to_grid = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    numbers = {"2": 2000, "3": 3000, "4": 4000, "5": 5000, "7": 7000, "6": 6000}
    # Some maintained primaries in the same postcode district are federated.
    federations: dict[str, tuple[str, str]] = {}
    by_district: dict[str, list[dict]] = {}
    for row in sorted(schools.values(), key=lambda r: int(r["URN"])):
        if row["SCHTYPE"] == "Maintained school" and row["PHASE"] == "Primary":
            by_district.setdefault(nr_district(row["PCODE"]) or "", []).append(row)
    code = 1000
    for _district, members in sorted(by_district.items()):
        if len(members) >= 2 and rng.random() < 0.35:
            pair = members[:2]
            code += 1
            places = " and ".join(short_name(m["SCHNAME"]) for m in pair)
            for member in pair:
                federations[member["URN"]] = (str(code), f"The Federation of {places}")

    rows = []
    for row in sorted(schools.values(), key=lambda r: int(r["URN"])):
        district = nr_district(row["PCODE"]) or ""
        la_code, la_name = SUFFOLK if district in SUFFOLK_DISTRICTS else NORFOLK
        religion = row["RELIGION"] or "Does not apply"
        is_church = religion not in ("Does not apply", "None", "")
        type_code, type_name, group_code, group_name = TYPES.get(row["SCHTYPE"], TYPES["Maintained school"])
        if row["SCHTYPE"] == "Maintained school" and is_church:
            type_code, type_name = CHURCH_MAINTAINED[rng.random() < 0.5]
        phase_code, phase_name, low, high = PHASES[row["PHASE"]]
        if phase_name == "Secondary" and rng.random() < 0.6:
            high = 18

        # Establishment numbers: 2xxx primary, 4xxx secondary, 7xxx special,
        # 3xxx/5xxx voluntary schools, 6xxx independent (the DfE scheme).
        if group_name == "Special schools":
            series = "7"
        elif group_name == "Independent schools":
            series = "6"
        elif type_name.startswith("Voluntary"):
            series = "3" if phase_name == "Primary" else "5"
        else:
            series = "2" if phase_name == "Primary" else "4"
        numbers[series] += 1 + rng.randrange(3)

        if phase_name == "Primary":
            pupils = rng.randint(35, 420)
        elif phase_name == "Not applicable":
            pupils = rng.randint(45, 190)
        else:
            pupils = rng.randint(550, 1650)
        fsm = round(min(55.0, max(2.0, rng.gauss(17, 8))), 1)

        trust_code, trust_name = "", ""
        if group_name == "Academies" and rng.random() < 0.8:
            index = rng.randrange(len(TRUSTS))
            trust_code, trust_name = str(5100 + index), TRUSTS[index]
        federation_code, federation_name = federations.get(row["URN"], ("", ""))
        diocese_code, diocese_name = DIOCESES.get((religion, la_code), ("0000", "Not applicable"))

        # Most primary heads in England are women; about half of secondary heads.
        sex = "female" if rng.random() < (0.72 if phase_name == "Primary" else 0.45) else "male"
        first, last, title = rng.choice(FIRST_NAMES[sex]), rng.choice(LAST_NAMES), rng.choice(TITLES[sex])
        job_title = "Headteacher"
        if federation_name:
            job_title = "Executive Headteacher"
        elif group_name == "Academies" and rng.random() < 0.4:
            job_title = "Principal"

        easting = northing = ""
        if row["LATITUDE"] and row["LONGITUDE"]:
            e, n = to_grid.transform(float(row["LONGITUDE"]), float(row["LATITUDE"]))
            easting, northing = str(round(e)), str(round(n))

        open_date = ""
        if group_name == "Academies":
            open_date = (date(2011, 9, 1) + timedelta(days=rng.randrange(0, 8 * 365))).strftime("%d-%m-%Y")

        rows.append(
            {
                "URN": row["URN"],
                "LA (code)": la_code,
                "LA (name)": la_name,
                "EstablishmentNumber": str(numbers[series]),
                "EstablishmentName": row["SCHNAME"],
                "TypeOfEstablishment (code)": type_code,
                "TypeOfEstablishment (name)": type_name,
                "EstablishmentTypeGroup (code)": group_code,
                "EstablishmentTypeGroup (name)": group_name,
                "EstablishmentStatus (code)": "1",
                "EstablishmentStatus (name)": "Open",
                "OpenDate": open_date,
                "CloseDate": "",
                "PhaseOfEducation (code)": phase_code,
                "PhaseOfEducation (name)": phase_name,
                "StatutoryLowAge": str(low),
                "StatutoryHighAge": str(high),
                "Gender (name)": row["GENDER"] or "Mixed",
                "ReligiousCharacter (code)": RELIGIONS.get(religion, "99"),
                "ReligiousCharacter (name)": religion if religion != "None" else "Does not apply",
                "Diocese (code)": diocese_code,
                "Diocese (name)": diocese_name,
                "NumberOfPupils": str(pupils),
                "PercentageFSM": f"{fsm:.1f}",
                "Trusts (code)": trust_code,
                "Trusts (name)": trust_name,
                "Federations (code)": federation_code,
                "Federations (name)": federation_name,
                "OfstedLastInsp": gias_date(row["INSPECTIONDT"]),
                "Street": rng.choice(STREETS),
                "Town": row["TOWN"],
                "Postcode": row["PCODE"],
                "SchoolWebsite": row["WEB"] if row["WEB"] != "Not Available" else "",
                "TelephoneNum": f"{rng.choice(DIALLING_CODES)}{rng.randint(100000, 999999)}",
                "HeadTitle (name)": title,
                "HeadFirstName": first,
                "HeadLastName": last,
                "HeadPreferredJobTitle": job_title,
                "Easting": easting,
                "Northing": northing,
                "OfstedRating (name)": row["OFSTEDRATING"],
            }
        )
    return rows


def main() -> None:
    rows = build_rows(read_schools())
    with OUTPUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    print(f"Wrote {len(rows)} schools to {OUTPUT.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
