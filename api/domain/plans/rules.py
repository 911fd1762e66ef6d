"""What an association's annual work plan is made of (cl. 7, cl. 29)."""

from __future__ import annotations

import enum


class Direction(enum.StrEnum):
    """The eight directions of methodological work in schools (cl. 7), in the order's order."""

    THEORY_AND_METHODS = "theory_and_methods"  # (1) theory, methodology, pedagogy, psychology, effective methods
    NORMATIVE_DOCUMENTS = "normative_documents"  # (2) studying normative documents
    FORMS_AND_METHODS = "forms_and_methods"  # (3) forms and methods of teaching, extracurricular and educational work
    BEST_EXPERIENCE = "best_experience"  # (4) best and innovative experience, management ideas, innovations
    METHODOLOGICAL_FORMS = "methodological_forms"  # (5) forms of methodological work, help to teachers, olympiads
    TEACHING_QUALITY = "teaching_quality"  # (6) analysing teaching quality and students' achievement
    CERTIFICATION = "certification"  # (7) teacher certification
    METHODOLOGICAL_PRODUCTS = "methodological_products"  # (8) developing methodological products

    @property
    def number(self) -> int:
        return list(Direction).index(self) + 1


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    # An approved version replaced by a later approved version; kept as history.
    SUPERSEDED = "superseded"
