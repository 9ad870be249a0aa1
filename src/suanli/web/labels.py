"""Display labels for the platform's codes (roles, job states, ecosystems, organisation types, review
and batch statuses), marked with `N_` so the catalogue extractor finds them; pages translate them."""

from __future__ import annotations

from typing import Any

from suanli.web.i18n import N_

LABELS: dict[str, str] = {
    # roles
    "platform_operator": N_("Platform operator"),
    "provider_admin": N_("Provider"),
    "org_admin": N_("Organisation admin"),
    "org_member": N_("Organisation member"),
    "program_officer": N_("Program officer"),
    "finance_officer": N_("Finance officer"),
    "auditor": N_("Auditor"),
    # job states
    "queued": N_("Queued"),
    "dispatched": N_("Dispatched"),
    "running": N_("Running"),
    "cancelling": N_("Cancelling"),
    "succeeded": N_("Succeeded"),
    "failed": N_("Failed"),
    "timed_out": N_("Timed out"),
    "cancelled": N_("Cancelled"),
    "unknown": N_("Unknown"),
    "lost": N_("Lost"),
    # ecosystems
    "cuda": N_("NVIDIA CUDA"),
    "cann": N_("Ascend CANN"),
    "rocm": N_("Hygon DTK / ROCm"),
    "cpu": N_("CPU"),
    # organisation types
    "enterprise": N_("Enterprise"),
    "university": N_("University"),
    "research_institute": N_("Research institute"),
    "maker": N_("Maker team"),
    "intermediary": N_("Compute intermediary"),
    "provider": N_("Provider"),
    "government": N_("Government bureau"),
    "platform": N_("Platform"),
    # center kinds
    "local": N_("Local"),
    "supercomputing": N_("Supercomputing center"),
    "ai": N_("Intelligent computing center"),
    "datacenter": N_("Data-center cluster"),
    "cloud": N_("Cloud"),
    # backend kinds
    "simulated": N_("Simulated"),
    "slurm": N_("Slurm"),
    "ray": N_("Ray"),
    # program drafts (the program editor)
    "draft.proposed": N_("Awaiting publication"),
    "draft.published": N_("Published"),
    "draft.withdrawn": N_("Withdrawn"),
    # program, application, wallet, redemption and batch statuses
    "loaded": N_("Loaded"),
    "open": N_("Open"),
    "closed": N_("Closed"),
    "submitted": N_("Submitted"),
    "in_review": N_("In review"),
    "needs_documents": N_("Awaiting more documents"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "granted": N_("Granted"),
    "active": N_("Active"),
    "expired": N_("Expired"),
    "redeemed": N_("Redeemed"),
    "written_off": N_("Written off"),
    "clawed_back": N_("Clawed back"),
    "draft": N_("Draft"),
    "paid": N_("Paid"),
    "published": N_("Published"),
    "pending": N_("Pending"),
    "in_notice": N_("Under public notice"),
    "registered": N_("Registered"),
    # program sides
    "demand": N_("Demand side"),
    "supply": N_("Supply side"),
    "both": N_("Both sides"),
    # sectors in the demo
    "transport": N_("Transport"),
    "healthcare": N_("Healthcare"),
    "education": N_("Education"),
    "energy": N_("Energy"),
    "media": N_("Media"),
    "finance": N_("Finance"),
    # evidence an application cites (证明材料)
    "contract": N_("Contract"),
    "invoice": N_("Invoice"),
    "electricity_use": N_("Electricity use"),
    "third_party_verification": N_("Third-party verification"),
    "project_approval": N_("Project approval"),
}


def label(value: Any) -> str:
    """The English label (a msgid) for a code, or the code itself when it has none."""
    text = "" if value is None else str(value)
    return LABELS.get(text, text)
