"""The core's models: what pages show of them."""

import pytest
from django.utils import translation

from khuyencong.models import Role, User


@pytest.mark.parametrize("role", [*Role.values, "", "retired_role"])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_role_label_is_get_role_display(role, language):
    user = User(username="x", role=role)
    with translation.override(language):
        assert user.role_label == user.get_role_display()
