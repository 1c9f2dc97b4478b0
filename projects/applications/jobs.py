"""The project list's background job (khuyencong/jobs.py): a large export, read as the job's
owner at run time through the same filter and `access.scope_by_locality` as the page."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khuyencong import excel as core_excel
from khuyencong import jobs
from khuyencong.models import Job
from projects.applications import views


def run_export(job: Job, progress: jobs.Progress) -> jobs.Outcome:
    filterset = views.filtered(jobs.as_owner(job))
    count = filterset.qs.count()
    progress.set_total(count)
    with core_excel.counting_rows(progress):
        book, filename = views.export_workbook(filterset, user=job.owner)
        handle = core_excel.save_to_file(book)
    return jobs.Outcome(
        file=handle,
        file_name=filename,
        message=_("Đã xuất %(count)s đề án.") % {"count": count},
        result={"rows": count},
    )


jobs.register_kind(views.EXPORT_JOB, gettext_lazy("Xuất Excel danh mục đề án"), run=run_export)
