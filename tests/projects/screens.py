"""Shared builders for the screen tests (imported by tests/projects/test_views_*.py)."""

import re

import pytest

from projects.applications import workflow

M = 1_000_000
STATES = ["draft", "submitted", "returned", "appraised", "approved", "rejected", "cancelled"]


@pytest.fixture
def at_state(make_project, walk, officer, staff, manager, allocation):
    """A project of district A (commune A1) moved to `state` through the workflow."""

    def make(state, **overrides):
        project = make_project(officer, **overrides)
        if state == "draft":
            return project
        if state == "returned":
            project = workflow.submit(project=project, by=officer)
            return workflow.return_for_revision(project=project, by=staff, reason="Thiếu dự toán")
        if state == "cancelled":
            return workflow.cancel(project=project, by=staff, reason="Cơ sở rút đề án")
        if state == "rejected":
            project = walk(project, "appraised", officer=officer, staff=staff, manager=manager)
            return workflow.reject(project=project, by=manager, reason="Không hiệu quả")
        return walk(
            project, state, officer=officer, staff=staff, manager=manager, allocation=allocation
        )

    return make


def action_buttons(response) -> set[str]:
    """The workflow actions the detail page offers (buttons carry data-action)."""
    return set(re.findall(r'<button[^>]*data-action="(\w+)"', response.content.decode()))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def form_values(**overrides) -> dict:
    """POST data of a valid application form for district A (locality and facility optional)."""
    data = {
        "title": "Hỗ trợ ứng dụng máy sấy nông sản",
        "year": "2026",
        "implementing_unit": "Công ty TNHH Giang Hiền",
        "total_cost": "1.075.000.000",
        "requested_support": "275.000.000",
        "counterpart_funds": "800.000.000",
        "other_funds": "",
        "start_date": "01/03/2026",
        "end_date": "31/10/2026",
        "description": "",
        "expected_jobs_created": "5",
    }
    data.update({k: ("" if v is None else v) for k, v in overrides.items()})
    return data
