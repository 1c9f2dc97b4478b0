"""The figures the province reports upward, computed from its records.

This package holds the figures (one module per report, `base.py` for what they share), and the
screens around them: `forms.py` (filters), `views.py` (dashboard and report pages), `urls.py`,
`excel.py` (the .xlsx files), `filing.py` (letterhead, signatures, units and their rounding),
`reconciliation.py` (reported figures and plan totals against the records). It may read every
capability; no capability imports it.

Every report is a function returning plain data (dataclasses), built with aggregate queries
(`values().annotate()`): the number of queries never depends on the number of projects,
facilities or recognitions. Money, project counts and outcomes are read from the running totals
(`ProjectTotals`, kept in step by projects/planning/summaries.py), which hold exactly the sums
defined below per year, source, activity type, locality, allocation and status; only the project
register, a list of projects, and a facility-statistics filter by sector read the projects.
The dashboard, each report page and each Excel file show the same objects, so the same figure is
the same everywhere.

Definitions, written once here and used by every report:

- **Year of a project**: its plan year (`Project.year`, năm kế hoạch). An approval always draws
  on the allocation of that year and source (projects/applications/workflow.py), so a year's
  projects and a year's budget are the same set.
- **Money** follows projects/planning/budget.py exactly: a project counts once it has an
  approved amount (on an allocation). *Approved* is the sum of approved amounts, including
  projects cancelled afterwards; what such projects will never spend is *released* back to the
  allocation;
  *disbursed* is every disbursement; *settled* is the settled amount of settled projects;
  *remaining* = allocated − approved + released. Province-wide budget figures come from
  `budget.allocation_figures` (read from the totals by `summaries.allocation_figures`, the same
  figures); a narrower area (a district officer, a locality filter) uses `base.funds_by`, which
  sums the same columns over that area's totals. Allocations are
  not split by locality, so a narrower area has no allocated or remaining figure.
- **Projects carried out** (số đề án): projects with an approved amount, not cancelled.
- **Counterpart funds mobilised** (vốn đối ứng huy động): for each project carried out, what
  its counted acceptance review (below) recorded as actually invested (`counterpart_invested`),
  where one recorded an amount above 0; otherwise what its application committed
  (`base.counted_counterpart()`). The annual report still sets the committed total beside the
  invested one (`Funds.counterpart_planned`).
- **Outcomes achieved** (kết quả đạt được): the `achieved_*` figures of the *latest* acceptance
  review of each project whose outcome is "accepted" or "accepted with conditions" (latest by
  review date, then by id), for projects that are not cancelled. A failed review counts nothing;
  a project reviewed again counts only its latest passing review. See `base.counted_reviews()`.
- **Workers employed thanks to khuyến công** (lao động có việc làm từ hoạt động khuyến công): jobs
  created plus people employed after training, from the outcomes achieved, by project year.
- **Facilities and workers in a year**: facilities that filed yearly figures for that year
  (*có số liệu*, reporting) and the sum of their workers, revenue and production value; beside
  them the facilities *trong sổ* (registered in the area, whatever they reported). A year with
  no figures is "chưa có số liệu" (`tables.NO_DATA`) and is left out of growth rates.
- **Average annual growth** between two years: ((last / first) ^ (1 / years) − 1) × 100, see
  `base.average_growth`.
- **Outstanding products**: one recognition (certificate) counts once, in its year and level; a
  product recognised again later counts again in that year.
"""

from projects.reports.annual import AnnualReport, annual_report
from projects.reports.base import (
    COUNTED_OUTCOMES,
    OUTCOME_KEYS,
    Area,
    BudgetRow,
    Funds,
    Group,
    Grouping,
    Outcomes,
    approved_projects,
    average_growth,
    budget_use,
    counted_reviews,
    format_percent,
    localities_in_scope,
    percent_of,
)
from projects.reports.dashboard import (
    Dashboard,
    dashboard,
    facility_count,
    overdue_actions,
    overdue_projects,
)
from projects.reports.facility_stats import FacilityStats, facility_stats, facility_years
from projects.reports.products import ProductReport, product_report, recognition_years
from projects.reports.programme import ProgrammeReport, default_programme, programme_report
from projects.reports.reconciliation import Reconciliation, reconciliation
from projects.reports.register import Register, project_register, register_projects
from projects.reports.tables import Chart, Column, Table

__all__ = [
    "COUNTED_OUTCOMES",
    "OUTCOME_KEYS",
    "AnnualReport",
    "Area",
    "BudgetRow",
    "Chart",
    "Column",
    "Dashboard",
    "FacilityStats",
    "Funds",
    "Group",
    "Grouping",
    "Outcomes",
    "ProductReport",
    "ProgrammeReport",
    "Register",
    "Table",
    "Reconciliation",
    "reconciliation",
    "annual_report",
    "approved_projects",
    "average_growth",
    "budget_use",
    "counted_reviews",
    "dashboard",
    "default_programme",
    "facility_count",
    "facility_stats",
    "facility_years",
    "format_percent",
    "localities_in_scope",
    "overdue_actions",
    "overdue_projects",
    "percent_of",
    "product_report",
    "programme_report",
    "project_register",
    "recognition_years",
    "register_projects",
]
