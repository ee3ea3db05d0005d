"""Shared request bodies for the leads API tests."""

NEW_LEAD = {"title": "Kitchen refit", "source": "Website form", "new_company_name": "Refit AG",
            "company_website": "https://refit.example", "first_name": "Ida", "last_name": "Lind"}
