"""The reports' background job (khuyencong/jobs.py): a large download of the project register
(Danh mục đề án), read as the job's owner at run time through the register's own filter and
`reports.Area`, for the period fixed when it was asked for."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khuyencong import excel as core_excel
from khuyencong import jobs
from khuyencong.models import Job
from projects.reports import excel, views


def run_register(job: Job, progress: jobs.Progress) -> jobs.Outcome:
    request = jobs.as_owner(job)
    filterset = views.register_filterset(request)
    if not filterset.is_valid():
        raise jobs.JobRefused(
            _(
                "Bộ lọc của danh mục không còn hợp lệ (ví dụ địa bàn đã ngoài phạm vi của bạn). "
                "Hãy mở lại danh mục đề án và xuất lại."
            )
        )
    report, filename = views.register_report(request, filterset)
    count = filterset.qs.count()
    progress.set_total(count)
    with core_excel.counting_rows(progress):
        book, name = excel.named_workbook(
            report,
            filename=filename,
            produced=timezone.localdate(),
            tables=report.filed_tables(),
            head=report.letterhead(),
        )
        handle = core_excel.save_to_file(book)
    return jobs.Outcome(
        file=handle,
        file_name=name,
        message=_("Đã xuất %(count)s đề án.") % {"count": count},
        result={"rows": count},
    )


jobs.register_kind(
    views.REGISTER_JOB, gettext_lazy("Xuất Excel danh mục đề án theo năm"), run=run_register
)
