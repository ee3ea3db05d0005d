"""custom_fields feature: admin-defined lead fields, stored as typed values per lead."""
