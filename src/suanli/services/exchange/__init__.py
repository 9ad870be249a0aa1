"""The data exchange's use cases (数据交易所): trader roles, products and versions, compliance review,
public notice and objections, certificates, catalogue and disclosure, orders with their clearing and
settlement, and the three deliveries. Services only flush; the edge's unit of work commits.

`from suanli.services import exchange; exchange.place_order(...)` is the public surface."""

from suanli.services.exchange.members import apply_for_role, approved_assessors, decide_role, list_memberships
from suanli.services.exchange.orders import (
    EXCHANGE_FEE_BP,
    Download,
    Placed,
    api_call,
    compute_runs,
    download,
    get_order,
    invoice,
    list_orders,
    place_order,
    run_compute,
)
from suanli.services.exchange.products import (
    add_version,
    catalogue,
    create_product,
    disclosure,
    get_product,
    in_notice,
    my_products,
    statistics,
    submit_for_review,
    visible_versions,
)
from suanli.services.exchange.review import (
    certificate,
    certificate_by_number,
    certify,
    document,
    issued,
    lodge_objection,
    objections,
    open_objections,
    resolve_objection,
    review_queue,
    review_stage,
    steps,
)
from suanli.services.exchange.vouchers import EXCHANGE_PROVIDER

__all__ = [
    "EXCHANGE_FEE_BP", "EXCHANGE_PROVIDER", "Download", "Placed", "add_version", "api_call", "apply_for_role",
    "approved_assessors", "catalogue", "certificate", "certificate_by_number", "certify", "compute_runs",
    "create_product", "decide_role", "disclosure", "document", "download", "get_order", "get_product", "in_notice",
    "invoice", "issued", "list_memberships", "list_orders", "lodge_objection", "my_products", "objections",
    "open_objections", "place_order", "resolve_objection", "review_queue", "review_stage", "run_compute",
    "statistics", "steps", "submit_for_review", "visible_versions",
]
