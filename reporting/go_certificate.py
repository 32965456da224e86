"""The GO certificate as PDF: rendered from the certificate's JSON alone, behind the refusing fetcher.

Like the readiness report, it is closegate's own HTML carrying tenant strings (names, domains), so it
goes through the same autoescaping environment and the same fetcher that refuses every URL, and it
names its run, tenant and certificate id in the PDF metadata for a verifier to read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from closegate.reporting.html import GENERATOR, environment

__all__ = ["render_go_certificate_html", "render_go_certificate_pdf"]


def render_go_certificate_html(certificate: Mapping[str, Any]) -> str:
    """`certificate` is GoCertificate.to_json() (closegate.closure.certificate)."""
    view = {**certificate, "generator": GENERATOR}
    return environment().get_template("go_certificate.html.j2").render(c=view)


def render_go_certificate_pdf(certificate: Mapping[str, Any]) -> bytes:
    from closegate.reporting.pdf import html_to_pdf

    return html_to_pdf(render_go_certificate_html(certificate))
