"""Admin of recruitment: rounds, applications, assessments, LLE profiles and
training cohorts.

Advisers work here by their role (User.has_perm) and see only the rounds of
their own local authorities and what belongs to them; another LA's record is
a 404. The head's answers are read-only: the adviser verifies them, never
edits them. Every status change is an action that calls a service.

One module per table (rounds, applications, assessments, LLE profiles and
training cohorts, emailed links). Every admin here is scoped by the core's
`lle_portal.admin_scope.ScopedToOwnLAs`.
"""

from __future__ import annotations

from lle_portal import admin_groups

from ..models import Application, ApplicationRound, Assessment, LinkRequest, LLEProfile, TrainingCohort
from . import applications, assessments, link_requests, lles, rounds  # noqa: F401 - registers the admins
from .lles import LLEProfileForm  # noqa: F401 - the form the impact tests build profiles with

# Where each table sits in the admin's task groups (lle_portal/admin_groups.py).
admin_groups.place(ApplicationRound, "recruitment", 10)
admin_groups.place(Application, "recruitment", 20)
admin_groups.place(Assessment, "recruitment", 30)
admin_groups.place(LLEProfile, "recruitment", 40, name="LLEs")
admin_groups.place(TrainingCohort, "recruitment", 50)
# Emailed links (references, governors' approvals): resent and cancelled on
# the application's verification page, where staff read them.
admin_groups.place(LinkRequest, "system", 40)
# The staff pages of the same tasks, listed beside the tables.
admin_groups.staff_page("recruitment", 5, "Verify, assign assessors and run the panel", "applications:staff_index")
admin_groups.staff_page("recruitment", 6, "Applications to assess", "applications:staff_assessments",
                        roles=("assessor",))
