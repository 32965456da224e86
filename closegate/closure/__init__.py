"""The final step: sign-offs bound to a run, the closer that does what the API allows, the GO
certificate, and the proof that the tenant is gone.

`signoffs` writes and counts approvals, `final_step` holds the pluggable closer (today it hands the
delete to the portal; an API-based closer can replace it), `certificate` issues the GO certificate,
and `evidence` watches the tenant's public sign-in metadata until Entra says the tenant is gone.
"""

from __future__ import annotations
