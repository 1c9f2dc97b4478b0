from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from facilities.models import (
    Facility,
    Product,
    Recognition,
    Sector,
    SizeThreshold,
    YearlyFigure,
)


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "size_group"]
    search_fields = ["code", "name"]


@admin.register(SizeThreshold)
class SizeThresholdAdmin(admin.ModelAdmin):
    list_display = [
        "size_group",
        "size_class",
        "max_workers",
        "max_revenue",
        "max_capital",
        "effective_from",
        "effective_to",
    ]


class YearlyFigureInline(admin.TabularInline):
    model = YearlyFigure
    extra = 0


@admin.register(Facility)
class FacilityAdmin(SimpleHistoryAdmin):
    list_display = ["name", "tax_code", "legal_form", "locality", "size_class"]
    list_filter = ["legal_form", "size_class"]
    search_fields = ["name", "tax_code", "search_text"]
    list_select_related = ["locality"]
    autocomplete_fields = ["locality"]
    inlines = [YearlyFigureInline]


class RecognitionInline(admin.TabularInline):
    model = Recognition
    extra = 0


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["name", "facility"]
    search_fields = ["name", "facility__name"]
    inlines = [RecognitionInline]
