"""API, capture and import fixtures reused by the entry-point tests."""

from tests.api.conftest import api, make_token  # noqa: F401
from tests.capture.conftest import make_form, post_form  # noqa: F401
from tests.imports.conftest import run_job, start_import  # noqa: F401
