"""Django admin for the system administrator. Everyday work happens in the portal's own screens:
there, the workflow rules apply; here, workflow fields are read-only so the admin cannot move a
project past its rules either."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.models import (
    ActivityType,
    Allocation,
    AnnualPlan,
    Comment,
    FundingSource,
    Indicator,
    LegalDeadline,
    PlanBudget,
    Programme,
    ProgrammeBudget,
    Project,
    ProjectDocument,
    ProjectEvent,
    ReportedFigure,
    ReportFiling,
    RuleException,
    SupportNorm,
    Target,
)


@admin.register(FundingSource)
class FundingSourceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_national", "order"]


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "order",
        "is_active",
        "max_advance_percent",
        "advance_confirmed",
    ]
    list_filter = ["is_active"]


@admin.register(LegalDeadline)
class LegalDeadlineAdmin(admin.ModelAdmin):
    # Deadlines of the law are data: a Sở may set another registration date.
    list_display = ["code", "name", "day", "month", "anchor", "year_offset", "confirmed"]


@admin.register(RuleException)
class RuleExceptionAdmin(admin.ModelAdmin):
    # Granted through the project page (grant_exception), which records the event: read only here.
    list_display = ["project", "rule", "amount", "granted_by", "granted_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SupportNorm)
class SupportNormAdmin(admin.ModelAdmin):
    list_display = [
        "activity_type",
        "funding_source",
        "max_rate_percent",
        "max_amount",
        "effective_from",
        "effective_to",
        "legal_basis",
    ]
    list_filter = ["funding_source", "activity_type"]


class ProgrammeBudgetInline(admin.TabularInline):
    model = ProgrammeBudget
    extra = 0


class ProgrammeTargetInline(admin.TabularInline):
    model = Target
    fk_name = "programme"
    fields = ["indicator", "value"]
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "start_year", "end_year", "decision_number"]
    inlines = [ProgrammeBudgetInline, ProgrammeTargetInline]


class PlanBudgetInline(admin.TabularInline):
    model = PlanBudget
    extra = 0


class PlanTargetInline(admin.TabularInline):
    model = Target
    fk_name = "plan"
    fields = ["indicator", "value"]
    extra = 0


@admin.register(AnnualPlan)
class AnnualPlanAdmin(admin.ModelAdmin):
    list_display = ["year", "programme", "decision_number", "decision_date"]
    inlines = [PlanBudgetInline, PlanTargetInline]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "measure", "order"]


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    list_display = ["year", "funding_source", "decision_number", "decision_date", "amount"]
    list_filter = ["year", "funding_source"]


class EventInline(admin.TabularInline):
    model = ProjectEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "actor", "at", "comment"]

    def has_add_permission(self, request, obj=None):
        return False


class DocumentInline(admin.TabularInline):
    model = ProjectDocument
    extra = 0
    readonly_fields = ["original_name", "size", "uploaded_by", "uploaded_at"]
    fields = ["kind", "original_name", "size", "note", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request, obj=None):
        return False


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    readonly_fields = ["author", "created_at"]


WORKFLOW_FIELDS = [
    "code",
    "status",
    "status_changed_at",
    "created_by",
    "norm_limit",
    "norm_override_amount",
    "norm_override_reason",
    "norm_override_by",
    "norm_override_at",
    "recommended_amount",
    "appraisal_opinion",
    "appraised_by",
    "appraised_at",
    "no_conflict_declared",
    "decision_number",
    "decision_date",
    "approved_amount",
    "allocation",
    "approved_by",
    "rejection_reason",
    "return_reason",
    "cancellation_reason",
]


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "year", "funding_source", "status", "locality"]
    list_filter = ["status", "year", "funding_source", "activity_type"]
    search_fields = ["code", "title", "search_text"]
    readonly_fields = WORKFLOW_FIELDS
    raw_id_fields = ["facility", "locality", "responsible_officer"]
    inlines = [EventInline, DocumentInline, CommentInline]

    def has_add_permission(self, request):
        # New projects get their code and first event from workflow.create_project.
        return False


@admin.register(ReportFiling)
class ReportFilingAdmin(SimpleHistoryAdmin):
    list_display = ["agency", "place", "approved_title", "approved_name"]

    def has_add_permission(self, request):
        # One row: added once (here or from the portal's page), then edited.
        return not ReportFiling.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportedFigure)
class ReportedFigureAdmin(SimpleHistoryAdmin):
    list_display = ["year", "indicator", "value", "source"]
    list_filter = ["year", "indicator"]
