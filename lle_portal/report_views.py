"""Pages of background reports: the status page, the download, try again, and
the list of the reports a person asked for. Who may see a report is decided
by its kind (lle_portal/reports.py); anyone else gets a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import reports
from .access import AuthenticatedHttpRequest
from .models import Report


def _visible_report(request: HttpRequest, pk: int) -> Report:
    report = get_object_or_404(Report.objects.select_related("requested_by"), pk=pk)
    if not reports.can_view(request.user, report):
        raise Http404("No such report.")
    return report


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    kind = reports.kind_of(report)
    return render(request, "reports/detail.html", {
        "report": report,
        "kind_label": kind.label if kind else report.kind,
        # The page refreshes itself while the report is being built.
        "refresh_seconds": 3 if report.is_in_progress else None,
    })


@login_required
def report_download(request: HttpRequest, pk: int) -> FileResponse:
    report = _visible_report(request, pk)
    if report.status != Report.Status.READY or not report.file:
        raise Http404("This report is not ready.")
    response = FileResponse(report.file.open("rb"), content_type="application/pdf", as_attachment=True,
                            filename=reports.file_name(report))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def report_try_again(request: HttpRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    if report.status != Report.Status.FAILED:
        return redirect(report)
    again = reports.report_retry(report, user=request.user)
    messages.success(request, "The report is being built again. This page will show when it is ready.")
    return redirect(again)


@login_required
def report_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    mine = Report.objects.filter(waiting=request.user).order_by("-requested_at", "-pk")
    page = Paginator(mine, 25).get_page(request.GET.get("page"))
    return render(request, "reports/list.html", {"page_obj": page, "reports": page.object_list})
