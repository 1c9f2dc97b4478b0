"""The registry's background jobs (khuyencong/jobs.py): a large export of the facility list
and every import confirmation.

Both read as the job's owner at run time: the list through the same filter and
`access.scope_by_locality` as the page, the import through `parse_workbook(user=owner)`, which
refuses rows outside the owner's localities as they are when the job runs.
"""

from pathlib import Path

from django.conf import settings
from django.db import IntegrityError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facilities import excel, views
from khuyencong import excel as core_excel
from khuyencong import jobs
from khuyencong.models import Job


def run_export(job: Job, progress: jobs.Progress) -> jobs.Outcome:
    filterset = views.filtered(jobs.as_owner(job))
    count = filterset.qs.count()
    progress.set_total(count)
    with core_excel.counting_rows(progress):
        book, filename = views.export_workbook(filterset, count=count)
        handle = core_excel.save_to_file(book)
    return jobs.Outcome(
        file=handle,
        file_name=filename,
        message=_("Đã xuất %(count)s cơ sở.") % {"count": count},
        result={"rows": count},
    )


def run_import(job: Job, progress: jobs.Progress) -> jobs.Outcome:
    """Runs inside one transaction with the job's "done" (atomic kind): all rows or none."""
    path = Path(settings.MEDIA_ROOT) / job.parameters.get("upload", "")
    file_name = job.parameters.get("file_name", "")
    if not job.parameters.get("upload") or not path.is_file():
        raise jobs.JobRefused(_("Không còn tệp tải lên của lần nhập này. Hãy tải tệp lên lại."))
    result = excel.parse_workbook(path, user=job.owner)
    if result.file_errors:
        raise jobs.JobRefused(" ".join(str(error) for error in result.file_errors))
    if not result.ok:
        raise jobs.JobRefused(
            _("Tệp có dòng lỗi nên chưa nhập cơ sở nào."),
            result={
                "row_errors": [
                    {"row": row.number, "errors": [str(e) for e in row.errors]}
                    for row in result.bad_rows
                ]
            },
        )
    progress.set_total(len(result.rows))
    try:
        saved = excel.save_import(rows=result.rows, by=job.owner, progress=progress)
    except IntegrityError as exc:
        raise jobs.JobRefused(
            _(
                "Không lưu được vì dữ liệu vừa bị thay đổi (ví dụ một mã số thuế vừa được đăng "
                "ký). Chưa nhập cơ sở nào; hãy tải tệp lên lại."
            )
        ) from exc
    return jobs.Outcome(
        message=_("Đã nhập %(count)s cơ sở từ tệp “%(name)s”.")
        % {"count": len(saved), "name": file_name},
        result={
            "count": len(saved),
            "next_url": reverse("facilities:list"),
            "next_label": str(_("Xem danh sách cơ sở")),
        },
    )


jobs.register_kind(
    views.EXPORT_JOB, gettext_lazy("Xuất Excel danh sách cơ sở CNNT"), run=run_export
)
jobs.register_kind(
    views.IMPORT_JOB, gettext_lazy("Nhập cơ sở từ Excel"), run=run_import, atomic=True
)
