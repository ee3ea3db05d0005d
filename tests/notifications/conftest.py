"""API and capture fixtures for the entry-point notification tests."""

from tests.api.conftest import api, make_token  # noqa: F401
from tests.capture.conftest import make_form, post_form  # noqa: F401
